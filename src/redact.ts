/**
 * The one redaction point. Every byte the exporter lets out (log lines, stdout tables, the fatal line, run records,
 * NDJSON files) passes through a `Redactor` built from the configured credentials, in every form a peer may echo
 * them in: as configured, URL-encoded, JSON-escaped, as an `Authorization: Basic` value and its decoded
 * `user:password`, as an Elasticsearch API key encoded and decoded (`id:key`, and the key alone).
 *
 * Structured records are redacted value by value, so field names and the log level are never touched; free text is
 * redacted as text. Configuration refuses secrets shorter than 8 characters, which keeps a secret from matching
 * inside ordinary words; derived forms shorter than that are not searched for.
 */
import { Writable } from "node:stream";
import { REDACTED } from "./config/errors.js";
import type { Config, LogFormat } from "./config/types.js";

/** Forms shorter than this are not searched for: they would match inside ordinary words. */
const MIN_SECRET_LENGTH = 8;

/** Every form in which a configured secret may show up in something we print or store. */
export function secretForms(config: Config): string[] {
  const forms = new Set<string>();
  const add = (secret: string, derived = true): void => {
    if (secret === "" || (derived && secret.length < MIN_SECRET_LENGTH)) return;
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) forms.add(form);
  };
  const cf = config.cloudflare.auth;
  if (cf?.kind === "token") add(cf.token, false);
  if (cf?.kind === "key") add(cf.key, false);
  const es = config.elasticsearch.auth;
  if (es.kind === "basic") {
    add(es.password, false);
    const pair = `${es.username}:${es.password}`;
    add(pair); // an echoed header, decoded ("decoded [elastic:...]")
    add(base64(pair)); // the `Authorization: Basic` value
    add(base64(pair).replace(/=+$/, ""));
  }
  if (es.kind === "apiKey") {
    add(es.apiKey, false);
    // The "encoded" key is base64("id:key"); some users configure "id:key" itself. Either way all three forms.
    const decoded = decodedApiKey(es.apiKey);
    const pair = decoded ?? (es.apiKey.includes(":") ? es.apiKey : undefined);
    if (pair) {
      add(pair);
      add(pair.slice(pair.indexOf(":") + 1)); // the key part alone
      add(base64(pair));
      add(base64(pair).replace(/=+$/, ""));
    }
  }
  const gatePassword = gateUriPassword(config.gate.uri);
  if (gatePassword) add(gatePassword, false);
  return [...forms];
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** `id:key` when `apiKey` really is base64 of such a pair (a lenient decoder turns any text into bytes). */
function decodedApiKey(apiKey: string): string | undefined {
  const decoded = Buffer.from(apiKey, "base64").toString("utf8");
  if (!/^[\x21-\x39\x3b-\x7e]+:[\x21-\x7e]+$/.test(decoded)) return undefined;
  return base64(decoded).replace(/=+$/, "") === apiKey.replace(/=+$/, "") ? decoded : undefined;
}

function gateUriPassword(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    const password = new URL(uri).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** Record keys whose values are never redacted: the log level must stay a level whatever a secret looks like. */
const UNTOUCHED_KEYS: ReadonlySet<string> = new Set(["level"]);

export class Redactor {
  private readonly pattern: RegExp | null;

  constructor(secrets: Iterable<string>) {
    // Longest first, in one pass: a secret that contains another is replaced whole, never partly.
    const forms = [...new Set(secrets)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
    this.pattern = forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join("|"), "g");
  }

  /** Whether `text` holds any secret form at all (a cheap test before a value-by-value pass). */
  mayHold(text: string): boolean {
    if (!this.pattern) return false;
    this.pattern.lastIndex = 0;
    return this.pattern.test(text);
  }

  /** Free text (a table line, a message): every occurrence of a secret form replaced. */
  text(text: string): string {
    return this.pattern ? text.replace(this.pattern, REDACTED) : text;
  }

  /**
   * A structured record (log record, document): every string value redacted, keys kept as they are, and at the top
   * level the `level` left alone.
   */
  record<T extends Record<string, unknown>>(record: T): T {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) out[key] = UNTOUCHED_KEYS.has(key) ? value : this.value(value);
    return out as T;
  }

  /** Any value, deeply: strings redacted, keys of objects untouched. */
  value(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value instanceof Error) return this.text(value.message);
    if (value && typeof value === "object" && isPlain(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
    }
    return value;
  }
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const redactors = new WeakMap<Config, Redactor>();

/** The redactor of a loaded configuration (cached: a loaded configuration does not change). */
export function redactorFor(config: Config): Redactor {
  let redactor = redactors.get(config);
  if (!redactor) redactors.set(config, (redactor = new Redactor(secretForms(config))));
  return redactor;
}

/**
 * An output stream (stdout, stderr) whose every write is redacted. Free text goes through `write`; a structured
 * record goes through `writeRecord`, redacted value by value before it is serialized, so that a secret can neither
 * hide behind JSON escaping nor turn a field name or a level into `<redacted>`.
 */
export class RedactingStream extends Writable {
  readonly isTTY: boolean;

  constructor(
    private readonly target: NodeJS.WritableStream,
    readonly redactor: Redactor,
  ) {
    super({ decodeStrings: false });
    this.isTTY = (target as { isTTY?: boolean }).isTTY === true;
  }

  // Synchronous on purpose: each write is passed on at once, so text and records keep their order, and a chunk
  // is always one whole write (callers write whole lines, so a secret is never split across two chunks).
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.target.write(this.redactor.text(typeof chunk === "string" ? chunk : chunk.toString("utf8")));
    done();
  }

  writeRecord<T extends Record<string, unknown>>(record: T, serialize: (safe: T) => string): void {
    this.target.write(serialize(this.redactor.record(record)));
  }
}

/** Standard output and error of one command, both redacted, and how fatal failures should be written. */
export interface RedactedIo {
  readonly env: Record<string, string | undefined>;
  readonly stdout: RedactingStream;
  readonly stderr: RedactingStream;
  readonly logFormat: LogFormat;
}

/**
 * Command contexts register the redacted streams they made for an `io`, so the `catch` at the end of `main`
 * (which only has the raw `io`) writes its fatal line through the same redaction as everything else.
 */
const registered = new WeakMap<object, RedactedIo>();

export function redactIo(
  io: { env: Record<string, string | undefined>; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  config: Config,
): RedactedIo {
  const redactor = redactorFor(config);
  const wrapped: RedactedIo = {
    env: io.env,
    stdout: io.stdout instanceof RedactingStream ? io.stdout : new RedactingStream(io.stdout, redactor),
    stderr: io.stderr instanceof RedactingStream ? io.stderr : new RedactingStream(io.stderr, redactor),
    logFormat: config.log.format,
  };
  registered.set(io, wrapped);
  return wrapped;
}

/**
 * The redacted streams registered for `io`, or (when the failure came before any configuration was loaded) streams
 * redacting the secrets found directly in the environment.
 */
export function redactedIoOf(io: { env: Record<string, string | undefined>; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): RedactedIo {
  const known = registered.get(io);
  if (known) return known;
  // A secret shorter than the minimum was refused (and is never shown by that refusal); searching for it would turn
  // words into `<redacted>` ("fix" for "x") and so give it away.
  const fromEnv = ["CF_API_TOKEN", "CF_API_KEY", "ES_PASSWORD", "ES_PASSWD", "ES_API_KEY"]
    .map((name) => (io.env[name] ?? "").trim())
    .filter((v) => v.length >= MIN_SECRET_LENGTH);
  const redactor = new Redactor(fromEnv.flatMap((s) => [s, encodeURIComponent(s)]));
  // The configuration did not load: its LOG_FORMAT is still what the user asked for.
  const format = io.env.LOG_FORMAT?.trim().toLowerCase();
  const logFormat: LogFormat = format === "json" || format === "text" ? format : "auto";
  return { env: io.env, stdout: new RedactingStream(io.stdout, redactor), stderr: new RedactingStream(io.stderr, redactor), logFormat };
}
