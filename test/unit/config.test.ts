import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Config, ConfigError, describeConfig, loadConfig, type LoadConfigInput } from "../../src/config/index.js";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE2 = "372e67954025e0ba6aaa6d586b9e0b59";
const TOKEN = "cf-token-SECRET-0001";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The smallest environment that loads: one zone and a token. */
const minimalEnv = { CF_ZONES: `${ZONE}=example.com`, CF_API_TOKEN: TOKEN };

/** A readFile over an in-memory map that fails like fs does for anything else. */
function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    return text;
  };
}

function load(input: Partial<LoadConfigInput>): Config {
  return loadConfig({ flags: {}, env: {}, readFile: files({}), ...input });
}

function loadError(input: Partial<LoadConfigInput>): ConfigError {
  try {
    load(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected loadConfig to throw");
}

/** Asserts that the message names the key and contains each of the given fragments. */
function assertMentions(error: ConfigError, ...fragments: string[]): void {
  for (const fragment of fragments) assert.ok(error.message.includes(fragment), `message lacks ${JSON.stringify(fragment)}:\n${error.message}`);
}

describe("defaults", () => {
  test("a minimal environment yields the documented defaults", () => {
    assert.deepEqual(load({ env: minimalEnv }), {
      cloudflare: {
        apiUrl: "https://api.cloudflare.com/client/v4/graphql",
        auth: { kind: "token", token: TOKEN },
        zones: [{ id: ZONE, name: "example.com" }],
        accounts: [],
        zonesInclude: undefined,
        zonesExclude: undefined,
        accountsInclude: undefined,
        accountsExclude: undefined,
        restUrl: "https://api.cloudflare.com/client/v4",
        restBudget: 600,
        topN: 100,
        confidenceLevel: undefined,
        queryBudget: 250,
        rateLimit: "user",
        timeoutSeconds: 60,
        maxRetrySeconds: 600,
        caFile: undefined,
        maxResponseBytes: 64 * 1024 * 1024,
      },
      datasets: undefined,
      customDatasets: [],
      elasticsearch: {
        url: undefined,
        auth: { kind: "none" },
        caFile: undefined,
        tlsVerify: true,
        indexPrefix: "cloudflare",
        indexPeriod: "month",
        indexMode: "time_series",
        retentionDays: 400,
      },
      output: undefined,
      window: { settleMinutes: 5, overlapMinutes: 15, maxBackfillDays: 7 },
      gate: { uri: undefined, cluster: "", namespace: "", timeoutSeconds: 10, caFile: undefined },
      run: { deadlineSeconds: undefined },
      log: { level: "info", format: "auto" },
    });
  });

  test("empty environment variables count as unset", () => {
    const config = load({ env: { ...minimalEnv, CF_QUERY_BUDGET: "", NO_CONCURRENCY_URI: "  " } });
    assert.equal(config.cloudflare.queryBudget, 250);
    assert.equal(config.gate.uri, undefined);
  });

  test("yargs' own keys and unrelated flags are ignored", () => {
    const config = load({ env: minimalEnv, flags: { _: ["run"], $0: "cli", demo: false, queryBudget: undefined } });
    assert.equal(config.cloudflare.queryBudget, 250);
  });

  test("the result is frozen", () => {
    const config = load({ env: minimalEnv });
    assert.ok(Object.isFrozen(config.cloudflare.zones));
  });
});

describe("precedence: flags > environment > file > defaults", () => {
  const file = "cfg.yaml";
  const readFile = files({ [file]: "cloudflare:\n  queryBudget: 100\nelasticsearch:\n  indexPrefix: from-file\n  url: https://file:9200\n" });
  const all = {
    flags: { config: file, queryBudget: 300, "index-prefix": "from-flag", esUrl: "https://flag:9200" },
    env: { ...minimalEnv, CF_QUERY_BUDGET: "200", ES_INDEX_PREFIX: "from-env", ES_URL: "https://env:9200" },
    readFile,
  };

  test("a flag beats the environment (camelCase and kebab-case flag keys)", () => {
    const es = load(all).elasticsearch;
    assert.equal(load(all).cloudflare.queryBudget, 300);
    assert.equal(es.indexPrefix, "from-flag");
    assert.equal(es.url, "https://flag:9200");
  });

  test("the environment beats the file", () => {
    const config = load({ ...all, flags: { config: file } });
    assert.equal(config.cloudflare.queryBudget, 200);
    assert.equal(config.elasticsearch.indexPrefix, "from-env");
    assert.equal(config.elasticsearch.url, "https://env:9200");
  });

  test("the file beats the defaults", () => {
    const config = load({ flags: { config: file }, env: minimalEnv, readFile });
    assert.equal(config.cloudflare.queryBudget, 100);
    assert.equal(config.elasticsearch.indexPrefix, "from-file");
  });

  test("--config beats CONFIG_FILE", () => {
    const both = files({ "a.yaml": "cloudflare: { queryBudget: 11 }", "b.yaml": "cloudflare: { queryBudget: 22 }" });
    assert.equal(load({ flags: { config: "a.yaml" }, env: { ...minimalEnv, CONFIG_FILE: "b.yaml" }, readFile: both }).cloudflare.queryBudget, 11);
    assert.equal(load({ env: { ...minimalEnv, CONFIG_FILE: "b.yaml" }, readFile: both }).cloudflare.queryBudget, 22);
  });

  test("an overridden invalid value does not matter", () => {
    assert.equal(load({ flags: { queryBudget: 5 }, env: { ...minimalEnv, CF_QUERY_BUDGET: "lots" } }).cloudflare.queryBudget, 5);
  });
});

describe("config file", () => {
  const yaml = `
cloudflare:
  apiUrl: https://sim.local/graphql
  zones:
    - { id: "${ZONE}", name: example.com }
    - id: ${ZONE2}
  queryBudget: 120
  timeoutSeconds: 30
  maxRetrySeconds: 0
elasticsearch:
  url: https://es.example:9200
  caFile: /etc/ssl/es-ca.pem
  tlsVerify: false
  indexPrefix: cf
  indexPeriod: day
  retentionDays: 30
output: /tmp/out
window: { settleMinutes: 0, overlapMinutes: 30, maxBackfillDays: 2 }
gate: { uri: http://gate.internal/allowed, cluster: prod-eu, namespace: monitoring, timeoutSeconds: 3 }
log: { level: debug, format: json }
`;
  const json = JSON.stringify({
    cloudflare: {
      apiUrl: "https://sim.local/graphql",
      zones: [{ id: ZONE, name: "example.com" }, { id: ZONE2 }],
      queryBudget: 120,
      timeoutSeconds: 30,
      maxRetrySeconds: 0,
    },
    elasticsearch: { url: "https://es.example:9200", caFile: "/etc/ssl/es-ca.pem", tlsVerify: false, indexPrefix: "cf", indexPeriod: "day", retentionDays: 30 },
    output: "/tmp/out",
    window: { settleMinutes: 0, overlapMinutes: 30, maxBackfillDays: 2 },
    gate: { uri: "http://gate.internal/allowed", cluster: "prod-eu", namespace: "monitoring", timeoutSeconds: 3 },
    log: { level: "debug", format: "json" },
  });
  const readFile = files({ "c.yaml": yaml, "c.yml": yaml, "c.json": json, "/etc/ssl/es-ca.pem": PEM });
  const env = { CF_API_TOKEN: TOKEN };

  test("YAML sets every key", () => {
    const config = load({ flags: { config: "c.yaml" }, env, readFile });
    assert.deepEqual(config.cloudflare.zones, [
      { id: ZONE, name: "example.com" },
      { id: ZONE2, name: ZONE2 },
    ]);
    assert.equal(config.cloudflare.apiUrl, "https://sim.local/graphql");
    assert.equal(config.cloudflare.maxRetrySeconds, 0);
    assert.equal(config.elasticsearch.tlsVerify, false);
    assert.equal(config.elasticsearch.indexPeriod, "day");
    assert.equal(config.output, "/tmp/out");
    assert.deepEqual(config.window, { settleMinutes: 0, overlapMinutes: 30, maxBackfillDays: 2 });
    assert.deepEqual(config.gate, { uri: "http://gate.internal/allowed", cluster: "prod-eu", namespace: "monitoring", timeoutSeconds: 3, caFile: undefined });
    assert.deepEqual(config.log, { level: "debug", format: "json" });
  });

  test("JSON and .yml give the same result as YAML", () => {
    const fromYaml = load({ flags: { config: "c.yaml" }, env, readFile });
    assert.deepEqual(load({ flags: { config: "c.json" }, env, readFile }), fromYaml);
    assert.deepEqual(load({ env: { ...env, CONFIG_FILE: "c.yml" }, readFile }), fromYaml);
  });

  test("an empty file configures nothing", () => {
    assert.equal(load({ flags: { config: "e.yaml" }, env: minimalEnv, readFile: files({ "e.yaml": "" }) }).cloudflare.queryBudget, 250);
  });

  test("an unsupported extension is rejected, naming the flag", () => {
    assertMentions(loadError({ flags: { config: "c.toml" }, env: minimalEnv }), '--config = "c.toml"', ".yaml, .yml or .json");
  });

  test("a missing file is reported with the variable that names it", () => {
    assertMentions(loadError({ env: { ...minimalEnv, CONFIG_FILE: "/nope.yaml" } }), 'CONFIG_FILE = "/nope.yaml"', "cannot be read: no such file");
  });

  test("YAML syntax errors give file and line", () => {
    const error = loadError({ flags: { config: "bad.yaml" }, env: minimalEnv, readFile: files({ "bad.yaml": "log:\n  level: info\n  level: debug\n" }) });
    assertMentions(error, "bad.yaml:3:", "not valid YAML", "correct line 3");
  });

  test("JSON syntax errors give file and line, without quoting the file", () => {
    const error = loadError({
      flags: { config: "bad.json" },
      env: minimalEnv,
      readFile: files({ "bad.json": '{\n  "log": {\n    "level": hush-hush-secret\n  }\n}' }),
    });
    assertMentions(error, "bad.json:3:", "not valid JSON", "correct line 3");
    assert.ok(!error.message.includes("hush-hush-secret"), error.message);
  });

  test("a trailing comma in JSON is located", () => {
    assertMentions(loadError({ flags: { config: "t.json" }, env: minimalEnv, readFile: files({ "t.json": '{"log": {"level": "info"},\n}' }) }), "t.json:2:");
  });

  test("an unknown key is rejected with the closest known key", () => {
    const readFile = files({ "c.yaml": "cloudflare:\n  queryBudjet: 5\n" });
    const error = loadError({ flags: { config: "c.yaml" }, env: minimalEnv, readFile });
    assertMentions(error, "cloudflare.queryBudjet in c.yaml", "is not a known key", "did you mean queryBudget?");
  });

  test("a known key in the wrong place is pointed to its section", () => {
    const error = loadError({ flags: { config: "c.yaml" }, env: minimalEnv, readFile: files({ "c.yaml": `zones: [{ id: ${ZONE} }]\n` }) });
    assertMentions(error, "zones in c.yaml", "did you mean cloudflare.zones?");
  });

  test("an unknown key without a near match lists the known keys", () => {
    const error = loadError({ flags: { config: "c.yaml" }, env: minimalEnv, readFile: files({ "c.yaml": "window:\n  colour: blue\n" }) });
    assertMentions(error, "window.colour in c.yaml", "remove it", "settleMinutes, overlapMinutes, maxBackfillDays");
    assert.ok(!error.message.includes("did you mean"), error.message);
  });

  test("a section that is not a mapping is rejected", () => {
    assertMentions(
      loadError({ flags: { config: "c.yaml" }, env: minimalEnv, readFile: files({ "c.yaml": "log: debug\n" }) }),
      'log in c.yaml = "debug"',
      "is not a mapping",
    );
  });

  for (const [yaml, variable] of [
    ["cloudflare:\n  apiToken: file-secret-0001\n", "CF_API_TOKEN"],
    ["cloudflare:\n  email: me@example.com\n  key: file-secret-0001\n", "CF_API_KEY"],
    ["elasticsearch:\n  password: file-secret-0001\n", "ES_PASSWORD"],
    ["elasticsearch:\n  apiKey: file-secret-0001\n", "ES_API_KEY"],
    ["token: file-secret-0001\n", "CF_API_TOKEN"],
  ] as const) {
    test(`a secret in the file is rejected and ${variable} is named: ${JSON.stringify(yaml)}`, () => {
      const error = loadError({ flags: { config: "c.yaml" }, env: minimalEnv, readFile: files({ "c.yaml": yaml }) });
      assertMentions(error, "only from the environment or mounted files", variable, "<redacted>");
      assert.ok(!error.message.includes("file-secret-0001"), error.message);
    });
  }

  test("zone entries in the file are checked with their path", () => {
    const readFile = files({
      "c.yaml": `cloudflare:\n  zones:\n    - { id: ${ZONE} }\n    - { id: "a b", name: x }\n    - { id: 12345678, name: y }\n    - { idd: abc }\n`,
    });
    const error = loadError({ flags: { config: "c.yaml" }, env: { CF_API_TOKEN: TOKEN }, readFile });
    assertMentions(error, 'cloudflare.zones[1].id in c.yaml = "a b": contains whitespace');
    assertMentions(error, "cloudflare.zones[2].id in c.yaml = 12345678", 'quote it: id: "12345678"');
    assertMentions(error, "cloudflare.zones[3].idd in c.yaml", "did you mean id?", "cloudflare.zones[3].id in c.yaml: is missing");
  });

  test("duplicate zone ids in the file are rejected", () => {
    const readFile = files({ "c.json": JSON.stringify({ cloudflare: { zones: [{ id: ZONE }, { id: ZONE, name: "again" }] } }) });
    assertMentions(
      loadError({ flags: { config: "c.json" }, env: { CF_API_TOKEN: TOKEN }, readFile }),
      "cloudflare.zones in c.json",
      `lists zone ${ZONE} more than once`,
    );
  });
});

describe("CF_ZONES", () => {
  const zones = (value: string) => load({ env: { CF_API_TOKEN: TOKEN, CF_ZONES: value } }).cloudflare.zones;

  test("parses id=name pairs and bare ids, ignoring spaces around entries", () => {
    assert.deepEqual(zones(` ${ZONE}=example.com , ${ZONE2} `), [
      { id: ZONE, name: "example.com" },
      { id: ZONE2, name: ZONE2 },
    ]);
  });

  for (const [value, fragment] of [
    [`${ZONE}=a,,${ZONE2}=b`, "entry 2 is empty"],
    [`${ZONE}=a,`, "entry 2 is empty"],
    [`${ZONE}=a,${ZONE}=b`, `lists zone ${ZONE} more than once`],
    [`${ZONE}=a ${ZONE2}=b`, "holds two zones"],
    ["abc def=x", "the zone id contains whitespace"],
    ["zone.1=x", "characters other than letters, digits, - and _"],
    [`${"a".repeat(65)}=x`, "longer than 64 characters"],
    [`${ZONE}=`, "the zone name is empty"],
    ["=example.com", "the zone id is empty"],
  ] as const) {
    test(`rejects ${JSON.stringify(value)}`, () => {
      const error = loadError({ env: { CF_API_TOKEN: TOKEN, CF_ZONES: value } });
      assertMentions(error, `CF_ZONES = ${JSON.stringify(value)}`, fragment, "fix:");
    });
  }

  test("no zones and no accounts: both are left to discovery, which happens when a command runs", () => {
    const config = load({ env: { CF_API_TOKEN: TOKEN } });
    assert.deepEqual([config.cloudflare.zones, config.cloudflare.accounts], [[], []]);
  });
});

describe("discovery settings", () => {
  test("filters are comma lists (environment) or YAML lists (file), trimmed, de-duplicated; names may hold spaces", () => {
    const config = load({
      env: { CF_API_TOKEN: TOKEN, CF_ZONES_INCLUDE: " *.example.com , shop.example.org,*.example.com", CF_ACCOUNTS_EXCLUDE: "Sandbox Corp" },
    });
    assert.deepEqual(config.cloudflare.zonesInclude, ["*.example.com", "shop.example.org"]);
    assert.deepEqual(config.cloudflare.accountsExclude, ["Sandbox Corp"]);
    const readFile = files({ "c.yaml": "cloudflare:\n  accountsInclude: ['Acme, Inc.', prod-*]\n" });
    assert.deepEqual(load({ flags: { config: "c.yaml" }, env: { CF_API_TOKEN: TOKEN }, readFile }).cloudflare.accountsInclude, ["Acme, Inc.", "prod-*"]);
  });

  test("an empty zones list in the file lists nothing: discovery, with its filters", () => {
    const readFile = files({ "c.yaml": "cloudflare:\n  zones: []\n  zonesExclude: ['*.test']\n" });
    const config = load({ flags: { config: "c.yaml" }, env: { CF_API_TOKEN: TOKEN }, readFile });
    assert.deepEqual([config.cloudflare.zones, config.cloudflare.zonesExclude], [[], ["*.test"]]);
  });

  test("an empty filter entry is refused", () => {
    assertMentions(
      loadError({ env: { CF_API_TOKEN: TOKEN, CF_ZONES_EXCLUDE: "a.example,,b.example" } }),
      'CF_ZONES_EXCLUDE = "a.example,,b.example": entry 2 is empty',
    );
  });

  test("a filter beside an explicit list is refused: it would be ignored", () => {
    const error = loadError({ env: { ...minimalEnv, CF_ZONES_INCLUDE: "*.example.com", CF_ACCOUNTS_EXCLUDE: "x" } });
    assertMentions(
      error,
      'CF_ZONES_INCLUDE = "*.example.com": narrows discovered zones and accounts, but CF_ZONES lists them explicitly',
      "fix: remove CF_ZONES_INCLUDE, or remove CF_ZONES to discover",
      "CF_ACCOUNTS_EXCLUDE",
    );
    assertMentions(loadError({ env: { CF_API_TOKEN: TOKEN, CF_ACCOUNTS: `${ZONE}=prod`, CF_ZONES_EXCLUDE: "x" } }), "but CF_ACCOUNTS lists them explicitly");
  });

  test("the REST URL is derived from CF_API_URL ending in /graphql; CF_REST_URL wins", () => {
    const rest = (env: Record<string, string>) => load({ env: { CF_API_TOKEN: TOKEN, ...env } }).cloudflare.restUrl;
    assert.equal(rest({ CF_API_URL: "http://127.0.0.1:8787/client/v4/graphql/" }), "http://127.0.0.1:8787/client/v4");
    assert.equal(rest({ CF_API_URL: "https://proxy.example/cf/graphql", CF_REST_URL: "https://rest.example/v4" }), "https://rest.example/v4");
  });

  test("discovery with a CF_API_URL not ending in /graphql needs CF_REST_URL; an explicit list does not", () => {
    assertMentions(
      loadError({ env: { CF_API_TOKEN: TOKEN, CF_API_URL: "https://proxy.example/cloudflare-analytics" } }),
      'CF_REST_URL: is not set, and cannot be derived from CF_API_URL = "https://proxy.example/cloudflare-analytics"',
      "fix: set CF_REST_URL",
    );
    assert.equal(load({ env: { ...minimalEnv, CF_API_URL: "https://proxy.example/cloudflare-analytics" } }).cloudflare.restUrl, undefined);
  });

  test("CF_REST_BUDGET is bounded by Cloudflare's 1200 per 5 minutes", () => {
    assertMentions(loadError({ env: { ...minimalEnv, CF_REST_BUDGET: "1201" } }), "allowed are 1 to 1200", "shared with the dashboard");
  });
});

describe("--zone narrowing", () => {
  const env = { CF_API_TOKEN: TOKEN, CF_ZONES: `${ZONE}=one.example,${ZONE2}=two.example,abc=three.example` };

  test("keeps only the given zones, in configured order", () => {
    assert.deepEqual(load({ env, flags: { zone: ["abc", ZONE] } }).cloudflare.zones, [
      { id: ZONE, name: "one.example" },
      { id: "abc", name: "three.example" },
    ]);
    assert.deepEqual(load({ env, flags: { zone: ZONE2 } }).cloudflare.zones, [{ id: ZONE2, name: "two.example" }]);
  });

  test("an empty --zone list keeps all zones", () => {
    assert.equal(load({ env, flags: { zone: [] } }).cloudflare.zones.length, 3);
  });

  test("an id that is not configured is an error listing the configured ones", () => {
    assertMentions(loadError({ env, flags: { zone: ["nope"] } }), '--zone = "nope": is not one of the configured zones', ZONE2);
  });

  test("a zone name instead of its id gets a pointed hint", () => {
    assertMentions(loadError({ env, flags: { zone: ["two.example"] } }), `pass its id: --zone ${ZONE2}`);
  });
});

describe("numbers", () => {
  test('"5m" for SETTLE_MINUTES says to write 5', () => {
    assertMentions(
      loadError({ env: { ...minimalEnv, SETTLE_MINUTES: "5m" } }),
      'SETTLE_MINUTES = "5m": is not a whole number of minutes',
      "write 5 (SETTLE_MINUTES=5)",
    );
  });

  test("another unit is converted in the hint", () => {
    assertMentions(loadError({ env: { ...minimalEnv, OVERLAP_MINUTES: "1h" } }), "write 60 (OVERLAP_MINUTES=60)");
    assertMentions(loadError({ env: { ...minimalEnv, MAX_BACKFILL_DAYS: "2w" } }), "write 14 (MAX_BACKFILL_DAYS=14)");
  });

  test("out of range names the bounds and the reason", () => {
    const error = loadError({ flags: { queryBudget: 301 }, env: minimalEnv });
    assertMentions(error, "--query-budget = 301", "1 to 300", "Cloudflare allows 300 per 5 minutes", "--query-budget 300");
  });

  test("negative, fractional and non-numeric values are rejected", () => {
    assertMentions(loadError({ env: { ...minimalEnv, CF_TIMEOUT_SECONDS: "-1" } }), 'CF_TIMEOUT_SECONDS = "-1": is negative');
    assertMentions(loadError({ env: { ...minimalEnv, ES_RETENTION_DAYS: "1.5" } }), 'ES_RETENTION_DAYS = "1.5": is not a whole number of days');
    assertMentions(loadError({ flags: { maxBackfillDays: Number.NaN }, env: minimalEnv }), "--max-backfill-days = NaN: is not a whole number");
  });

  test("bounds are inclusive", () => {
    const config = load({ env: { ...minimalEnv, SETTLE_MINUTES: "0", OVERLAP_MINUTES: "1440", CF_QUERY_BUDGET: "300", CF_MAX_RETRY_SECONDS: "86400" } });
    assert.deepEqual(
      [config.window.settleMinutes, config.window.overlapMinutes, config.cloudflare.queryBudget, config.cloudflare.maxRetrySeconds],
      [0, 1440, 300, 86400],
    );
    assertMentions(loadError({ env: { ...minimalEnv, MAX_BACKFILL_DAYS: "0" } }), "MAX_BACKFILL_DAYS", "1 to 400");
  });
});

describe("other values", () => {
  test("enumerations list the allowed values", () => {
    assertMentions(loadError({ env: { ...minimalEnv, LOG_LEVEL: "verbose" } }), 'LOG_LEVEL = "verbose"', "error, warn, info, debug");
    assertMentions(loadError({ flags: { indexPeriod: "year" }, env: minimalEnv }), '--index-period = "year"', "day, week, month");
    assert.equal(load({ env: { ...minimalEnv, LOG_FORMAT: "JSON" } }).log.format, "json");
  });

  test("ES_TLS_VERIFY accepts true/false/1/0/yes/no only", () => {
    assert.equal(load({ env: { ...minimalEnv, ES_TLS_VERIFY: "no" } }).elasticsearch.tlsVerify, false);
    assert.equal(load({ env: { ...minimalEnv, ES_TLS_VERIFY: "1" } }).elasticsearch.tlsVerify, true);
    assertMentions(loadError({ env: { ...minimalEnv, ES_TLS_VERIFY: "maybe" } }), 'ES_TLS_VERIFY = "maybe"', "true, 1, yes, false, 0, no");
  });

  test("index prefixes follow Elasticsearch's rules, with a suggestion", () => {
    assertMentions(loadError({ env: { ...minimalEnv, ES_INDEX_PREFIX: "Cloud Flare" } }), 'ES_INDEX_PREFIX = "Cloud Flare"', "ES_INDEX_PREFIX=cloud-flare");
    assertMentions(loadError({ env: { ...minimalEnv, ES_INDEX_PREFIX: "_hidden" } }), "ES_INDEX_PREFIX", "starting with a letter or digit");
    assertMentions(loadError({ env: { ...minimalEnv, ES_INDEX_PREFIX: "a".repeat(101) } }), "longer than 100 characters");
  });

  test("URLs must be absolute http(s)", () => {
    assertMentions(loadError({ env: { ...minimalEnv, ES_URL: "es.example:9200" } }), "not an absolute URL", "ES_URL=https://es.example:9200");
    assertMentions(loadError({ env: { ...minimalEnv, CF_API_URL: "ftp://x" } }), 'CF_API_URL = "ftp://x"', "only http and https");
    assertMentions(loadError({ flags: { gateUri: "/allowed" }, env: minimalEnv }), '--gate-uri = "/allowed"', "not an absolute URL");
    assert.equal(load({ env: { ...minimalEnv, ES_URL: "http://localhost:9200" } }).elasticsearch.url, "http://localhost:9200");
  });

  test("a URL with credentials is rejected without echoing the password", () => {
    const error = loadError({ env: { ...minimalEnv, ES_URL: "https://elastic:pa55w0rd-xyz@es:9200" } });
    assertMentions(error, "ES_URL", "contains credentials", "ES_USER and ES_PASSWORD");
    assert.ok(!error.message.includes("pa55w0rd-xyz"), error.message);
  });

  test("the CA file must be readable and hold a PEM certificate", () => {
    assert.equal(load({ env: { ...minimalEnv, ES_CA_FILE: "/ca.pem" }, readFile: files({ "/ca.pem": PEM }) }).elasticsearch.caFile, "/ca.pem");
    assertMentions(
      loadError({ env: { ...minimalEnv, ES_CA_FILE: "/missing.pem" } }),
      'ES_CA_FILE = "/missing.pem": cannot be read: no such file',
      "mount the CA certificate",
    );
    assertMentions(loadError({ env: { ...minimalEnv, ES_CA_FILE: "/ca.der" }, readFile: files({ "/ca.der": "\u0030\u0082" }) }), "ES_CA_FILE", "PEM");
  });

  test("setting NO_CONCURRENCY_URI enables the gate", () => {
    const gate = load({
      env: { ...minimalEnv, NO_CONCURRENCY_URI: "http://gate/allowed", LOCAL_CLUSTER: "prod", LOCAL_NAMESPACE: "mon", GATE_TIMEOUT_SECONDS: "4" },
    }).gate;
    assert.deepEqual(gate, { uri: "http://gate/allowed", cluster: "prod", namespace: "mon", timeoutSeconds: 4, caFile: undefined });
  });
});

describe("Cloudflare credentials", () => {
  const env = { CF_ZONES: ZONE };
  const KEY = "cf-global-key-SECRET-0002";

  test("a token, or an e-mail with a global key", () => {
    assert.deepEqual(load({ env: { ...env, CF_API_TOKEN: TOKEN } }).cloudflare.auth, { kind: "token", token: TOKEN });
    assert.deepEqual(load({ env: { ...env, CF_API_EMAIL: "me@example.com", CF_API_KEY: KEY } }).cloudflare.auth, {
      kind: "key",
      email: "me@example.com",
      key: KEY,
    });
  });

  test("token and key together are refused", () => {
    const error = loadError({ env: { ...env, CF_API_TOKEN: TOKEN, CF_API_EMAIL: "me@example.com", CF_API_KEY: KEY } });
    assertMentions(error, "CF_API_KEY = <redacted>: is set together with CF_API_TOKEN", "set only one");
  });

  test("an e-mail without a key, and a key without an e-mail, name the missing one", () => {
    assertMentions(loadError({ env: { ...env, CF_API_EMAIL: "me@example.com" } }), "CF_API_KEY: is not set, but CF_API_EMAIL is");
    assertMentions(loadError({ env: { ...env, CF_API_KEY: KEY } }), "CF_API_EMAIL: is not set, but CF_API_KEY is");
  });

  test("an e-mail next to a token is refused, since it would be ignored", () => {
    assertMentions(loadError({ env: { ...env, CF_API_TOKEN: TOKEN, CF_API_EMAIL: "me@example.com" } }), "CF_API_EMAIL", "an API token needs no e-mail");
  });

  test("no credentials: an error, unless demo or not required", () => {
    assertMentions(loadError({ env }), "CF_API_TOKEN: is not set", "CF_API_TOKEN_FILE");
    assert.equal(load({ env, mode: { demo: true } }).cloudflare.auth, undefined);
    assert.equal(load({ env, mode: { requireCloudflareAuth: false } }).cloudflare.auth, undefined);
  });

  test("CF_API_TOKEN_FILE is read and trimmed", () => {
    const config = load({ env: { ...env, CF_API_TOKEN_FILE: "/run/secrets/token" }, readFile: files({ "/run/secrets/token": `  ${TOKEN}\n` }) });
    assert.deepEqual(config.cloudflare.auth, { kind: "token", token: TOKEN });
  });

  test("a missing or empty *_FILE names the variable and the file", () => {
    assertMentions(
      loadError({ env: { ...env, CF_API_TOKEN_FILE: "/run/secrets/none" } }),
      'CF_API_TOKEN_FILE = "/run/secrets/none"',
      "cannot be read: no such file",
    );
    assertMentions(
      loadError({ env: { ...env, CF_API_KEY_FILE: "/k", CF_API_EMAIL: "a@b" }, readFile: files({ "/k": "\n" }) }),
      'CF_API_KEY_FILE = "/k": names an empty file',
    );
  });

  test("a variable and its *_FILE together are refused", () => {
    const error = loadError({ env: { ...env, CF_API_TOKEN: TOKEN, CF_API_TOKEN_FILE: "/t" }, readFile: files({ "/t": TOKEN }) });
    assertMentions(error, "CF_API_TOKEN_FILE", "set only one of CF_API_TOKEN and CF_API_TOKEN_FILE");
  });

  test("a token with inner whitespace is refused", () => {
    assertMentions(loadError({ env: { ...env, CF_API_TOKEN: `Bearer ${TOKEN}` } }), "CF_API_TOKEN = <redacted>: contains whitespace");
  });
});

describe("Elasticsearch credentials", () => {
  const PASSWORD = "es-password-SECRET-0003";
  const API_KEY = "es-api-key-SECRET-0004";

  test("none, API key, or user with password", () => {
    assert.deepEqual(load({ env: minimalEnv }).elasticsearch.auth, { kind: "none" });
    assert.deepEqual(load({ env: { ...minimalEnv, ES_API_KEY: API_KEY } }).elasticsearch.auth, { kind: "apiKey", apiKey: API_KEY });
    assert.deepEqual(load({ env: { ...minimalEnv, ES_USER: "elastic", ES_PASSWORD: PASSWORD } }).elasticsearch.auth, {
      kind: "basic",
      username: "elastic",
      password: PASSWORD,
    });
  });

  test("ES_USERNAME and the predecessor's ES_PASSWD are aliases; ES_PASSWD draws a warning", () => {
    const warnings: string[] = [];
    const config = load({ env: { ...minimalEnv, ES_USERNAME: "elastic", ES_PASSWD: PASSWORD }, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(config.elasticsearch.auth, { kind: "basic", username: "elastic", password: PASSWORD });
    assert.deepEqual(warnings, ["ES_PASSWD is deprecated; rename it to ES_PASSWORD"]);
  });

  test("ES_PASSWORD and ES_PASSWD with different values are refused", () => {
    const error = loadError({ env: { ...minimalEnv, ES_USER: "elastic", ES_PASSWORD: PASSWORD, ES_PASSWD: "other-secret-0005" } });
    assertMentions(error, "ES_PASSWD = <redacted>: is set and differs from ES_PASSWORD", "set only ES_PASSWORD");
  });

  test("ES_PASSWORD_FILE is read and trimmed", () => {
    const config = load({ env: { ...minimalEnv, ES_USER: "elastic", ES_PASSWORD_FILE: "/p" }, readFile: files({ "/p": `${PASSWORD}\n` }) });
    assert.deepEqual(config.elasticsearch.auth, { kind: "basic", username: "elastic", password: PASSWORD });
  });

  test("a user without a password and a password without a user name the missing one", () => {
    assertMentions(loadError({ env: { ...minimalEnv, ES_USER: "elastic" } }), "ES_PASSWORD: is not set, but ES_USER is", "ES_PASSWORD_FILE");
    assertMentions(loadError({ env: { ...minimalEnv, ES_PASSWORD: PASSWORD } }), "ES_USER: is not set, but ES_PASSWORD is");
  });

  test("an API key together with user and password is refused", () => {
    assertMentions(
      loadError({ env: { ...minimalEnv, ES_API_KEY: API_KEY, ES_USER: "elastic", ES_PASSWORD: PASSWORD } }),
      "ES_API_KEY = <redacted>: is set together with ES_USER",
      "use one kind",
    );
  });
});

describe("demo mode", () => {
  test("without zones, three demo zones", () => {
    const config = load({ mode: { demo: true } });
    assert.deepEqual(config.cloudflare.zones, [
      { id: "demo0000000000000000000000000001", name: "demo-1.example" },
      { id: "demo0000000000000000000000000002", name: "demo-2.example" },
      { id: "demo0000000000000000000000000003", name: "demo-3.example" },
    ]);
  });

  test("configured zones win over the demo zones, and --zone narrows demo zones", () => {
    assert.deepEqual(load({ env: { CF_ZONES: ZONE }, mode: { demo: true } }).cloudflare.zones, [{ id: ZONE, name: ZONE }]);
    assert.deepEqual(
      load({ flags: { zone: ["demo0000000000000000000000000002"] }, mode: { demo: true } }).cloudflare.zones.map((z) => z.name),
      ["demo-2.example"],
    );
  });
});

describe("reporting", () => {
  test("several problems are reported together", () => {
    const error = loadError({ flags: { logLevel: "loud" }, env: { CF_ZONES: "a b", SETTLE_MINUTES: "5m" } });
    assert.deepEqual(
      error.problems.map((p) => p.key),
      ["CF_API_TOKEN", "CF_ZONES", "SETTLE_MINUTES", "--log-level"],
    );
    assertMentions(error, "Invalid configuration (4 problems):\n  - CF_API_TOKEN");
    assert.equal(error.key, "CF_API_TOKEN");
    assert.ok(error.fix.startsWith("set CF_API_TOKEN"), error.fix);
  });

  test("a single problem reads as one line", () => {
    const error = loadError({ env: { ...minimalEnv, LOG_FORMAT: "xml" } });
    assert.equal(error.message, 'Invalid configuration: LOG_FORMAT = "xml": is not an allowed value; fix: use one of: auto, json, text');
    assert.deepEqual([error.key, error.value], ["LOG_FORMAT", '"xml"']);
  });

  const secrets = ["tok-SECRET-A1", "key-SECRET-B2", "apikey-SECRET-C3", "pw-SECRET-D4", "pw-SECRET-E5"];
  const leaky: Array<Partial<LoadConfigInput>> = [
    { env: { CF_ZONES: ZONE, CF_API_TOKEN: "tok-SECRET-A1", CF_API_KEY: "key-SECRET-B2", CF_API_EMAIL: "a@b" } },
    { env: { CF_ZONES: ZONE, CF_API_TOKEN: "tok-SECRET-A1 x" } },
    { env: { ...minimalEnv, ES_API_KEY: "apikey-SECRET-C3", ES_PASSWORD: "pw-SECRET-D4" } },
    { env: { ...minimalEnv, ES_USER: "u", ES_PASSWORD: "pw-SECRET-D4", ES_PASSWD: "pw-SECRET-E5" } },
    { env: { ...minimalEnv, ES_URL: "https://u:pw-SECRET-D4@es" } },
    { env: { ...minimalEnv, ES_URL: "u:pw-SECRET-D4@es:9200" } },
    { flags: { config: "s.yaml" }, env: minimalEnv, readFile: files({ "s.yaml": "elasticsearch:\n  password: pw-SECRET-D4\n  apikey: apikey-SECRET-C3\n" }) },
    { flags: { config: "s.yaml" }, env: minimalEnv, readFile: files({ "s.yaml": 'x: "tok-SECRET-A1\n' }) },
  ];
  leaky.forEach((input, index) => {
    test(`no secret value appears in the message (case ${index + 1})`, () => {
      const error = loadError(input);
      for (const secret of secrets) assert.ok(!error.message.includes(secret), `${secret} leaked:\n${error.message}`);
      assert.ok(error.message.includes("<redacted>") || error.message.includes("not valid YAML"), error.message);
    });
  });

  test("describeConfig redacts every secret and keeps the rest", () => {
    const cf = load({ env: { CF_ZONES: ZONE, CF_API_EMAIL: "me@example.com", CF_API_KEY: "key-SECRET-B2", ES_USER: "elastic", ES_PASSWORD: "pw-SECRET-D4" } });
    const es = load({ env: { ...minimalEnv, ES_API_KEY: "apikey-SECRET-C3" } });
    const text = JSON.stringify([describeConfig(cf), describeConfig(es)]);
    for (const secret of [...secrets, TOKEN]) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.deepEqual((describeConfig(cf)["cloudflare"] as { auth: unknown }).auth, { kind: "key", email: "me@example.com", key: "<redacted>" });
    assert.deepEqual((describeConfig(cf)["elasticsearch"] as { auth: unknown }).auth, { kind: "basic", username: "elastic", password: "<redacted>" });
    assert.deepEqual((describeConfig(es)["cloudflare"] as { auth: unknown }).auth, { kind: "token", token: "<redacted>" });
    assert.equal((describeConfig(es)["window"] as { settleMinutes: number }).settleMinutes, 5);
  });
});

describe("accounts, datasets and top-N", () => {
  const ACCOUNT = "01a7362d577a6c3019a474fd6f485823";

  test("CF_ACCOUNTS alone is enough: account-scoped datasets need no zone", () => {
    const config = load({ env: { CF_API_TOKEN: TOKEN, CF_ACCOUNTS: `${ACCOUNT}=production` } });
    assert.deepEqual(config.cloudflare.accounts, [{ id: ACCOUNT, name: "production" }]);
    assert.deepEqual(config.cloudflare.zones, []);
  });

  test("a malformed account list names the account, not a zone", () => {
    assertMentions(loadError({ env: { ...minimalEnv, CF_ACCOUNTS: "bad id=x" } }), "CF_ACCOUNTS", "the account id contains whitespace");
  });

  test("datasets narrow from a comma list, a repeated flag or the file, and a typo gets a suggestion", () => {
    assert.deepEqual(load({ env: { ...minimalEnv, CF_DATASETS: "firewall_events, dns" } }).datasets, ["firewall_events", "dns"]);
    assert.deepEqual(load({ env: minimalEnv, flags: { dataset: ["workers", "dns", "workers"] } }).datasets, ["workers", "dns"]);
    assertMentions(loadError({ env: { ...minimalEnv, CF_DATASETS: "firewal_events" } }), "is not a known dataset", "did you mean firewall_events?");
    assertMentions(loadError({ env: { ...minimalEnv, CF_DATASETS: " , " } }), "CF_DATASETS", "names no datasets");
  });

  test("a confidence level is a share between 0 and 1, and off by default", () => {
    assert.equal(load({ env: minimalEnv }).cloudflare.confidenceLevel, undefined);
    assert.equal(load({ env: { ...minimalEnv, CF_CONFIDENCE_LEVEL: "0.95" } }).cloudflare.confidenceLevel, 0.95);
    assertMentions(loadError({ env: { ...minimalEnv, CF_CONFIDENCE_LEVEL: "95" } }), "CF_CONFIDENCE_LEVEL", "between 0 and 1");
  });

  test("top-N is a whole number of at least 1", () => {
    assert.equal(load({ env: { ...minimalEnv, CF_TOP_N: "25" } }).cloudflare.topN, 25);
    assertMentions(loadError({ env: { ...minimalEnv, CF_TOP_N: "0" } }), "CF_TOP_N");
  });
});

describe("comma lists in flags", () => {
  test("--dataset a,b works like --dataset a --dataset b", () => {
    assert.deepEqual(load({ env: minimalEnv, flags: { dataset: ["http_requests,dns", "workers"] } }).datasets, ["http_requests", "dns", "workers"]);
    assertMentions(
      loadError({ env: minimalEnv, flags: { dataset: ["http_requests,dnss"] } }),
      '--dataset = "dnss": is not a known dataset',
      "did you mean dns?",
    );
  });

  test("--zone a,b works like --zone a --zone b", () => {
    const env = { CF_API_TOKEN: TOKEN, CF_ZONES: `${ZONE}=one.example,${ZONE2}=two.example,abc=three.example` };
    assert.deepEqual(
      load({ env, flags: { zone: [`abc,${ZONE}`] } }).cloudflare.zones.map((z) => z.id),
      [ZONE, "abc"],
    );
  });
});

describe("unknown CF_* and ES_* variables", () => {
  const warningsFor = (env: Record<string, string>): string[] => {
    const warnings: string[] = [];
    load({ env: { ...minimalEnv, ...env }, readFile: files({ "/p": "a-long-password" }), onWarning: (w) => warnings.push(w) });
    return warnings;
  };

  test("a misspelt one is warned about, with the setting it probably means", () => {
    assert.deepEqual(warningsFor({ CF_ZONEZ: `${ZONE}=x` }), ["CF_ZONEZ is not a setting of this exporter; did you mean CF_ZONES?"]);
    assert.deepEqual(warningsFor({ ES_API_KEY_FIEL: "/k" }), ["ES_API_KEY_FIEL is not a setting of this exporter; did you mean ES_API_KEY_FILE?"]);
    assert.match(warningsFor({ CF_COLOUR: "blue" })[0] ?? "", /^CF_COLOUR is not a setting of this exporter; it is ignored/);
  });

  test("*_FILE variants, aliases and the variables of Elasticsearch and our test harness are not", () => {
    const env = {
      ES_JAVA_HOME: "/jdk",
      ES_JAVA_OPTS: "-Xmx1g",
      ES_PATH_CONF: "/c",
      ES_VERSION: "9",
      ES_LOG: "x",
      ES_STARTED_BY_TESTS: "1",
      ES_MAVEN_URL: "u",
      ES_TMPDIR: "/t",
      ES_PORT: "1",
      ES_ZIP_SHA1: "0",
    };
    assert.deepEqual(warningsFor({ ...env, CF_ZONEZ: "" }), []);
    assert.deepEqual(warningsFor({ ES_USERNAME: "elastic", ES_PASSWORD_FILE: "/p" }).length, 0);
  });

  test("an unknown variable is only a warning: the configuration loads", () => {
    assert.equal(load({ env: { ...minimalEnv, CF_TOPN: "5" } }).cloudflare.topN, 100);
  });
});

describe("secrets too short to keep out of logs", () => {
  for (const [name, value, extra] of [
    ["CF_API_TOKEN", "x", {}],
    ["CF_API_KEY", "k-12345", { CF_API_EMAIL: "me@example.com" }],
    ["ES_API_KEY", "abc", {}],
    ["ES_PASSWORD", "info", { ES_USER: "elastic" }],
  ] as const) {
    test(`${name} shorter than 8 characters is refused, its value redacted`, () => {
      const env = { CF_ZONES: ZONE, ...(name.startsWith("CF") ? {} : { CF_API_TOKEN: TOKEN }), ...extra, [name]: value };
      const error = loadError({ env });
      assertMentions(error, `${name} = <redacted>: is shorter than 8 characters, too short to keep out of logs safely`, "fix:");
      assert.ok(!error.message.includes(`"${value}"`), error.message);
    });
  }

  test("from a *_FILE, the variable and its path are named", () => {
    const error = loadError({ env: { CF_ZONES: ZONE, CF_API_TOKEN_FILE: "/t" }, readFile: files({ "/t": "short\n" }) });
    assertMentions(error, 'CF_API_TOKEN_FILE = "/t": names a file whose content is shorter than 8 characters', "set the complete token");
    assert.ok(!error.message.includes('short"'), error.message);
  });

  test("8 characters are enough", () => {
    assert.deepEqual(load({ env: { CF_ZONES: ZONE, CF_API_TOKEN: "12345678" } }).cloudflare.auth, { kind: "token", token: "12345678" });
  });
});

describe("settings added with the run deadline and the extra CAs", () => {
  test("the deadline comes from RUN_DEADLINE_SECONDS, --deadline or run.deadlineSeconds, within bounds", () => {
    assert.equal(load({ env: { ...minimalEnv, RUN_DEADLINE_SECONDS: "240" } }).run.deadlineSeconds, 240);
    assert.equal(load({ env: { ...minimalEnv, RUN_DEADLINE_SECONDS: "240" }, flags: { deadline: "600" } }).run.deadlineSeconds, 600);
    assert.equal(load({ env: minimalEnv, flags: { config: "c.yaml" }, readFile: files({ "c.yaml": "run: { deadlineSeconds: 90 }" }) }).run.deadlineSeconds, 90);
    assertMentions(loadError({ env: { ...minimalEnv, RUN_DEADLINE_SECONDS: "5" } }), "RUN_DEADLINE_SECONDS", "allowed are 10 to 604800");
  });

  test("CF_CA_FILE and GATE_CA_FILE must hold a PEM certificate; CF_MAX_RESPONSE_BYTES is bounded", () => {
    const config = load({
      env: { ...minimalEnv, CF_CA_FILE: "/cf.pem", GATE_CA_FILE: "/gate.pem", CF_MAX_RESPONSE_BYTES: "2097152" },
      readFile: files({ "/cf.pem": PEM, "/gate.pem": PEM }),
    });
    assert.deepEqual([config.cloudflare.caFile, config.gate.caFile, config.cloudflare.maxResponseBytes], ["/cf.pem", "/gate.pem", 2097152]);
    assertMentions(loadError({ env: { ...minimalEnv, GATE_CA_FILE: "/none.pem" } }), 'GATE_CA_FILE = "/none.pem": cannot be read');
    assertMentions(loadError({ env: { ...minimalEnv, CF_MAX_RESPONSE_BYTES: "1000" } }), "CF_MAX_RESPONSE_BYTES", "1048576 to 1073741824");
  });

  test("commands that never call Cloudflare need neither credentials nor zones", () => {
    assert.deepEqual(load({ mode: { requireCloudflareAuth: false } }).cloudflare.zones, []);
  });
});
