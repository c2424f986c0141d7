/**
 * Builds the one validated `Config` of a run from flags > environment > config file > defaults. Everything is
 * checked here, before any network call, and all problems are thrown together as one `ConfigError`. The only I/O is
 * `readFile` (config file, CA file, `*_FILE` secrets), injectable so tests need no disk.
 */
import { readFileSync } from "node:fs";
import { cloudflareAuth, elasticsearchAuth } from "./auth.js";
import { ConfigError } from "./errors.js";
import { loadConfigFile, type ReadFile } from "./file.js";
import { type Found, labelOf, Problems } from "./origin.js";
import { type Setting, settings, Sources } from "./sources.js";
import type { Config, IndexPeriod, LogFormat, LogLevel, Zone } from "./types.js";
import { bool, caFile, httpUrl, indexPrefix, nameList, oneOf, share, text, type WholeNumberRule, wholeNumber } from "./validate.js";
import { ACCOUNTS, demoZones, narrowZones, type OwnerKind, ZONES, zonesFromEnv, zonesFromFile } from "./zones.js";
import { DATASET_NAMES } from "../datasets/names.js";

export interface LoadConfigInput {
  /** Parsed by yargs: camelCase (and kebab-case) keys; keys that are not configuration are ignored. */
  readonly flags: Record<string, unknown>;
  readonly env: Record<string, string | undefined>;
  readonly readFile?: (path: string) => string;
  readonly mode?: {
    /** Demo zones when none are configured, and Cloudflare credentials become optional. */
    readonly demo?: boolean;
    /** `false` for commands that never call Cloudflare (e.g. `simulate`). @default true */
    readonly requireCloudflareAuth?: boolean;
  };
  /** Told about accepted but doubtful settings (a deprecated variable name, credentials over plain http). */
  readonly onWarning?: (message: string) => void;
}

const indexPeriods: readonly IndexPeriod[] = ["day", "week", "month"];
const logLevels: readonly LogLevel[] = ["error", "warn", "info", "debug"];
const logFormats: readonly LogFormat[] = ["auto", "json", "text"];

const seconds = (min: number, max: number): WholeNumberRule => ({ min, max, unit: "seconds" });
const minutes = { min: 0, max: 1440, unit: "minutes" } as const;

export function loadConfig(input: LoadConfigInput): Config {
  const problems = new Problems();
  const readFile: ReadFile = input.readFile ?? ((path) => readFileSync(path, "utf8"));
  const warn = input.onWarning ?? (() => {});
  const demo = input.mode?.demo === true;

  const bare = new Sources(input.flags, input.env);
  const configPath = bare.flag("config") ?? bare.envVar("CONFIG_FILE");
  const file = configPath && loadConfigFile(configPath, readFile, problems);
  const sources = bare.withFile(file);
  // Zones may live in a file that failed to load; "no zones" on top of that error would only mislead.
  const zonesMayBeMissing = configPath !== undefined && file === undefined;

  /** The winning value of a setting, parsed; the default when it is absent or invalid (the problem is recorded). */
  const get = <T>(setting: Setting, parse: (found: Found) => T | undefined, fallback: T): T => {
    const found = sources.lookup(setting);
    return (found && parse(found)) ?? fallback;
  };
  const whole = (setting: Setting, rule: WholeNumberRule, fallback: number): number =>
    get(setting, (f) => wholeNumber(f, rule, problems), fallback);
  const optional = <T>(setting: Setting, parse: (found: Found) => T | undefined): T | undefined => {
    const found = sources.lookup(setting);
    return found && parse(found);
  };

  const accounts = owners(sources, settings.accounts, ACCOUNTS, problems) ?? [];
  const cloudflare = {
    apiUrl: get(settings.apiUrl, (f) => httpUrl(f, "cloudflare", problems), "https://api.cloudflare.com/client/v4/graphql"),
    auth: cloudflareAuth({ sources, problems, readFile, warn }, !demo && input.mode?.requireCloudflareAuth !== false),
    zones: narrowZones(zones(sources, problems, demo, zonesMayBeMissing || accounts.length > 0), sources.flag("zone"), problems),
    accounts,
    confidenceLevel: optional(settings.confidence, (f) => share(f, problems)),
    topN: whole(settings.topN, { min: 1, max: 10_000, why: "it is the number of entries kept per minute and breakdown" }, 100),
    queryBudget: whole(settings.queryBudget, { min: 1, max: 300, why: "Cloudflare allows 300 per 5 minutes" }, 250),
    timeoutSeconds: whole(settings.cfTimeout, seconds(1, 3600), 60),
    maxRetrySeconds: whole(settings.maxRetry, seconds(0, 86400), 600),
    caFile: optional(settings.cfCaFile, (f) => caFile(f, readFile, problems)),
    maxResponseBytes: whole(settings.maxResponseBytes, { min: 1 << 20, max: 1 << 30, why: "a bigger answer would not fit a small pod's memory" }, 64 << 20),
  };

  const esAuth = elasticsearchAuth({ sources, problems, readFile, warn });
  const elasticsearch = {
    url: optional(settings.esUrl, (f) => httpUrl(f, "elasticsearch", problems)),
    auth: esAuth,
    caFile: optional(settings.caFile, (f) => caFile(f, readFile, problems)),
    tlsVerify: get(settings.tlsVerify, (f) => bool(f, problems), true),
    indexPrefix: get(settings.indexPrefix, (f) => indexPrefix(f, problems), "cloudflare"),
    indexPeriod: get(settings.indexPeriod, (f) => oneOf(f, indexPeriods, problems), "month"),
    retentionDays: whole(settings.retentionDays, { min: 1, max: 36500, unit: "days" }, 400),
  };
  if (elasticsearch.url?.startsWith("http:") && esAuth.kind !== "none") {
    warn(`Elasticsearch is reached over plain http (${elasticsearch.url}): its credentials travel unencrypted`);
  }
  if (elasticsearch.url?.startsWith("https:") && !elasticsearch.tlsVerify) {
    warn("TLS certificate verification for Elasticsearch is off (ES_TLS_VERIFY=false); prefer ES_CA_FILE");
  }

  const datasetsFlag = sources.flag(settings.datasets.flag);
  const datasetsFound = datasetsFlag ?? sources.envVar(settings.datasets.env) ?? sources.fileValue(settings.datasets.path);
  const config: Config = {
    cloudflare,
    datasets: datasetsFound && nameList(datasetsFound, DATASET_NAMES, "datasets", problems),
    elasticsearch,
    output: optional(settings.output, (f) => text(f, problems)),
    window: {
      settleMinutes: whole(settings.settle, minutes, 5),
      overlapMinutes: whole(settings.overlap, minutes, 15),
      // The real cap is each dataset's notOlderThan, applied when planning; this only bounds the search.
      maxBackfillDays: whole(settings.maxBackfill, { min: 1, max: 400, unit: "days" }, 7),
    },
    gate: {
      uri: optional(settings.gateUri, (f) => httpUrl(f, "gate", problems)),
      // Sent to the gate as query parameters exactly as given; empty when unknown.
      cluster: get(settings.cluster, (f) => text(f, problems), ""),
      namespace: get(settings.namespace, (f) => text(f, problems), ""),
      timeoutSeconds: whole(settings.gateTimeout, seconds(1, 3600), 10),
      caFile: optional(settings.gateCaFile, (f) => caFile(f, readFile, problems)),
    },
    run: { deadlineSeconds: optional(settings.deadline, (f) => wholeNumber(f, seconds(10, 7 * 86400), problems)) },
    log: {
      level: get(settings.logLevel, (f) => oneOf(f, logLevels, problems), "info"),
      format: get(settings.logFormat, (f) => oneOf(f, logFormats, problems), "auto"),
    },
  };

  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return deepFreeze(config);
}

/** Zones from CF_ZONES or the file; the demo zones when there are none in demo mode. `quiet`: the file that may
 *  hold them did not load, which is reported already. */
function zones(sources: Sources, problems: Problems, demo: boolean, quiet: boolean): readonly Zone[] {
  const found = sources.lookup(settings.zones);
  const parsed = owners(sources, settings.zones, ZONES, problems);
  if (found && parsed === undefined) return []; // already reported
  if (parsed && parsed.length > 0) return parsed;
  if (demo) return demoZones;
  if (quiet) return [];
  problems.add(
    found ? labelOf(found.origin) : "CF_ZONES",
    undefined,
    "no zones (and no accounts) are configured",
    "set CF_ZONES=<zone id>=<name>,<zone id>=<name> (or cloudflare.zones in the config file); zone ids are on each zone's Overview page. Account-scoped datasets need CF_ACCOUNTS instead",
  );
  return [];
}

/** Zones or accounts from the environment or the file; undefined when absent or invalid (problems are recorded). */
function owners(sources: Sources, setting: Setting, kind: OwnerKind, problems: Problems): Zone[] | undefined {
  const found = sources.lookup(setting);
  if (!found) return undefined;
  return found.origin.kind === "file" ? zonesFromFile(found, problems, kind) : zonesFromEnv(found, problems, kind);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
