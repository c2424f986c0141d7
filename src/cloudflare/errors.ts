/**
 * What went wrong talking to Cloudflare, and whether trying again can help. Cloudflare reports most failures as
 * HTTP 200 with an `errors[]` array, so the class is decided from the messages and codes as much as from the status.
 * No message built here ever contains a credential: only Cloudflare's own error texts and our context.
 */
import { GraphqlResponseError } from "@octokit/graphql";
import { MalformedResponseError } from "../datasets/shape.js";
import { ExporterError, type ExporterErrorOptions } from "../errors.js";

export type CloudflareErrorKind =
  | "budget" // rate limiter budget depleted, HTTP 429
  | "unavailable" // too many queries in progress, unable to execute, 5xx
  | "network" // connection refused, reset, timeout
  | "malformed" // a body that is not the JSON we asked for
  | "access" // a zone may not read this dataset (plan) or is not covered by the token
  | "auth" // the credentials were refused
  | "query"; // the query or its arguments were refused: a bug or a limit we misread; retrying cannot help

export class CloudflareError extends ExporterError {
  override readonly name = "CloudflareError";
  constructor(
    message: string,
    override readonly kind: CloudflareErrorKind,
    /** Zone tags Cloudflare named as lacking access, for `access` errors. */
    readonly zoneIds: readonly string[] = [],
    options: ExporterErrorOptions = {},
  ) {
    super(message, "cloudflare", kind, isTransient(kind), options);
  }
  get transient(): boolean {
    return this.retryable;
  }
}

function isTransient(kind: CloudflareErrorKind): boolean {
  return kind === "budget" || kind === "unavailable" || kind === "network" || kind === "malformed";
}

const transientPatterns: readonly [RegExp, CloudflareErrorKind][] = [
  [/budget depleted|exceeded its rate limit|quota exceeded|too many requests/i, "budget"],
  [/too many queries in progress|unable to execute|try again later|internal server error|limit reached, please try/i, "unavailable"],
];
const permanentPatterns: readonly [RegExp, CloudflareErrorKind][] = [
  [/does not have access to the path|does not have access to the field|are not authorized|not authorized for that/i, "access"],
  [/^unauthorized|authentication error|invalid (api )?token|invalid request headers/i, "auth"],
];

/** Turns whatever the GraphQL client threw into a `CloudflareError` that says what to do; other errors (bugs) pass. */
export function classify(error: unknown, context: string): unknown {
  if (error instanceof CloudflareError) return error;
  if (error instanceof MalformedResponseError) return new CloudflareError(`${context}: malformed answer: ${error.message}`, "malformed");
  if (error instanceof GraphqlResponseError) {
    const errors = error.errors ?? [];
    const text = errors.map((e) => e.message).join("; ") || "errors[] without a message";
    const codes = errors.map((e) => (e.extensions as { code?: unknown } | undefined)?.code);
    return new CloudflareError(`${context}: Cloudflare answered: ${text}`, kindOf(text, codes, undefined), zonesIn(text));
  }
  if (isHttpError(error)) {
    const body = bodyText(error.response?.data);
    const status = error.status;
    const text = body || error.message;
    // @octokit/request reports a failed connection as status 500 without a response.
    if (status === 500 && !error.response) return new CloudflareError(`${context}: cannot reach Cloudflare: ${error.message}`, "network");
    return new CloudflareError(`${context}: HTTP ${status}: ${text}`, kindOf(text, [], status), zonesIn(text));
  }
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new CloudflareError(`${context}: no answer in time (${error.message})`, "network");
  }
  if (error instanceof Error && error.name === "FetchError") return new CloudflareError(`${context}: ${error.message}`, "network");
  return error;
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
  for (const [pattern, kind] of transientPatterns) if (pattern.test(text)) return kind;
  for (const [pattern, kind] of permanentPatterns) if (pattern.test(text)) return kind;
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

function bodyText(data: unknown): string {
  if (typeof data === "string") return data.slice(0, 300);
  if (data && typeof data === "object") {
    const errors = (data as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors.map((e) => String((e as { message?: unknown })?.message ?? "")).join("; ");
    return JSON.stringify(data).slice(0, 300);
  }
  return "";
}
