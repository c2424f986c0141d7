/**
 * The wire to Cloudflare's GraphQL Analytics API: credentials, the query budget, retries of transient failures with
 * exponential backoff and jitter, and the classification of everything else. Only this module talks HTTP to Cloudflare.
 * Every wait (the budget, a backoff, an answer) is bounded by the run's time left and ends at once on its stop signal.
 */
import { graphql } from "@octokit/graphql";
import pRetry from "p-retry";
import type { CloudflareConfig } from "../config/types.js";
import type { Scope } from "../datasets/dataset.js";
import { MAX_ZONES_PER_QUERY } from "../datasets/query.js";
import { asObject } from "../datasets/shape.js";
import { QueryBudget } from "./budget.js";
import { classify, CloudflareError, endsTheRun } from "./errors.js";
import { boundedFetch, dispatcherFor, type SpillTarget } from "./wire.js";

interface QueryRequest {
  /** Names the work in messages, e.g. "http_requests for zones a, b [2026-01-01T00:00Z, ...)". */
  readonly context: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** Queries this request costs in Cloudflare's accounting: zones x nodes. */
  readonly cost: number;
  /** The zones or accounts it names: with account-based rate limiting each is charged its part of `cost`. */
  readonly owners?: readonly string[];
  /** A dataset query: its rows are parsed as they stream and spilled to files (see spill.ts), not held in memory. */
  readonly spill?: SpillTarget;
}

export interface RetryNotice {
  readonly context: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: CloudflareError;
}

export interface CloudflareClient {
  /** Resolves to `data.viewer`, or rejects with a `CloudflareError` once retrying cannot help or time is up. */
  viewer(request: QueryRequest): Promise<Record<string, unknown>>;
  /**
   * What is left of the user's query budget in the current 5 minutes, as `viewer { budget }` says (an undocumented
   * field of Cloudflare's schema); undefined when it does not answer, or answers something that cannot be that.
   */
  budgetLeft(): Promise<number | undefined>;
  readonly budget: QueryBudget;
  /** Zones (or accounts) one request may name: 10 zones, 1 account; 1 zone with account-based rate limiting. */
  ownersPerRequest(scope: Scope): number;
  /** HTTP requests sent, retries included. */
  readonly requests: () => number;
}

/** The run's clock as the client sees it: how long it may still wait, and the signal that ends every wait. */
export interface TimeLimit {
  /** Milliseconds left; `Infinity` without a deadline. */
  remainingMs(): number;
  readonly signal: AbortSignal;
}

export interface ClientOptions {
  readonly onRetry?: (notice: RetryNotice) => void;
  /** First backoff delay; later ones grow by 2x up to a minute, each with random jitter. @default 1000 */
  readonly minRetryDelayMs?: number;
  readonly time?: TimeLimit;
  /** Wait for the budget window to make room (a backfill, the default); false: a request that does not fit fails. */
  readonly waitForBudget?: boolean;
}

const NO_LIMIT: TimeLimit = { remainingMs: () => Number.POSITIVE_INFINITY, signal: new AbortController().signal };

export function createCloudflareClient(config: CloudflareConfig, options: ClientOptions = {}): CloudflareClient {
  const time = options.time ?? NO_LIMIT;
  const url = new URL(config.apiUrl);
  const headers: Record<string, string> = { "user-agent": "cloudflare-es-exporter" };
  if (config.auth?.kind === "token") headers.authorization = `Bearer ${config.auth.token}`;
  if (config.auth?.kind === "key") {
    headers["x-auth-email"] = config.auth.email;
    headers["x-auth-key"] = config.auth.key;
  }
  // Cloudflare's opt-in: limits per zone and account instead of per user; a zone list at viewer level is then refused.
  const perOwner = config.rateLimit === "account-based";
  if (perOwner) headers["x-rate-limit-type"] = "account-based";
  // octokit posts to baseUrl + url; splitting the configured endpoint keeps any path (e.g. /client/v4/graphql).
  const wire = { caFile: config.caFile, maxBytes: config.maxResponseBytes };
  const dispatcher = dispatcherFor(config.caFile);
  const client = graphql.defaults({ baseUrl: url.origin, url: `${url.pathname}${url.search}`, headers, request: { fetch: boundedFetch(wire, dispatcher) } });
  const budget = new QueryBudget(
    config.queryBudget,
    Date.now,
    (ms) => sleepWithin(ms, time, "waiting for the query budget"),
    options.waitForBudget ?? true,
    perOwner,
  );
  let sent = 0;

  async function attempt(request: QueryRequest): Promise<Record<string, unknown>> {
    try {
      await budget.take(request.cost, request.owners);
    } catch (error) {
      throw classify(error, request.context);
    }
    sent++;
    try {
      // Not capped by the time left: the deadline's own signal ends the request then, and names the deadline.
      const signal = AbortSignal.any([AbortSignal.timeout(config.timeoutSeconds * 1000), time.signal]);
      const data: unknown = await client(request.query, {
        ...request.variables,
        request: { signal, ...(request.spill ? { fetch: boundedFetch(wire, dispatcher, request.spill) } : {}) },
      });
      // A 200 whose body is not JSON resolves to undefined in octokit; that is a failed fetch, never "no rows".
      return asObject(asObject(data, "response data").viewer, "data.viewer");
    } catch (error) {
      if (time.signal.aborted) throw stopped(request.context, time);
      throw classify(error, request.context);
    }
  }

  const viewer = async (request: QueryRequest): Promise<Record<string, unknown>> => {
    if (time.signal.aborted || time.remainingMs() <= 0) throw stopped(request.context, time);
    try {
      return await pRetry(() => attempt(request), {
        retries: 12,
        factor: 2,
        minTimeout: options.minRetryDelayMs ?? 1000,
        maxTimeout: 60_000,
        randomize: true,
        maxRetryTime: Math.min(config.maxRetrySeconds * 1000, time.remainingMs()),
        signal: time.signal,
        shouldRetry: ({ error }) => error instanceof CloudflareError && error.transient,
        onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
          if (error instanceof CloudflareError && error.transient && retryDelay > 0) {
            options.onRetry?.({ context: request.context, attempt: attemptNumber, delayMs: retryDelay, error });
          }
        },
      });
    } catch (error) {
      if (time.signal.aborted && !(error instanceof CloudflareError && error.kind === "deadline")) throw stopped(request.context, time);
      throw error;
    }
  };

  return {
    budget,
    requests: () => sent,
    viewer,
    ownersPerRequest: (scope) => (scope === "zone" && !perOwner ? MAX_ZONES_PER_QUERY : 1),
    budgetLeft: async () => {
      // Its figure is the user's budget (undocumented), which account-based limits do not draw on.
      if (perOwner) return undefined;
      try {
        const answer = await viewer({ context: "the query budget left", query: "query Budget { viewer { budget } }", variables: {}, cost: 0 });
        const left = answer.budget;
        return typeof left === "number" && Number.isSafeInteger(left) && left >= 0 && left <= CLOUDFLARE_BUDGET ? left : undefined;
      } catch (error) {
        if (endsTheRun(error)) throw error;
        return undefined;
      }
    },
  };
}

/** Cloudflare's whole budget: queries per user and 5 minutes (`CF_QUERY_BUDGET` is this exporter's share of it). */
export const CLOUDFLARE_BUDGET = 300;

function stopped(context: string, time: TimeLimit): CloudflareError {
  const reason = time.signal.reason instanceof Error ? time.signal.reason.message : "the run's deadline has passed";
  return new CloudflareError(`${context}: not sent or not awaited: ${reason}`, "deadline");
}

/** Sleeps `ms`, unless that outlasts the time left or the stop signal comes first: then rejects at once. */
function sleepWithin(ms: number, time: TimeLimit, what: string): Promise<void> {
  if (ms > time.remainingMs()) return Promise.reject(new CloudflareError(`${what} (${Math.ceil(ms / 1000)}s) would outlast the run's deadline`, "deadline"));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped(what, time));
    };
    const timer = setTimeout(() => {
      time.signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    time.signal.addEventListener("abort", onAbort, { once: true });
  });
}
