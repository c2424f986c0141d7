/**
 * Builds the one validated `Config` of a run from flags > environment > config file > defaults, setting by setting
 * as settings.ts declares them. Everything is checked here, before any network call, and all problems are thrown
 * together as one `ConfigError`. The only I/O is `readFile` (config file, CA files, `*_FILE` secrets), injectable so
 * tests need no disk.
 */
import { readFileSync } from "node:fs";
import { cloudflareAuth, elasticsearchAuth } from "./auth.js";
import { ConfigError } from "./errors.js";
import { editDistance, loadConfigFile, type ReadFile } from "./file.js";
import { Problems } from "./origin.js";
import { SETTINGS, type Setting, settingAt, settingOf } from "./settings.js";
import { setAt, Sources } from "./sources.js";
import type { Config } from "./types.js";
import { parseValue } from "./validate.js";
import { narrowZones, runZones } from "./zones.js";

export interface LoadConfigInput {
  /** Parsed by yargs: kebab-case (and camelCase) keys; keys that are not settings are ignored. */
  readonly flags: Record<string, unknown>;
  readonly env: Record<string, string | undefined>;
  readonly readFile?: (path: string) => string;
  readonly mode?: {
    /** Demo zones when none are configured, and Cloudflare credentials become optional. */
    readonly demo?: boolean;
    /** `false` for commands that never call Cloudflare (`bootstrap`): credentials and zones become optional. */
    readonly requireCloudflareAuth?: boolean;
  };
  /** Told about accepted but doubtful settings (a deprecated or unknown variable, credentials over plain http). */
  readonly onWarning?: (message: string) => void;
}

export function loadConfig(input: LoadConfigInput): Config {
  const problems = new Problems();
  const readFile: ReadFile = input.readFile ?? ((path) => readFileSync(path, "utf8"));
  const warn = input.onWarning ?? (() => {});
  const demo = input.mode?.demo === true;
  const needsCloudflare = !demo && input.mode?.requireCloudflareAuth !== false;
  for (const message of unknownVariables(input.env)) warn(message);

  const bare = new Sources(input.flags, input.env);
  const configPath = bare.lookup(settingOf("CONFIG_FILE")!);
  const file = configPath && loadConfigFile(configPath, readFile, problems);
  const sources = bare.withFile(file);

  const values: Record<string, unknown> = {};
  setAt(values, "cloudflare.auth", cloudflareAuth({ sources, problems, readFile, warn }, needsCloudflare));
  setAt(values, "elasticsearch.auth", elasticsearchAuth({ sources, problems, readFile, warn }));
  for (const setting of SETTINGS as readonly Setting[]) {
    if (!setting.key) continue;
    const found = sources.lookup(setting);
    setAt(values, setting.key, (found && parseValue(setting, found, problems, readFile)) ?? setting.default);
  }
  const config = values as unknown as Config;

  // Zones may be absent when accounts stand in for them, or when the file that holds them failed to load.
  const required = needsCloudflare && (config.cloudflare.accounts ?? []).length === 0 && !(configPath && !file);
  const zones = runZones(sources.lookup(settingAt("cloudflare.zones")), config.cloudflare.zones, problems, { demo, required });
  setAt(values, "cloudflare.zones", narrowZones(zones, sources.flag("zone"), problems));
  setAt(values, "cloudflare.accounts", config.cloudflare.accounts ?? []);

  const es = config.elasticsearch;
  if (es.url?.startsWith("http:") && es.auth.kind !== "none") warn(`Elasticsearch is reached over plain http (${es.url}): its credentials travel unencrypted`);
  if (es.url?.startsWith("https:") && !es.tlsVerify) warn("TLS certificate verification for Elasticsearch is off (ES_TLS_VERIFY=false); prefer ES_CA_FILE");

  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return deepFreeze(config);
}

/**
 * Elasticsearch's own launcher and our test harness read these; they are no misspelt setting of the exporter.
 * (`*_FILE` variants of the credentials are settings, see `settingOf`.)
 */
const NEIGHBOURS = [
  "ES_JAVA_HOME",
  "ES_JAVA_OPTS",
  "ES_PATH_CONF",
  "ES_TMPDIR",
  "ES_VERSION",
  "ES_LOG",
  "ES_STARTED_BY_TESTS",
  "ES_MAVEN_URL",
  "ES_PORT",
  "ES_ZIP_SHA1",
];

/** A warning for every set `CF_*`/`ES_*` variable the exporter does not read: a typo there is otherwise silent. */
function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = (SETTINGS as readonly Setting[]).flatMap((s) => [s.env ?? "", ...(s.aliases ?? []), ...(s.secret ? [`${s.env}_FILE`] : [])]);
  return Object.keys(env)
    .filter((name) => /^(CF|ES)_/.test(name) && env[name]?.trim() && !settingOf(name) && !NEIGHBOURS.includes(name))
    .map((name) => {
      const close = known
        .filter((k) => k.slice(0, 3) === name.slice(0, 3) && editDistance(k, name) <= 2)
        .sort((a, b) => editDistance(a, name) - editDistance(b, name))[0];
      return `${name} is not a setting of this exporter; ${close ? `did you mean ${close}?` : "it is ignored (--help lists the variables each command reads)"}`;
    });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
