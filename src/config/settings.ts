/**
 * Every setting of the exporter, declared once: its environment variable, flag, config-file key, kind, default,
 * bounds, whether it is secret, its help text and the commands that use it. The loader, each command's options and
 * `--help`, `describeConfig`, the README's configuration table and (by a test) the chart's schema all follow it.
 */
export type Command = "run" | "backfill" | "bootstrap" | "check" | "verify";
export type Unit = "seconds" | "minutes" | "days";
/**
 * How a raw value is parsed (see validate.ts); `secret` and `owners` have loaders of their own (auth.ts, zones.ts).
 * `globs`: a list of ids, names or `*`/`?` patterns that narrows discovered zones or accounts (cloudflare/discovery.ts).
 * `declared`: the config file's dataset declarations, checked against Cloudflare's schema (declared.ts).
 */
type Kind = "whole" | "bool" | "choice" | "url" | "text" | "ca" | "share" | "prefix" | "owners" | "globs" | "datasets" | "ids" | "secret" | "declared";

export interface Setting {
  /** The config-file key, which is also its path in `Config` (types.ts); absent when it never comes from the file. */
  readonly key?: string;
  readonly env?: string;
  /** Older variable names still read; the first one set wins, with a warning naming `env`. */
  readonly aliases?: readonly string[];
  /** kebab-case; absent when the setting has no flag (credentials never do: flags show in `ps`). */
  readonly flag?: string;
  readonly kind: Kind;
  readonly default?: string | number | boolean;
  /** The default as the README and `--help` show it, when that is not the value itself. */
  readonly shown?: string;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: Unit;
  /** Why the bounds are what they are; appended to an out-of-range message. */
  readonly why?: string;
  readonly choices?: readonly string[];
  /** Only from the environment or `<env>_FILE`, never shown, at least MIN_SECRET_LENGTH characters. */
  readonly secret?: boolean;
  readonly help: string;
  readonly commands: readonly Command[];
}

/** Shorter secrets are refused: the log redactor would blank every word that contains them ("inde<redacted>"). */
export const MIN_SECRET_LENGTH = 8;

const ALL: readonly Command[] = ["run", "backfill", "bootstrap", "check", "verify"];
const CLOUDFLARE: readonly Command[] = ["run", "backfill", "check", "verify"];
const WRITING: readonly Command[] = ["run", "backfill", "bootstrap"];
const EXPORT: readonly Command[] = ["run", "backfill"];
const GATED: readonly Command[] = ["run", "backfill", "check"];

export const SETTINGS = [
  { env: "CONFIG_FILE", flag: "config", kind: "text", help: "YAML (`.yaml`/`.yml`) or JSON config file", commands: ALL },
  {
    key: "cloudflare.apiUrl",
    env: "CF_API_URL",
    flag: "cf-api-url",
    kind: "url",
    default: "https://api.cloudflare.com/client/v4/graphql",
    help: "GraphQL endpoint",
    commands: CLOUDFLARE,
  },
  { env: "CF_API_TOKEN", kind: "secret", secret: true, help: "API token with Zone > Analytics > Read (preferred)", commands: CLOUDFLARE },
  { env: "CF_API_EMAIL", kind: "text", help: "with CF_API_KEY: the legacy global API key's account e-mail", commands: CLOUDFLARE },
  { env: "CF_API_KEY", kind: "secret", secret: true, help: "with CF_API_EMAIL: the legacy global API key", commands: CLOUDFLARE },
  {
    key: "cloudflare.zones",
    env: "CF_ZONES",
    kind: "owners",
    help: "zones: `id=name,id=name` (file: `[{id, name}]`); without zones and accounts both are discovered (see [Discovery](#discovery))",
    commands: CLOUDFLARE,
  },
  { flag: "zone", kind: "ids", help: "only these zone ids, configured or discovered (repeatable or a comma list); never adds a zone", commands: ["backfill"] },
  {
    key: "cloudflare.accounts",
    env: "CF_ACCOUNTS",
    kind: "owners",
    help: "accounts for Workers, R2 and Logpush: `id=name,...` (file: `[{id, name}]`)",
    commands: CLOUDFLARE,
  },
  // Discovery: with neither zones nor accounts configured, both are listed from Cloudflare's REST API at the start of
  // each run (cloudflare/discovery.ts). One include/exclude pair per kind: zone names are domains, account names free
  // text, and "only these accounts" is the narrowing people with many accounts ask for (it narrows their zones too).
  {
    key: "cloudflare.zonesInclude",
    env: "CF_ZONES_INCLUDE",
    kind: "globs",
    help: "with discovery (no `CF_ZONES`/`CF_ACCOUNTS`): only zones whose id or name matches one of these (comma list; `*` and `?` wildcards)",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.zonesExclude",
    env: "CF_ZONES_EXCLUDE",
    kind: "globs",
    help: "with discovery: leave out zones whose id or name matches one of these; wins over the include list",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.accountsInclude",
    env: "CF_ACCOUNTS_INCLUDE",
    kind: "globs",
    help: "with discovery: only accounts whose id or name matches one of these, and only their zones",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.accountsExclude",
    env: "CF_ACCOUNTS_EXCLUDE",
    kind: "globs",
    help: "with discovery: leave out accounts whose id or name matches one of these, and their zones",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.restUrl",
    env: "CF_REST_URL",
    flag: "cf-rest-url",
    kind: "url",
    shown: "CF_API_URL without /graphql",
    help: "Cloudflare's REST API, for discovery and the tunnel snapshots (`https://api.cloudflare.com/client/v4`)",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.restBudget",
    env: "CF_REST_BUDGET",
    kind: "whole",
    default: 600,
    min: 1,
    max: 1200,
    why: "Cloudflare allows 1200 per 5 minutes per user, shared with the dashboard and every other tool",
    help: "REST requests per 5 minutes that discovery and the tunnel snapshots allow themselves (Cloudflare allows 1200 per user)",
    commands: CLOUDFLARE,
  },
  {
    key: "datasets",
    env: "CF_DATASETS",
    flag: "dataset",
    kind: "datasets",
    shown: "default",
    help: "these datasets (repeatable or a comma list; `default`: every dataset not opt-in, `all`: opt-in ones too; see [Datasets](#datasets)); never widens what a plan allows; `verify` defaults to http_requests",
    commands: ALL,
  },
  {
    key: "customDatasets",
    kind: "declared",
    help: "datasets of your own on any per-minute Adaptive node of Cloudflare's schema, checked against it when the configuration loads (config file only; see [Custom datasets](#custom-datasets))",
    commands: ALL,
  },
  {
    key: "cloudflare.topN",
    env: "CF_TOP_N",
    flag: "top-n",
    kind: "whole",
    default: 100,
    min: 1,
    max: 10_000,
    why: "it is the number of entries kept per minute and breakdown",
    help: "entries kept per minute in capped breakdowns; the rest is summed into `__other__`",
    commands: EXPORT,
  },
  {
    key: "cloudflare.confidenceLevel",
    env: "CF_CONFIDENCE_LEVEL",
    kind: "share",
    shown: "off",
    help: "e.g. `0.95`: store Cloudflare's confidence bounds of sampled counts on each entry",
    commands: EXPORT,
  },
  {
    key: "cloudflare.queryBudget",
    env: "CF_QUERY_BUDGET",
    flag: "query-budget",
    kind: "whole",
    default: 250,
    min: 1,
    max: 300,
    why: "Cloudflare allows 300 per 5 minutes",
    help: "Cloudflare queries per 5 minutes (Cloudflare allows 300)",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.rateLimit",
    env: "CF_RATE_LIMIT",
    flag: "rate-limit",
    kind: "choice",
    default: "user",
    choices: ["user", "account-based"],
    help: "`account-based`: Cloudflare's opt-in rate limiting per zone and account (each its own 300 queries per 5 minutes, one zone per request; CF_QUERY_BUDGET is then the share of each) instead of one budget for the token",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.timeoutSeconds",
    env: "CF_TIMEOUT_SECONDS",
    kind: "whole",
    default: 60,
    min: 1,
    max: 3600,
    unit: "seconds",
    help: "timeout of one request",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.maxRetrySeconds",
    env: "CF_MAX_RETRY_SECONDS",
    kind: "whole",
    default: 600,
    min: 0,
    max: 86_400,
    unit: "seconds",
    help: "total time retrying one request",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.caFile",
    env: "CF_CA_FILE",
    kind: "ca",
    help: "extra CA certificate (PEM) to trust for the Cloudflare endpoint, e.g. a TLS-inspecting proxy's",
    commands: CLOUDFLARE,
  },
  {
    key: "cloudflare.maxResponseBytes",
    env: "CF_MAX_RESPONSE_BYTES",
    kind: "whole",
    default: 64 << 20,
    shown: "67108864 (64 MiB)",
    min: 1 << 20,
    max: 1 << 30,
    why: "a bigger answer would not fit a small pod's memory",
    help: "a larger Cloudflare answer is refused while it streams",
    commands: CLOUDFLARE,
  },
  { key: "elasticsearch.url", env: "ES_URL", flag: "es-url", kind: "url", help: "Elasticsearch URL, without credentials", commands: ALL },
  { env: "ES_API_KEY", kind: "secret", secret: true, help: "API key (the `encoded` value)", commands: ALL },
  { env: "ES_USER", aliases: ["ES_USERNAME"], kind: "text", help: "or basic auth: the user name, with ES_PASSWORD", commands: ALL },
  { env: "ES_PASSWORD", aliases: ["ES_PASSWD"], kind: "secret", secret: true, help: "the password of ES_USER", commands: ALL },
  { key: "elasticsearch.caFile", env: "ES_CA_FILE", kind: "ca", help: "CA certificate (PEM) that signed the cluster's certificate", commands: ALL },
  { key: "elasticsearch.tlsVerify", env: "ES_TLS_VERIFY", kind: "bool", default: true, help: "verify the server certificate", commands: ALL },
  {
    key: "elasticsearch.indexPrefix",
    env: "ES_INDEX_PREFIX",
    flag: "index-prefix",
    kind: "prefix",
    default: "cloudflare",
    max: 100,
    help: "index names `<prefix>-<dataset>-<period>`",
    commands: ALL,
  },
  {
    key: "elasticsearch.indexPeriod",
    env: "ES_INDEX_PERIOD",
    flag: "index-period",
    kind: "choice",
    default: "month",
    choices: ["day", "week", "month"],
    help: "one index per day, week or month",
    commands: WRITING,
  },
  {
    key: "elasticsearch.indexMode",
    env: "ES_INDEX_MODE",
    flag: "index-mode",
    kind: "choice",
    default: "time_series",
    choices: ["time_series", "standard"],
    help: "new data indices as time-series indices (about a third of the disk) or standard ones; existing indices keep theirs",
    commands: WRITING,
  },
  {
    key: "elasticsearch.retentionDays",
    env: "ES_RETENTION_DAYS",
    flag: "retention-days",
    kind: "whole",
    default: 400,
    min: 1,
    max: 36_500,
    unit: "days",
    help: "ILM deletes an index this long after its period ends",
    commands: WRITING,
  },
  {
    key: "output",
    env: "OUTPUT_DIR",
    flag: "output",
    kind: "text",
    help: "write NDJSON `_bulk` files into this folder instead of Elasticsearch",
    commands: ["run", "backfill", "bootstrap", "check"],
  },
  {
    key: "window.settleMinutes",
    env: "SETTLE_MINUTES",
    flag: "settle-minutes",
    kind: "whole",
    default: 5,
    min: 0,
    max: 1440,
    unit: "minutes",
    help: "Cloudflare's newest minutes are incomplete: leave them",
    commands: EXPORT,
  },
  {
    key: "window.overlapMinutes",
    env: "OVERLAP_MINUTES",
    flag: "overlap-minutes",
    kind: "whole",
    default: 15,
    min: 0,
    max: 1440,
    unit: "minutes",
    help: "re-read this many minutes before the newest stored one",
    commands: ["run"],
  },
  // The real cap is each dataset's notOlderThan, applied when planning; this only bounds the search.
  {
    key: "window.maxBackfillDays",
    env: "MAX_BACKFILL_DAYS",
    flag: "max-backfill-days",
    kind: "whole",
    default: 7,
    min: 1,
    max: 400,
    unit: "days",
    help: "how far back holes are healed (never beyond Cloudflare's `notOlderThan`)",
    commands: ["run", "check"],
  },
  { key: "gate.uri", env: "NO_CONCURRENCY_URI", flag: "gate-uri", kind: "url", help: 'the "may I run" URI; setting it enables the gate', commands: GATED },
  // Sent to the gate as query parameters exactly as given; empty when unknown.
  { key: "gate.cluster", env: "LOCAL_CLUSTER", kind: "text", default: "", help: "sent to the gate as `cluster`", commands: GATED },
  { key: "gate.namespace", env: "LOCAL_NAMESPACE", kind: "text", default: "", help: "sent to the gate as `namespace`", commands: GATED },
  {
    key: "gate.timeoutSeconds",
    env: "GATE_TIMEOUT_SECONDS",
    kind: "whole",
    default: 10,
    min: 1,
    max: 3600,
    unit: "seconds",
    help: "timeout of the gate request",
    commands: GATED,
  },
  { key: "gate.caFile", env: "GATE_CA_FILE", kind: "ca", help: "extra CA certificate (PEM) to trust for an https gate", commands: GATED },
  {
    key: "run.deadlineSeconds",
    env: "RUN_DEADLINE_SECONDS",
    flag: "deadline",
    kind: "whole",
    min: 10,
    max: 7 * 86_400,
    unit: "seconds",
    shown: "none",
    help: "seconds a run may take: no new window is started after it; the chart sets it from the Job's deadline",
    commands: EXPORT,
  },
  {
    key: "log.level",
    env: "LOG_LEVEL",
    flag: "log-level",
    kind: "choice",
    default: "info",
    choices: ["error", "warn", "info", "debug"],
    help: "`error`, `warn`, `info` or `debug`",
    commands: ALL,
  },
  {
    key: "log.format",
    env: "LOG_FORMAT",
    flag: "log-format",
    kind: "choice",
    default: "auto",
    choices: ["auto", "json", "text"],
    help: "`json`, `text`, or `auto` (text on a terminal)",
    commands: ALL,
  },
] as const satisfies readonly Setting[];

/** The setting read from `env` (or one of its aliases, or its `_FILE` variant); undefined for anything else. */
export function settingOf(env: string): Setting | undefined {
  const list: readonly Setting[] = SETTINGS;
  return list.find((s) => s.env === env || s.aliases?.includes(env) || (s.secret === true && `${s.env}_FILE` === env));
}

export function settingAt(key: string): Setting {
  const found = (SETTINGS as readonly Setting[]).find((s) => s.key === key);
  if (!found) throw new TypeError(`no setting has the key ${key}`);
  return found;
}
