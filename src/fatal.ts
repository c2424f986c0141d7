/**
 * The last line of a command that failed as a whole: one line at level `error` that names the service, the kind of
 * failure and the fix, through the redaction point. On a terminal (or with LOG_FORMAT=text) a readable line;
 * otherwise, as in CronJob logs, one JSON line with stable fields (documented in the README's exit codes):
 *
 *   {"level":"error","message":"...","service":"elasticsearch","kind":"unreachable","retryable":false,
 *    "fix":"...","exitCode":1,"timestamp":"..."}
 *
 * Peers' error texts (an HTML error page, a multi-line body) are collapsed to one line and shortened.
 */
import { ExporterError, EXIT, type Service } from "./errors.js";
import { jsonLine, readableFor } from "./log.js";
import { redactedIoOf } from "./redact.js";
import { esFailure, isEsClientError } from "./sinks/elasticsearch/errors.js";

export interface FatalRecord {
  readonly level: "error";
  readonly message: string;
  readonly service: Service;
  readonly kind: string;
  readonly retryable: boolean;
  readonly fix: string;
  readonly exitCode: number;
  readonly timestamp: string;
}

/** Our own messages (a configuration with several problems) may be long; a peer's text is cut sooner. */
const MAX_MESSAGE = { configuration: 2000, other: 300 } as const;

/** Writes the fatal line for `error` to `io.stderr` (redacted) and returns the exit code. */
export function reportFatal(
  error: unknown,
  io: { env: Record<string, string | undefined>; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): number {
  const out = redactedIoOf(io);
  const record = fatalRecord(error, (text) => out.stderr.redactor.text(text));
  if (readableFor(out.logFormat, out.stderr)) {
    const fix = record.message.includes(record.fix) ? "" : `; fix: ${record.fix}`;
    out.stderr.write(`${record.timestamp.slice(11, 19)} error ${record.service} (${record.kind}): ${record.message}${fix}\n`);
  } else out.stderr.writeRecord({ ...record }, jsonLine);
  return record.exitCode;
}

/**
 * The fields of the fatal line. `redact` is applied before the message is shortened, so that a cut can never leave
 * part of a secret behind.
 */
export function fatalRecord(error: unknown, redact: (text: string) => string, now = new Date()): FatalRecord {
  const known = asExporterError(error);
  const limit = known.service === "configuration" ? MAX_MESSAGE.configuration : MAX_MESSAGE.other;
  return {
    level: "error",
    message: oneLine(redact(known.message), limit),
    service: known.service,
    kind: known.kind,
    retryable: known.retryable,
    fix: oneLine(redact(known.fix ?? defaultFix(known)), 500),
    exitCode: known.service === "configuration" ? EXIT.usage : EXIT.failed,
    timestamp: now.toISOString(),
  };
}

/** Everything as an `ExporterError`: client errors get classified, anything else is a bug in the exporter. */
function asExporterError(error: unknown): ExporterError {
  if (error instanceof ExporterError) return error;
  if (isEsClientError(error)) return esFailure(error, "a request");
  const message = error instanceof Error ? error.message : String(error);
  return new ExporterError(message, "exporter", "internal", false, {
    fix: "this is a bug in cloudflare-es-exporter: please report it with this line (LOG_LEVEL=debug shows more)",
    cause: error,
  });
}

/** A fix for errors that were raised without one: by service and kind, never empty. */
function defaultFix(error: ExporterError): string {
  switch (error.service) {
    case "cloudflare":
      if (error.kind === "auth") return "check CF_API_TOKEN (or CF_API_EMAIL and CF_API_KEY): Cloudflare refused the credentials";
      if (error.kind === "access") return "give the token read access to the zone's (or account's) analytics (README: Cloudflare token)";
      if (error.kind === "network") return "check CF_API_URL and the network between the exporter and Cloudflare";
      if (error.retryable) return "Cloudflare was busy or unavailable; the next run tries again";
      return "check CF_API_URL and the Cloudflare credentials; if it persists, report it with this line";
    case "elasticsearch":
      return "check ES_URL, the credentials and the cluster's health";
    case "output":
      return "check that OUTPUT_DIR (--output) is a writable folder";
    case "gate":
      return "check NO_CONCURRENCY_URI and the gate service";
    case "configuration":
      return error.kind === "usage" ? "run with --help for usage" : "correct the setting named in the message";
    default:
      return "run with LOG_LEVEL=debug and report it with the output";
  }
}

/**
 * `text` as one line of at most `max` characters: an HTML page reduced to its text, lines joined with ` | `, runs
 * of white space made one space.
 */
export function oneLine(text: string, max: number): string {
  let flat = text;
  if (/<\s*(!doctype\s+html|html|head|body|title)\b/i.test(flat)) {
    flat = flat
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
      .replace(/<[^>]*>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&")
      .replace(/\s+/g, " ");
  }
  flat = flat
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, " ").trim().replace(/^- /, ""))
    .filter((line) => line !== "")
    // A heading that ends with a colon runs on into its first item; other lines are separated visibly.
    .reduce((joined, line) => (joined === "" ? line : `${joined}${joined.endsWith(":") ? " " : " | "}${line}`), "");
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
