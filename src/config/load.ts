/**
 * Builds the one validated `Config` of a run from flags > environment > config file > defaults, setting by setting
 * as settings.ts declares them. Everything is checked here, before any network call, and all problems are thrown
 * together as one `ConfigError`. The only I/O is `readFile` (config file, CA files, `*_FILE` secrets), injectable so
 * tests need no disk.
 */
import { readFileSync } from "node:fs";
import { cloudflareAuth, elasticsearchAuth } from "./auth.js";
import { declarations } from "./declared.js";
import { ConfigError } from "./errors.js";
import { editDistance, loadConfigFile, type ReadFile } from "./file.js";
import { display, type Found, labelOf, Problems } from "./origin.js";
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
  // Declared datasets first: their names are dataset names that `datasets` may list.
  const declaredFound = sources.lookup(settingAt("customDatasets"));
  const declared = (declaredFound && declarations(declaredFound, problems)) ?? [];
  for (const setting of SETTINGS as readonly Setting[]) {
    if (!setting.key) continue;
    if (setting.kind === "declared") {
      setAt(values, setting.key, declared);
      continue;
    }
    const found = sources.lookup(setting);
    const names = declared.map((d) => d.name);
    setAt(values, setting.key, (found && parseValue(setting, found, problems, readFile, names)) ?? setting.default);
  }
  const config = values as unknown as Config;

  // Neither zones nor accounts given: both are discovered from Cloudflare when the command runs (commands/context.ts
  // `resolveOwners`), and `--zone` narrows the discovered zones then.
  const zones = runZones(config.cloudflare.zones, demo);
  setAt(values, "cloudflare.zones", narrowZones(zones, sources.flag("zone"), problems));
  setAt(values, "cloudflare.accounts", config.cloudflare.accounts ?? []);
  // An empty list in the file (`zones: []`) lists nothing, like an unset variable.
  const listed = ["cloudflare.zones", "cloudflare.accounts"]
    .map((key) => sources.lookup(settingAt(key)))
    .find((found) => found !== undefined && !(Array.isArray(found.value) && found.value.length === 0));
  setAt(values, "cloudflare.restUrl", config.cloudflare.restUrl ?? restUrlOf(config.cloudflare.apiUrl));
  if (!demo) checkDiscovery(sources, listed, config, problems, needsCloudflare);

  const es = config.elasticsearch;
  if (es.url?.startsWith("http:") && es.auth.kind !== "none") warn(`Elasticsearch is reached over plain http (${es.url}): its credentials travel unencrypted`);
  if (es.url?.startsWith("https:") && !es.tlsVerify) warn("TLS certificate verification for Elasticsearch is off (ES_TLS_VERIFY=false); prefer ES_CA_FILE");

  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return deepFreeze(config);
}

const FILTERS = ["cloudflare.zonesInclude", "cloudflare.zonesExclude", "cloudflare.accountsInclude", "cloudflare.accountsExclude"];

/**
 * Filters narrow discovery and nothing else: beside an explicit list they would be silently ignored, so they are
 * refused there. Discovery needs a REST endpoint, which is derived from the GraphQL one when that ends in /graphql.
 */
function checkDiscovery(sources: Sources, listed: Found | undefined, config: Config, problems: Problems, needsCloudflare: boolean): void {
  const filters = FILTERS.flatMap((key) => sources.lookup(settingAt(key)) ?? []);
  if (listed) {
    for (const filter of filters) {
      problems.bad(
        filter,
        `narrows discovered zones and accounts, but ${labelOf(listed.origin)} lists them explicitly (then nothing is discovered)`,
        `remove ${labelOf(filter.origin)}, or remove ${labelOf(listed.origin)} to discover zones and accounts from Cloudflare`,
      );
    }
    return;
  }
  if (needsCloudflare && config.cloudflare.restUrl === undefined) {
    const apiUrl = sources.lookup(settingAt("cloudflare.apiUrl"));
    problems.add(
      "CF_REST_URL",
      undefined,
      `is not set, and cannot be derived from ${apiUrl ? `${labelOf(apiUrl.origin)} = ${display(config.cloudflare.apiUrl)}` : "CF_API_URL"} (it does not end in /graphql); discovery of zones and accounts needs Cloudflare's REST API`,
      "set CF_REST_URL (e.g. https://api.cloudflare.com/client/v4, or your proxy's equivalent), or list the zones in CF_ZONES",
    );
  }
}

/** `https://api.cloudflare.com/client/v4/graphql` -> `https://api.cloudflare.com/client/v4`; undefined without /graphql. */
function restUrlOf(apiUrl: string): string | undefined {
  const match = /^(.*)\/graphql\/?$/.exec(apiUrl.split(/[?#]/)[0] ?? "");
  return match?.[1];
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
