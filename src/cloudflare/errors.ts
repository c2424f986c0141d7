/**
 * What went wrong talking to Cloudflare, and whether trying again can help. Cloudflare reports most failures as
 * HTTP 200 with an `errors[]` array, so the class is decided from the messages and codes as much as from the status.
 * No message built here ever contains a credential: only Cloudflare's own error texts and our context.
 */
import { GraphqlResponseError } from "@octokit/graphql";
import { MalformedResponseError } from "../datasets/shape.js";
import { ExporterError, type ExporterErrorOptions } from "../errors.js";
import { ShareSpentError } from "./budget.js";
import { ResponseTooLargeError } from "./wire.js";

export type CloudflareErrorKind =
  | "budget" // rate limiter budget depleted, HTTP 429
  | "unavailable" // too many queries in progress, unable to execute, 5xx
  | "network" // connection reset, timeout: worth another try
  | "unreachable" // connection refused, unknown host, TLS refused: the same request fails again at once
  | "malformed" // a body that is not the JSON we asked for
  | "access" // a zone may not read this dataset (plan) or is not covered by the token
  | "field-refused" // the plan refuses one field of the query (`field` names it, in Cloudflare's lower case)
  | "field-cap" // more fields than the node allows per query (`cap`)
  | "too-many-owners" // too many zones/nodes in one request: fewer owners per request
  | "too-large" // the request consumed too much (excessive resources, a too wide range, a too big answer): a smaller window
  | "auth" // the credentials were refused
  | "deadline" // the run's deadline or a stop signal ended the wait
  | "share" // this run's share of the query budget is spent: the next run goes on
  | "query"; // the query or its arguments were refused: a bug or a limit we misread; retrying cannot help

export class CloudflareError extends ExporterError {
  override readonly name = "CloudflareError";
  constructor(
    message: string,
    override readonly kind: CloudflareErrorKind,
    /** Zone tags Cloudflare named as lacking access, for `access` and `field-refused` errors. */
    readonly zoneIds: readonly string[] = [],
    options: ExporterErrorOptions & { readonly field?: string | undefined; readonly cap?: number | undefined } = {},
  ) {
    super(message, "cloudflare", kind, isTransient(kind), { fix: options.fix ?? FIXES[kind], cause: options.cause });
    this.field = options.field;
    this.cap = options.cap;
  }
  /** `field-refused`: the field Cloudflare named (it writes it in lower case, e.g. `clientasn`). */
  readonly field: string | undefined;
  /** `field-cap`: the number of fields Cloudflare allows. */
  readonly cap: number | undefined;
  get transient(): boolean {
    return this.retryable;
  }
}

function isTransient(kind: CloudflareErrorKind): boolean {
  return kind === "budget" || kind === "unavailable" || kind === "network" || kind === "malformed";
}

/** What the user can do, per kind, where it is the same whatever the message. */
const FIXES: Partial<Record<CloudflareErrorKind, string>> = {
  auth: "check CF_API_TOKEN (or CF_API_EMAIL with CF_API_KEY): the token must be valid and have Analytics Read",
  unreachable: "check CF_API_URL, DNS and any proxy between this host and Cloudflare; with a TLS-inspecting proxy set CF_CA_FILE",
  access: "give the token Analytics Read on this zone or account, or leave the dataset out (CF_DATASETS)",
  deadline: "the next run continues where this one stopped; raise RUN_DEADLINE_SECONDS if runs never finish",
  share: "the next run continues where this one stopped; CF_QUERY_BUDGET is this exporter's share of Cloudflare's 300 queries per 5 minutes",
};

// Checked in this order; Cloudflare's documented wordings (its GraphQL "errors" page) and those seen in the wild.
const patterns: readonly [RegExp, CloudflareErrorKind][] = [
  [/budget depleted|exceeded its rate limit|quota exceeded|too many requests/i, "budget"],
  // "in combination, your request queries too many nodes, zones and accounts"; "too many zones requested"
  [/too many nodes, zones and accounts|too many zones requested|too many accounts requested/i, "too-many-owners"],
  // "query consumed excessive resources, please try running smaller queries"; older "limit reached, please try reduced time period"
  [/consumed excessive resources|limit reached, please try|time range is too large/i, "too-large"],
  [/number of fields can't be more than/i, "field-cap"],
  [/does not have access to the field/i, "field-refused"],
  [/too many queries in progress|unable to execute|try again later|internal server error/i, "unavailable"],
  [/does not have access to the path|are not authorized|not authorized for that/i, "access"],
  [/^unauthorized|authentication error|invalid (api )?token|invalid request headers/i, "auth"],
];

/** Turns whatever the GraphQL client threw into a `CloudflareError` that says what to do; other errors (bugs) pass. */
export function classify(error: unknown, context: string): unknown {
  if (error instanceof CloudflareError) return error;
  if (error instanceof ShareSpentError) return new CloudflareError(`${context}: ${error.message}`, "share", [], { cause: error });
  if (error instanceof MalformedResponseError) return new CloudflareError(`${context}: malformed answer: ${error.message}`, "malformed", [], { cause: error });
  const tooLarge = causeOf(error, ResponseTooLargeError);
  if (tooLarge) return new CloudflareError(`${context}: ${tooLarge.message}`, "too-large", [], { cause: error });
  if (error instanceof GraphqlResponseError) {
    const errors = error.errors ?? [];
    const text = errors.map((e) => e.message).join("; ") || "errors[] without a message";
    const codes = errors.map((e) => (e.extensions as { code?: unknown } | undefined)?.code);
    return fromText(`${context}: Cloudflare answered: ${text}`, text, kindOf(text, codes, undefined), error);
  }
  if (isHttpError(error)) {
    const body = bodyText(error.response?.data);
    const status = error.status;
    const text = body || error.message;
    // @octokit/request reports a failed connection as status 500 without a response.
    if (status === 500 && !error.response) return connectionError(error, context);
    return fromText(`${context}: HTTP ${status}: ${text}`, text, kindOf(text, [], status), error);
  }
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new CloudflareError(`${context}: no answer in time (${error.message})`, "network", [], { cause: error });
  }
  if (error instanceof Error && error.name === "FetchError") return connectionError(error, context);
  return error;
}

function fromText(message: string, text: string, kind: CloudflareErrorKind, cause: unknown): CloudflareError {
  const field = /does not have access to the field '([^']+)'/i.exec(text)?.[1];
  const cap = /number of fields can't be more than (\d+)/i.exec(text)?.[1];
  return new CloudflareError(message, kind, zonesIn(text), { cause, field, cap: cap === undefined ? undefined : Number(cap) });
}

/** Codes of failures that recur at once on the same request: no point waiting minutes on them. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function connectionError(error: Error, context: string): CloudflareError {
  let code: string | undefined;
  for (let e: unknown = error; e instanceof Error && code === undefined; e = e.cause) code = (e as { code?: string }).code;
  const why = code ?? error.message;
  // fetch refuses some ports outright ("bad port"): as final as a refused connection.
  const kind = (code !== undefined && UNREACHABLE.has(code)) || /bad port/i.test(error.message) ? "unreachable" : "network";
  return new CloudflareError(`${context}: cannot reach Cloudflare (${why})`, kind, [], { cause: error });
}

/** The first error of class `type` in the `cause` chain. */
function causeOf<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof type) return e;
  return undefined;
}

/** @octokit/request's RequestError (name "HttpError"); checked by shape so a second copy of the package still matches. */
interface HttpError extends Error {
  status: number;
  response?: { data?: unknown };
}
function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && error.name === "HttpError" && typeof (error as Partial<HttpError>).status === "number";
}

function kindOf(text: string, codes: readonly unknown[], status: number | undefined): CloudflareErrorKind {
  if (codes.includes("budget")) return "budget";
  for (const [pattern, kind] of patterns) if (pattern.test(text)) return kind;
  if (codes.includes("authz")) return "access";
  if (status === 429) return "budget";
  if (status !== undefined && status >= 500) return "unavailable";
  if (status === 401) return "auth";
  if (status === 403) return "access";
  return "query";
}

/** Zone tags named in messages such as "zone 'abc' does not have access to the path" or "zones [a b] are not authorized". */
function zonesIn(text: string): string[] {
  const single = [...text.matchAll(/zone '([^']+)'/g)].map((m) => m[1]!);
  const lists = [...text.matchAll(/zones \[([^\]]*)\]/g)].flatMap((m) => m[1]!.split(/[\s,]+/).filter(Boolean));
  return [...new Set([...single, ...lists])];
}

/** A GraphQL error's message: a text as is, anything else (not seen from Cloudflare) as JSON rather than "[object Object]". */
function messageText(message: unknown): string {
  if (message === undefined || message === null) return "";
  return typeof message === "string" ? message : (JSON.stringify(message) ?? "");
}

function bodyText(data: unknown): string {
  if (typeof data === "string") return data.slice(0, 300);
  if (data && typeof data === "object") {
    const errors = (data as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors.map((e: unknown) => messageText((e as { message?: unknown } | null)?.message)).join("; ");
    return JSON.stringify(data).slice(0, 300);
  }
  return "";
}

/** Failures that end the run's work rather than one request's: refused credentials, the deadline, the spent share. */
export function endsTheRun(error: unknown): error is CloudflareError {
  return error instanceof CloudflareError && (error.kind === "auth" || error.kind === "deadline" || error.kind === "share");
}

// ---- Cloudflare's REST API (discovery of zones and accounts: cloudflare/rest.ts) ----
// REST answers `{success, errors: [{code, message, error_chain?}], messages, result}`; codes, not wordings, decide.

/** A REST answer that did not succeed: its status and Cloudflare's `errors[]` (empty when the body is not the envelope). */
export interface RestFailure {
  readonly status: number;
  readonly errors: readonly { readonly code: number | undefined; readonly message: string }[];
  /** The body's text (cut) when it is not Cloudflare's envelope, e.g. a proxy's HTML page. */
  readonly text: string;
}

/**
 * Codes of refused credentials: 6003 "Invalid request headers" with its chain (6103 X-Auth-Key, 6111 Authorization),
 * 9103 unknown key or e-mail, 9106 missing headers, 1000 invalid token. Seen in lablabs/cloudflare-exporter#5 and
 * other clients' threads; Cloudflare publishes no complete list.
 */
const REST_AUTH = new Set([6003, 6100, 6101, 6102, 6103, 6111, 9103, 9106, 1000]);
/** 9109 "Unauthorized to access requested resource", 10000 "Authentication error" as 403, 1001 "List accounts endpoint
 *  does not support account owned tokens", 0 "Actor ... requires permission ...": valid credentials without the permission. */
const REST_ACCESS = new Set([9109, 10000, 1001]);
/** What a token needs to list what it can read (README: Discovery). */
const LISTING_FIX =
  "give the token Zone > Zone > Read (to list zones) and Account > Account Settings > Read (to list accounts), or list zones and accounts in CF_ZONES and CF_ACCOUNTS";
const NOT_CLOUDFLARE = "check CF_REST_URL: it must be Cloudflare's REST API (https://api.cloudflare.com/client/v4) or a proxy that passes it on";
/** "More than 1200 requests per 300 seconds reached" (lablabs/cloudflare-exporter#74). */
const REST_RATE_LIMITED = 10100;

export function restError(context: string, failure: RestFailure): CloudflareError {
  const codes = failure.errors.map((e) => e.code);
  const said = failure.errors.map((e) => (e.code === undefined ? e.message : `${e.code} ${e.message}`)).join("; ") || failure.text || "no error message";
  const message = `${context}: HTTP ${failure.status}: ${said}`;
  const has = (set: ReadonlySet<number>) => codes.some((c) => c !== undefined && set.has(c));
  if (failure.status === 429 || codes.includes(REST_RATE_LIMITED)) {
    const fix =
      "Cloudflare's REST limit (1,200 requests per 5 minutes per user) is shared with every tool of that user: lower CF_REST_BUDGET, or list zones in CF_ZONES";
    return new CloudflareError(message, "budget", [], { fix });
  }
  if (has(REST_AUTH) || failure.status === 401) {
    const fix = codes.includes(6103)
      ? "CF_API_KEY does not look like a global API key: put an API token into CF_API_TOKEN instead (and unset CF_API_EMAIL and CF_API_KEY)"
      : codes.includes(6111)
        ? "CF_API_TOKEN is not in the form of an API token: set the token itself, without `Bearer `"
        : "check CF_API_TOKEN (or CF_API_EMAIL with CF_API_KEY): Cloudflare refused the credentials";
    return new CloudflareError(message, "auth", [], { fix });
  }
  if (has(REST_ACCESS) || codes.includes(0) || failure.status === 403) return new CloudflareError(message, "access", [], { fix: LISTING_FIX });
  if (failure.status >= 500) return new CloudflareError(message, "unavailable", [], { fix: "Cloudflare's API was unavailable; the next run lists again" });
  if (failure.status >= 200 && failure.status < 300) return new CloudflareError(message, "malformed", [], { fix: NOT_CLOUDFLARE });
  return new CloudflareError(message, "query", [], {
    fix: "check CF_REST_URL: it must be Cloudflare's REST API (https://api.cloudflare.com/client/v4) or a proxy of it",
  });
}

/** Whatever fetch itself threw (no answer at all) as a `CloudflareError`; other errors (bugs) pass unchanged. */
export function transportError(error: unknown, context: string): unknown {
  if (error instanceof CloudflareError) return error;
  const tooLarge = causeOf(error, ResponseTooLargeError);
  if (tooLarge) return new CloudflareError(`${context}: ${tooLarge.message}`, "too-large", [], { cause: error, fix: "raise CF_MAX_RESPONSE_BYTES" });
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new CloudflareError(`${context}: no answer in time (${error.message})`, "network", [], { cause: error });
  }
  // undici's fetch rejects with TypeError("fetch failed") whose cause carries the system error's code.
  if (error instanceof TypeError && /fetch failed|bad port/i.test(error.message)) return connectionError(error, context);
  return error;
}
