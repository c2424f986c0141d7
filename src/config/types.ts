import type { DatasetName } from "../datasets/names.js";

/**
 * The validated configuration of one run. Built once by `loadConfig` (flags > environment > config file > defaults)
 * before any network call; everything downstream takes this object and nothing else.
 */

/** A Cloudflare zone as the user names it: the zone tag (32 hex chars in real accounts) and a display name. */
export interface Zone {
  readonly id: string;
  readonly name: string;
}

/** A Cloudflare account (for account-scoped datasets such as Workers and R2): the account tag and a display name. */
export type Account = Zone;

/** Cloudflare credentials: an API token (preferred) or the legacy global key with its e-mail. */
export type CloudflareAuth =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "key"; readonly email: string; readonly key: string };

/** Elasticsearch credentials. `none` is for clusters without security (and the test server). */
export type ElasticsearchAuth =
  | { readonly kind: "none" }
  | { readonly kind: "apiKey"; readonly apiKey: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string };

export type IndexPeriod = "day" | "week" | "month";
export type LogLevel = "error" | "warn" | "info" | "debug";
export type LogFormat = "auto" | "json" | "text";

export interface CloudflareConfig {
  /** Full GraphQL endpoint URL. @default "https://api.cloudflare.com/client/v4/graphql" */
  readonly apiUrl: string;
  /** Undefined only when no credentials were given (allowed for --demo and `simulate`, refused otherwise). */
  readonly auth: CloudflareAuth | undefined;
  readonly zones: readonly Zone[];
  /** Accounts for the account-scoped datasets (Workers, R2, Logpush). May be empty. */
  readonly accounts: readonly Account[];
  /**
   * High-cardinality breakdowns (hosts, rule ids, colos, scripts, ...) keep this many entries per minute, ranked by
   * their main count; the rest goes into one `__other__` entry so totals still add up. @default 100
   */
  readonly topN: number;
  /**
   * Ask Cloudflare for confidence bounds of sampled counts at this level (e.g. 0.95) and store them on each entry.
   * Undefined: not asked (Cloudflare marks the feature alpha).
   */
  readonly confidenceLevel: number | undefined;
  /** Cloudflare counts zones x nodes of every request against 300 per 5 minutes; we stay below. @default 250 */
  readonly queryBudget: number;
  /** Per-request timeout. @default 60 */
  readonly timeoutSeconds: number;
  /** Upper bound on the time spent retrying one request (transient errors). @default 600 */
  readonly maxRetrySeconds: number;
  /** PEM file with extra CAs to trust for the Cloudflare endpoint (a TLS-inspecting proxy). Verification stays on. */
  readonly caFile: string | undefined;
  /** A response body larger than this is refused while it streams, never read whole. @default 67108864 (64 MiB) */
  readonly maxResponseBytes: number;
}

export interface ElasticsearchConfig {
  /** Undefined when no ES_URL was given: then `output` or `--demo` must provide a sink. */
  readonly url: string | undefined;
  readonly auth: ElasticsearchAuth;
  /** PEM file with the CA that signed the cluster's certificate. */
  readonly caFile: string | undefined;
  /** TLS certificate verification. @default true */
  readonly tlsVerify: boolean;
  /** @default "cloudflare" */
  readonly indexPrefix: string;
  /** @default "month" */
  readonly indexPeriod: IndexPeriod;
  /** Indices are deleted by ILM this many days after the period they cover ends. @default 400 */
  readonly retentionDays: number;
}

export interface WindowConfig {
  /** Minutes younger than this are not fetched yet: Cloudflare's last minutes are incomplete. @default 5 */
  readonly settleMinutes: number;
  /** Each run re-reads this many minutes before the newest stored one, so late data is overwritten. @default 15 */
  readonly overlapMinutes: number;
  /** How far back missing minutes are searched and fetched, never beyond the dataset's notOlderThan. @default 7 */
  readonly maxBackfillDays: number;
}

export interface GateConfig {
  /** The "may I run" URI (NO_CONCURRENCY_URI). Undefined: the gate is off and every run may proceed. */
  readonly uri: string | undefined;
  readonly cluster: string;
  readonly namespace: string;
  /** @default 10 */
  readonly timeoutSeconds: number;
  /** PEM file with extra CAs to trust for the gate's https URI. Verification stays on. */
  readonly caFile: string | undefined;
}

export interface RunConfig {
  /**
   * Seconds a run may take (the chart sets it from the Job's activeDeadlineSeconds less a margin). Every wait and
   * retry is bounded by the time left; at the deadline the run takes no new window. Undefined: no deadline.
   */
  readonly deadlineSeconds: number | undefined;
}

export interface Config {
  readonly cloudflare: CloudflareConfig;
  /** Datasets to run, narrowing what each zone's plan allows (never widening it). Undefined: all of them. */
  readonly datasets: readonly DatasetName[] | undefined;
  readonly elasticsearch: ElasticsearchConfig;
  /** Folder for NDJSON `_bulk` bodies instead of Elasticsearch (`--output`). */
  readonly output: string | undefined;
  readonly window: WindowConfig;
  readonly gate: GateConfig;
  readonly run: RunConfig;
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
}
