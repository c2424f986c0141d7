/**
 * The map from each configuration key to its flag, environment variable and config-file path, and the lookup that
 * applies the precedence flags > environment > config file. Credentials are deliberately absent from this table:
 * they come only from the environment (see auth.ts), never from flags (visible in `ps`) or files (committed to git).
 */
import { type Found, type Origin, kebab } from "./origin.js";

export interface Setting {
  /** Path in the config file. */
  readonly path: string;
  readonly env: string;
  /** camelCase flag name, when the CLI offers one. */
  readonly flag?: string;
}

export const settings = {
  apiUrl: { path: "cloudflare.apiUrl", env: "CF_API_URL", flag: "cfApiUrl" },
  zones: { path: "cloudflare.zones", env: "CF_ZONES" },
  accounts: { path: "cloudflare.accounts", env: "CF_ACCOUNTS" },
  datasets: { path: "datasets", env: "CF_DATASETS", flag: "dataset" },
  topN: { path: "cloudflare.topN", env: "CF_TOP_N", flag: "topN" },
  confidence: { path: "cloudflare.confidenceLevel", env: "CF_CONFIDENCE_LEVEL" },
  queryBudget: { path: "cloudflare.queryBudget", env: "CF_QUERY_BUDGET", flag: "queryBudget" },
  cfTimeout: { path: "cloudflare.timeoutSeconds", env: "CF_TIMEOUT_SECONDS" },
  maxRetry: { path: "cloudflare.maxRetrySeconds", env: "CF_MAX_RETRY_SECONDS" },
  cfCaFile: { path: "cloudflare.caFile", env: "CF_CA_FILE" },
  maxResponseBytes: { path: "cloudflare.maxResponseBytes", env: "CF_MAX_RESPONSE_BYTES" },
  esUrl: { path: "elasticsearch.url", env: "ES_URL", flag: "esUrl" },
  caFile: { path: "elasticsearch.caFile", env: "ES_CA_FILE" },
  tlsVerify: { path: "elasticsearch.tlsVerify", env: "ES_TLS_VERIFY" },
  indexPrefix: { path: "elasticsearch.indexPrefix", env: "ES_INDEX_PREFIX", flag: "indexPrefix" },
  indexPeriod: { path: "elasticsearch.indexPeriod", env: "ES_INDEX_PERIOD", flag: "indexPeriod" },
  retentionDays: { path: "elasticsearch.retentionDays", env: "ES_RETENTION_DAYS", flag: "retentionDays" },
  output: { path: "output", env: "OUTPUT_DIR", flag: "output" },
  settle: { path: "window.settleMinutes", env: "SETTLE_MINUTES", flag: "settleMinutes" },
  overlap: { path: "window.overlapMinutes", env: "OVERLAP_MINUTES", flag: "overlapMinutes" },
  maxBackfill: { path: "window.maxBackfillDays", env: "MAX_BACKFILL_DAYS", flag: "maxBackfillDays" },
  gateUri: { path: "gate.uri", env: "NO_CONCURRENCY_URI", flag: "gateUri" },
  cluster: { path: "gate.cluster", env: "LOCAL_CLUSTER" },
  namespace: { path: "gate.namespace", env: "LOCAL_NAMESPACE" },
  gateTimeout: { path: "gate.timeoutSeconds", env: "GATE_TIMEOUT_SECONDS" },
  gateCaFile: { path: "gate.caFile", env: "GATE_CA_FILE" },
  deadline: { path: "run.deadlineSeconds", env: "RUN_DEADLINE_SECONDS", flag: "deadline" },
  logLevel: { path: "log.level", env: "LOG_LEVEL", flag: "logLevel" },
  logFormat: { path: "log.format", env: "LOG_FORMAT", flag: "logFormat" },
} as const satisfies Record<string, Setting>;

/** Every key the config file may contain, as dotted paths. */
export const filePaths: readonly string[] = Object.values(settings).map((s) => s.path);

/** The config file after parsing and the structural check: dotted path -> raw value. */
export interface ConfigFile {
  readonly file: string;
  readonly values: ReadonlyMap<string, unknown>;
}

export class Sources {
  constructor(
    private readonly flags: Record<string, unknown>,
    private readonly env: Record<string, string | undefined>,
    private readonly file: ConfigFile | undefined = undefined,
  ) {}

  withFile(file: ConfigFile | undefined): Sources {
    return new Sources(this.flags, this.env, file);
  }

  /** A flag as yargs parsed it (camel or kebab key); `undefined`/`null` mean not given. */
  flag(name: string): Found | undefined {
    for (const key of [name, kebab(name)]) {
      const value = this.flags[key];
      if (value !== undefined && value !== null) return { value, origin: { kind: "flag", name } };
    }
    return undefined;
  }

  /** An environment variable. Empty (or blank) counts as unset: manifests often template `value: ""`. */
  envVar(name: string): Found | undefined {
    const value = this.env[name];
    if (value === undefined || value.trim() === "") return undefined;
    return { value, origin: { kind: "env", name } };
  }

  fileValue(path: string): Found | undefined {
    if (!this.file) return undefined;
    const value = this.file.values.get(path);
    // YAML `key:` with nothing after it is null: treat it as absent, so keys can be blanked out.
    if (value === undefined || value === null) return undefined;
    const origin: Origin = { kind: "file", path, file: this.file.file };
    return { value, origin };
  }

  /** The winning value for a setting. A flag given twice arrives as an array; the last one wins, as in most CLIs. */
  lookup(setting: Setting): Found | undefined {
    const flag = setting.flag === undefined ? undefined : this.flag(setting.flag);
    if (flag) return Array.isArray(flag.value) ? { ...flag, value: flag.value.at(-1) } : flag;
    return this.envVar(setting.env) ?? this.fileValue(setting.path);
  }
}
