/**
 * The wire to Cloudflare's REST API, for discovery only (`GET /accounts`, `GET /zones`): the same credentials, CA and
 * answer-size cap as the GraphQL client (wire.ts), its own pacer (Cloudflare allows 1,200 REST requests per 5 minutes
 * per user, shared with the dashboard and every other tool), the `Ratelimit`/`retry-after` headers, and retries of
 * transient failures with backoff, bounded by CF_MAX_RETRY_SECONDS and the run's deadline.
 */
import type { CloudflareConfig } from "../config/types.js";
import type { RetryNotice, TimeLimit } from "./client.js";
import { QueryBudget } from "./budget.js";
import { CloudflareError, restError, transportError } from "./errors.js";
import { boundedFetch, dispatcherFor } from "./wire.js";

/** One page of a list endpoint: its items as sent and Cloudflare's `result_info`, where it gave one. */
interface RestPage {
  readonly items: readonly unknown[];
  readonly page: number | undefined;
  readonly perPage: number | undefined;
  readonly totalPages: number | undefined;
  readonly totalCount: number | undefined;
}

export interface RestClient {
  /** `GET <restUrl><path>?<query>`: resolves to the page, or rejects with a `CloudflareError` once retrying cannot help. */
  list(path: string, query: Readonly<Record<string, string>>, context: string, signal?: AbortSignal): Promise<RestPage>;
  /** HTTP requests sent, retries included. */
  readonly requests: () => number;
}

export interface RestClientOptions {
  readonly time?: TimeLimit | undefined;
  readonly onRetry?: ((notice: RetryNotice) => void) | undefined;
  /** First backoff delay; later ones double up to a minute, each with random jitter. @default 1000 */
  readonly minRetryDelayMs?: number | undefined;
}

const NO_LIMIT: TimeLimit = { remainingMs: () => Number.POSITIVE_INFINITY, signal: new AbortController().signal };
const MAX_ATTEMPTS = 13; // as the GraphQL client: 12 retries
const MAX_BACKOFF_MS = 60_000;

/** Credentials as headers, the same two forms the GraphQL client sends. */
function authHeaders(auth: CloudflareConfig["auth"]): Record<string, string> {
  if (auth?.kind === "token") return { authorization: `Bearer ${auth.token}` };
  if (auth?.kind === "key") return { "x-auth-email": auth.email, "x-auth-key": auth.key };
  return {};
}

export function createRestClient(config: CloudflareConfig, options: RestClientOptions = {}): RestClient {
  const base = config.restUrl?.replace(/\/+$/, "");
  if (base === undefined) throw new TypeError("createRestClient needs cloudflare.restUrl (the loader derives it or refuses the configuration)");
  const time = options.time ?? NO_LIMIT;
  const headers = { "user-agent": "cloudflare-es-exporter", accept: "application/json", ...authHeaders(config.auth) };
  const fetch = boundedFetch({ caFile: config.caFile, maxBytes: config.maxResponseBytes }, dispatcherFor(config.caFile));
  const budget = new QueryBudget(config.restBudget, Date.now, (ms) => sleepWithin(ms, time, "waiting for the REST request budget (CF_REST_BUDGET)"));
  // Cloudflare blocks every call of the user once its limit is reached: a `retry-after` or an exhausted `Ratelimit`
  // makes every request of this client wait, not only the one that was told.
  let notBefore = 0;
  let sent = 0;

  async function attempt(
    url: string,
    context: string,
    signal: AbortSignal | undefined,
  ): Promise<{ page: RestPage } | { error: CloudflareError; waitMs: number }> {
    const wait = notBefore - Date.now();
    if (wait > 0) await sleepWithin(wait, time, `${context}: waiting as Cloudflare's rate limit asks`, signal);
    await budget.take(1);
    sent++;
    // Not capped by the time left: the deadline's own signal ends the request then, so the error names the deadline
    // rather than racing it with a timeout of the same length.
    const timeout = config.timeoutSeconds * 1000;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.any([AbortSignal.timeout(timeout), time.signal, ...(signal ? [signal] : [])]) });
      text = await response.text();
    } catch (error) {
      if (time.signal.aborted) throw stopped(context, time);
      if (signal?.aborted) throw abandoned(context, signal);
      const failure = transportError(error, context);
      if (failure instanceof CloudflareError) return { error: failure, waitMs: 0 };
      throw failure;
    }
    const waitMs = rateLimitWaitMs(response.headers, response.status);
    if (waitMs > 0) notBefore = Math.max(notBefore, Date.now() + waitMs);
    const answer = envelope(text);
    if (response.ok && answer?.success === true && Array.isArray(answer.result)) return { page: pageOf(answer) };
    return {
      error: restError(context, { status: response.status, errors: errorsOf(answer), text: answer ? "" : brief(text) }),
      waitMs,
    };
  }

  return {
    requests: () => sent,
    async list(path, query, context, signal) {
      const url = `${base}${path}?${new URLSearchParams(query).toString()}`;
      const started = Date.now();
      const maxRetryMs = config.maxRetrySeconds * 1000;
      for (let n = 1; ; n++) {
        if (time.signal.aborted || time.remainingMs() <= 0) throw stopped(context, time);
        if (signal?.aborted) throw abandoned(context, signal);
        const result = await attempt(url, context, signal);
        if ("page" in result) return result.page;
        const { error } = result;
        if (!error.transient || n >= MAX_ATTEMPTS) throw error;
        const backoff = Math.min(MAX_BACKOFF_MS, (options.minRetryDelayMs ?? 1000) * 2 ** (n - 1)) * (1 + Math.random());
        const delayMs = Math.max(backoff, result.waitMs);
        // Within CF_MAX_RETRY_SECONDS and the run's deadline, or not at all: the last error is the answer.
        if (Date.now() - started + delayMs > maxRetryMs || delayMs > time.remainingMs()) throw error;
        options.onRetry?.({ context, attempt: n, delayMs, error });
        await sleepWithin(delayMs, time, context, signal);
      }
    },
  };
}

interface Envelope {
  success?: unknown;
  errors?: unknown;
  result?: unknown;
  result_info?: unknown;
}

function envelope(text: string): Envelope | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Cloudflare's `errors[]`, each with the codes of its `error_chain` (6003 says little, its chain 6103 says what). */
function errorsOf(answer: Envelope | undefined): { code: number | undefined; message: string }[] {
  if (!answer || !Array.isArray(answer.errors)) return [];
  const flat: { code: number | undefined; message: string }[] = [];
  const add = (item: unknown): void => {
    if (typeof item !== "object" || item === null) return;
    const { code, message, error_chain: chain } = item as { code?: unknown; message?: unknown; error_chain?: unknown };
    flat.push({ code: typeof code === "number" ? code : undefined, message: typeof message === "string" ? message : JSON.stringify(message ?? null) });
    if (Array.isArray(chain)) chain.forEach(add);
  };
  answer.errors.forEach(add);
  return flat;
}

function pageOf(answer: Envelope): RestPage {
  const info = (typeof answer.result_info === "object" && answer.result_info !== null ? answer.result_info : {}) as Record<string, unknown>;
  const count = (key: string): number | undefined => {
    const value = info[key];
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  };
  return {
    items: answer.result as unknown[],
    page: count("page"),
    perPage: count("per_page"),
    totalPages: count("total_pages"),
    totalCount: count("total_count"),
  };
}

/**
 * How long Cloudflare asks us to wait: `retry-after` (seconds, sent with a 429), or the current `Ratelimit` header
 * (`"default";r=0;t=30`: nothing left until t seconds from now) and its older form `x-ratelimit-remaining` with
 * `x-ratelimit-reset` (seconds, or an epoch time). Cloudflare's limits page documents `Ratelimit`, `Ratelimit-Policy`
 * and `retry-after`; the x- form is older.
 */
export function rateLimitWaitMs(headers: Headers, status: number, now = Date.now()): number {
  const retryAfter = seconds(headers.get("retry-after"));
  if (retryAfter !== undefined && (status === 429 || status === 503)) return retryAfter * 1000;
  const current = headers.get("ratelimit");
  if (current) {
    const remaining = seconds(/(?:^|;)\s*r=(\d+)/.exec(current)?.[1]);
    const reset = seconds(/(?:^|;)\s*t=(\d+)/.exec(current)?.[1]);
    if (remaining === 0 && reset !== undefined) return reset * 1000;
  }
  if (seconds(headers.get("x-ratelimit-remaining")) === 0) {
    const reset = seconds(headers.get("x-ratelimit-reset"));
    if (reset !== undefined) return reset > 1e9 ? Math.max(0, reset * 1000 - now) : reset * 1000;
  }
  // A 429 without a word on when: Cloudflare blocks the user for 5 minutes, so ask again no sooner than a minute.
  return status === 429 ? 60_000 : 0;
}

function seconds(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  return Math.ceil(Number(text));
}

/** A body that is not Cloudflare's envelope (a proxy's error page), as a short line. */
function brief(text: string): string {
  const plain = /<\s*(!doctype|html|body)/i.test(text) ? text.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ").replace(/<[^>]*>/g, " ") : text;
  const line = plain.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** A request given up because another one of the same listing failed: that failure is the one reported. */
function abandoned(context: string, signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`${context}: abandoned`);
}

function stopped(context: string, time: TimeLimit): CloudflareError {
  const reason = time.signal.reason instanceof Error ? time.signal.reason.message : "the run's deadline has passed";
  return new CloudflareError(`${context}: not sent or not awaited: ${reason}`, "deadline");
}

/**
 * Sleeps `ms`, unless that outlasts the time left or the stop signal comes first: then rejects at once. `page`: the
 * listing's own signal, which ends the wait when another page of the same listing has failed.
 */
function sleepWithin(ms: number, time: TimeLimit, what: string, page?: AbortSignal): Promise<void> {
  if (ms > time.remainingMs()) return Promise.reject(new CloudflareError(`${what} (${Math.ceil(ms / 1000)}s) would outlast the run's deadline`, "deadline"));
  if (page?.aborted) return Promise.reject(abandoned(what, page));
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      time.signal.removeEventListener("abort", onStop);
      page?.removeEventListener("abort", onAbandon);
    };
    const onStop = () => {
      done();
      reject(stopped(what, time));
    };
    const onAbandon = () => {
      done();
      reject(abandoned(what, page!));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    time.signal.addEventListener("abort", onStop, { once: true });
    page?.addEventListener("abort", onAbandon, { once: true });
  });
}
