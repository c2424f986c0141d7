/**
 * The predecessor's concurrency gate, made safe: `GET <uri>?cluster=..&namespace=..` answers `True` when this
 * environment is the active one and `False` when another one is. Nothing else is an answer: a non-2xx status, another
 * body, an HTML page, a TLS or connection failure, no answer in time, a body over 1 KiB or a redirect to another
 * origin is a *gate error*. The run then fails closed as for `False` (with two environments running the same
 * CronJob, that is what prevents double work) but, unlike `False`, it is an error: a warning naming the fix, outcome
 * `gate-error`, exit 1, a FAIL line in `check`. A wrong URI must not stop all work silently.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { Agent, request } from "undici";
import type { GateConfig } from "./config/types.js";
import { ExporterError } from "./errors.js";
import type { Logger } from "./log.js";

/** `True` or `False` fit many times over; anything longer is not the gate's answer, and is never read further. */
export const MAX_GATE_BODY_BYTES = 1024;
/** Same-origin redirects followed (a trailing slash, a moved path); more is a loop or a misconfiguration. */
const MAX_GATE_REDIRECTS = 3;

export type GateErrorKind = "status" | "body" | "too-large" | "redirect" | "tls" | "unreachable" | "timeout";

export class GateError extends ExporterError {
  override readonly name = "GateError";
  constructor(
    message: string,
    override readonly kind: GateErrorKind,
    fix: string,
    cause?: unknown,
  ) {
    super(message, "gate", kind, kind === "timeout" || kind === "unreachable", { fix, cause });
  }
}

export interface GateDecision {
  readonly allowed: boolean;
  /** Why, in words fit for a log line (never containing the URI's credentials). */
  readonly reason: string;
  /** Set when the gate gave no answer at all (anything but True or False): the run fails closed and exits 1. */
  readonly error?: GateError;
}

const FIX_URI = "point NO_CONCURRENCY_URI (--gate-uri) at the gate itself: it must answer 2xx with True or False in plain text";

export async function askGate(gate: GateConfig): Promise<GateDecision> {
  if (!gate.uri) return { allowed: true, reason: "no gate configured" };
  const url = new URL(gate.uri);
  url.searchParams.set("cluster", gate.cluster);
  url.searchParams.set("namespace", gate.namespace);
  const shown = `${url.origin}${url.pathname}`;
  // Credentials in the URI go into a header, never into a message (`shown` has none either).
  const headers: Record<string, string> = { accept: "text/plain" };
  if (url.username || url.password) {
    headers["authorization"] = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  let ca: string[] | undefined;
  try {
    // The configured CA is trusted besides the public ones; verification stays on.
    if (gate.caFile) ca = [...rootCertificates, readFileSync(gate.caFile, "utf8")];
  } catch (error) {
    const failure = new GateError(
      `gate ${shown}: GATE_CA_FILE ${gate.caFile} cannot be read (${(error as Error).message})`,
      "tls",
      "mount the CA's PEM file where GATE_CA_FILE points",
      error,
    );
    return { allowed: false, reason: failure.message, error: failure };
  }
  const dispatcher = new Agent({ connect: ca ? { ca } : {} });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), gate.timeoutSeconds * 1000);
  try {
    const body = await exchange(url, headers, dispatcher, deadline.signal, shown);
    const word = body.trim().toLowerCase();
    if (word === "true") return { allowed: true, reason: `gate ${shown} answered True` };
    if (word === "false") return { allowed: false, reason: `gate ${shown} answered False: another environment is active` };
    throw /^\s*</.test(body)
      ? new GateError(`gate ${shown} answered with an HTML page, not True or False`, "body", FIX_URI)
      : new GateError(`gate ${shown} answered neither True nor False (${JSON.stringify(body.trim().slice(0, 40))})`, "body", FIX_URI);
  } catch (error) {
    const failure = error instanceof GateError ? error : transportFailure(error, shown, gate, deadline.signal.aborted);
    return { allowed: false, reason: failure.message, error: failure };
  } finally {
    clearTimeout(timer);
    await dispatcher.destroy().catch(() => undefined);
  }
}

/** `False` is a quiet fact (this environment is the standby); a gate error is a warning that says what to fix. */
export function logGate(log: Logger, decision: GateDecision): void {
  if (decision.error) {
    log.warn(`gate: ${decision.reason}; no work this run (fails closed), exit 1; fix: ${decision.error.fix}`, {
      allowed: false,
      service: "gate",
      kind: decision.error.kind,
    });
  } else log.info(`gate: ${decision.reason}`, { allowed: decision.allowed });
}

/** The body of the final 2xx answer, following same-origin redirects only, read up to the cap. */
async function exchange(start: URL, headers: Record<string, string>, dispatcher: Agent, signal: AbortSignal, shown: string): Promise<string> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const response = await request(url, { method: "GET", headers, dispatcher, signal, highWaterMark: MAX_GATE_BODY_BYTES });
    const { statusCode } = response;
    if (statusCode >= 300 && statusCode < 400 && typeof response.headers["location"] === "string") {
      discard(response.body);
      const next = new URL(response.headers["location"], url);
      if (next.origin !== start.origin) {
        throw new GateError(
          `gate ${shown} redirected to another origin, ${next.origin}: not followed`,
          "redirect",
          `if ${next.origin} is the gate, set NO_CONCURRENCY_URI to it directly`,
        );
      }
      if (hop >= MAX_GATE_REDIRECTS) throw new GateError(`gate ${shown} redirected more than ${MAX_GATE_REDIRECTS} times`, "redirect", FIX_URI);
      url = next;
      continue;
    }
    if (statusCode < 200 || statusCode >= 300) {
      discard(response.body);
      throw new GateError(
        `gate ${shown} answered HTTP ${statusCode}`,
        "status",
        statusCode >= 500 ? "check the gate service's health (it answers with a server error)" : FIX_URI,
      );
    }
    const declared = Number(response.headers["content-length"]);
    if (declared > MAX_GATE_BODY_BYTES) {
      discard(response.body);
      throw tooLarge(shown);
    }
    return await readCapped(response.body, shown);
  }
}

/** Reads at most `MAX_GATE_BODY_BYTES`; a longer body is abandoned (the connection closed) as soon as it exceeds it. */
async function readCapped(body: Readable, shown: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_GATE_BODY_BYTES) {
      discard(body);
      throw tooLarge(shown);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Stops reading a body and closes its connection (undici reports that as an error nobody needs to see). */
function discard(body: Readable): void {
  body.on("error", () => undefined);
  body.destroy();
}

const tooLarge = (shown: string): GateError =>
  new GateError(`gate ${shown} answered with more than ${MAX_GATE_BODY_BYTES} bytes, not True or False`, "too-large", FIX_URI);

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/;

/** A failure below HTTP (connection, TLS, timeout) as a gate error with its fix. */
function transportFailure(error: unknown, shown: string, gate: GateConfig, timedOut: boolean): GateError {
  if (timedOut) {
    return new GateError(
      `gate ${shown} gave no answer within ${gate.timeoutSeconds}s`,
      "timeout",
      "check the gate service and the network to it, or raise GATE_TIMEOUT_SECONDS",
      error,
    );
  }
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  const code = e?.code && e.code.startsWith("UND_ERR") && e.cause?.code ? e.cause.code : (e?.code ?? e?.cause?.code ?? "");
  const detail = e?.cause?.message ?? e?.message ?? String(error);
  if (TLS_CODES.test(code) || /certificate/i.test(detail)) {
    return new GateError(
      `gate ${shown}: TLS failed (${detail})`,
      "tls",
      gate.caFile
        ? "GATE_CA_FILE does not hold the CA that signed the gate's certificate (or the host name does not match it)"
        : "set GATE_CA_FILE to the PEM file of the CA that signed the gate's certificate",
      error,
    );
  }
  const what = code === "ECONNREFUSED" ? "connection refused" : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "host name not found" : detail;
  return new GateError(`gate ${shown} unreachable (${what})`, "unreachable", "check NO_CONCURRENCY_URI and that the gate is reachable from here", error);
}
