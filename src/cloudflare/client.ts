/**
 * The wire to Cloudflare's GraphQL Analytics API: credentials, the query budget, retries of transient failures with
 * exponential backoff and jitter, and the classification of everything else. Only this module talks HTTP to Cloudflare.
 */
import { graphql } from "@octokit/graphql";
import pRetry from "p-retry";
import type { CloudflareConfig } from "../config/types.js";
import { asObject } from "../datasets/shape.js";
import { QueryBudget } from "./budget.js";
import { classify, CloudflareError } from "./errors.js";

export interface QueryRequest {
  /** Names the work in messages, e.g. "http_requests for zones a, b [2026-01-01T00:00Z, ...)". */
  readonly context: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** Queries this request costs in Cloudflare's accounting: zones x nodes. */
  readonly cost: number;
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
  readonly budget: QueryBudget;
  /** HTTP requests sent, retries included. */
  readonly requests: () => number;
}

export interface ClientOptions {
  readonly onRetry?: (notice: RetryNotice) => void;
  /** First backoff delay; later ones grow by 2x up to a minute, each with random jitter. @default 1000 */
  readonly minRetryDelayMs?: number;
}

export function createCloudflareClient(config: CloudflareConfig, options: ClientOptions = {}): CloudflareClient {
  const url = new URL(config.apiUrl);
  const headers: Record<string, string> = { "user-agent": "cloudflare-es-exporter" };
  if (config.auth?.kind === "token") headers.authorization = `Bearer ${config.auth.token}`;
  if (config.auth?.kind === "key") {
    headers["x-auth-email"] = config.auth.email;
    headers["x-auth-key"] = config.auth.key;
  }
  // octokit posts to baseUrl + url; splitting the configured endpoint keeps any path (e.g. /client/v4/graphql).
  const client = graphql.defaults({ baseUrl: url.origin, url: `${url.pathname}${url.search}`, headers });
  const budget = new QueryBudget(config.queryBudget);
  let sent = 0;

  async function attempt(request: QueryRequest): Promise<Record<string, unknown>> {
    await budget.take(request.cost);
    sent++;
    try {
      const data: unknown = await client(request.query, {
        ...request.variables,
        request: { signal: AbortSignal.timeout(config.timeoutSeconds * 1000) },
      });
      // A 200 whose body is not JSON resolves to undefined in octokit; that is a failed fetch, never "no rows".
      return asObject(asObject(data, "response data").viewer, "data.viewer");
    } catch (error) {
      throw classify(error, request.context);
    }
  }

  return {
    budget,
    requests: () => sent,
    viewer: (request) =>
      pRetry(() => attempt(request), {
        retries: 12,
        factor: 2,
        minTimeout: options.minRetryDelayMs ?? 1000,
        maxTimeout: 60_000,
        randomize: true,
        maxRetryTime: config.maxRetrySeconds * 1000,
        shouldRetry: ({ error }) => error instanceof CloudflareError && error.transient,
        onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
          if (error instanceof CloudflareError && error.transient && retryDelay > 0) {
            options.onRetry?.({ context: request.context, attempt: attemptNumber, delayMs: retryDelay, error });
          }
        },
      }),
  };
}
