/**
 * User-declared datasets (`customDatasets`): the shipped digest of Cloudflare's schema is current, declarations are
 * checked against it when the configuration loads (exit 2, naming the key and the nearest valid names), and a
 * declaration becomes a grouped dataset whose query validates against Cloudflare's schema for every node the digest
 * offers, whose fields say how each figure adds up, and whose flattening caps, prefixes and totals like a built-in's.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildSchema, parse, validate } from "graphql";
import { extractAdaptiveDigest } from "../../scripts/extract-adaptive-digest.js";
import { settingsQuery } from "../../src/cloudflare/settings.js";
import { type Config, ConfigError, loadConfig } from "../../src/config/index.js";
import type { Owner } from "../../src/datasets/dataset.js";
import { declaredDataset, type Declaration } from "../../src/datasets/declared/dataset.js";
import { adaptiveNode, adaptiveNodeNames } from "../../src/datasets/declared/schema.js";
import { datasetsOf } from "../../src/datasets/index.js";
import { OTHER } from "../../src/datasets/grouped.js";
import { repoRoot, sharedSchemaPath } from "../support/paths.js";

const shared = existsSync(sharedSchemaPath);
const skip = shared ? false : `Cloudflare's schema not found at ${sharedSchemaPath} (it lives in ../shared beside the repository)`;

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";

function load(yaml: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    flags: { config: "c.yaml" },
    env: { CF_ZONES: `${ZONE}=example.com`, CF_API_TOKEN: "cf-token-SECRET-0001", ...env },
    readFile: (path) => {
      if (path !== "c.yaml") throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return yaml;
    },
  });
}

function refusal(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  return assert.fail("the configuration must be refused");
}

const CACHE_BY_PREFIX = `
customDatasets:
  - name: cache_by_prefix
    node: httpRequestsAdaptiveGroups
    dimensions: [cacheStatus, clientRequestHTTPHost, { field: clientRequestPath, pathPrefix: 1 }]
    metrics: [count, sum.edgeResponseBytes, quantiles.edgeTimeToFirstByteMsP95]
    filter: { requestSource: eyeball, edgeResponseStatus_geq: 200 }
    topN: 2
`;

describe("the schema digest", () => {
  it("is what scripts/extract-adaptive-digest.ts makes of Cloudflare's schema (npm run schema rewrites it)", { skip }, () => {
    const committed = readFileSync(join(repoRoot, "src", "datasets", "declared", "adaptive-nodes.json"), "utf8");
    assert.ok(committed === extractAdaptiveDigest(readFileSync(sharedSchemaPath, "utf8")), "stale: run npm run schema and commit the digest");
  });

  it("holds the nodes the built-in grouped datasets read, in their scopes", () => {
    for (const d of datasetsOf({ customDatasets: [] }).filter((x) => x.unit === 60_000 && x.node.includes("Adaptive"))) {
      assert.ok(adaptiveNode(d.scope, d.node), `${d.scope} ${d.node}`);
    }
  });
});

describe("customDatasets in the config file", () => {
  it("a valid declaration loads: zone scope by default, filter as GraphQL, rank by count, confidence and sample interval from the node", () => {
    const config = load(CACHE_BY_PREFIX);
    assert.deepEqual(config.customDatasets, [
      {
        name: "cache_by_prefix",
        node: "httpRequestsAdaptiveGroups",
        scope: "zone",
        dimensions: [
          { field: "cacheStatus", type: "string" },
          { field: "clientRequestHTTPHost", type: "string" },
          { field: "clientRequestPath", type: "string", pathPrefix: 1 },
        ],
        metrics: [
          { path: "count", type: "uint64" },
          { path: "sum.edgeResponseBytes", type: "uint64" },
          { path: "quantiles.edgeTimeToFirstByteMsP95", type: "float64" },
        ],
        filter: 'requestSource: "eyeball", edgeResponseStatus_geq: 200',
        topN: 2,
        rankBy: "count",
        confidence: true,
        sampleInterval: true,
      },
    ]);
    assert.deepEqual(
      datasetsOf(config)
        .map((d) => d.name)
        .slice(-1),
      ["cache_by_prefix"],
    );
  });

  it("datasets may name a declared dataset; a misspelt one is still refused", () => {
    assert.deepEqual(load(CACHE_BY_PREFIX, { CF_DATASETS: "http_requests,cache_by_prefix" }).datasets, ["http_requests", "cache_by_prefix"]);
    assert.match(refusal(`${CACHE_BY_PREFIX}\ndatasets: [cache_by_prefx]\n`).message, /did you mean cache_by_prefix/);
  });

  const cases: [string, string, RegExp[]][] = [
    [
      "an unknown node, with the nearest names",
      "node: httpRequestAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count]",
      [
        /customDatasets\[0\]\.node in c\.yaml = "httpRequestAdaptiveGroups": is no per-minute Adaptive group node/,
        /nearest valid names: httpRequestsAdaptiveGroups/,
      ],
    ],
    [
      "a node of the other scope",
      "node: r2OperationsAdaptiveGroups\n    dimensions: [actionType]\n    metrics: [count]",
      [/customDatasets\[0\]\.node .*is an account-scoped node .* not a zone-scoped one; fix: set scope: account/],
    ],
    [
      "an unknown dimension",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatuss]\n    metrics: [count]",
      [/customDatasets\[0\]\.dimensions\[0\] in c\.yaml = "cacheStatuss": is no dimension of this node; fix: the nearest valid names: cacheStatus/],
    ],
    ["a time dimension", "node: httpRequestsAdaptiveGroups\n    dimensions: [datetimeHour]\n    metrics: [count]", [/dimensions\[0\] .*is a time dimension/]],
    [
      "a metric that is not a number",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count, sum.botDetectionIdArray]",
      [/metrics\[1\] in c\.yaml = "sum\.botDetectionIdArray": is not a number \(Cloudflare's type: \[uint32\]\); fix: the nearest valid names: /],
    ],
    [
      "an unknown metric",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count, sum.edgeResponseByte]",
      [/metrics\[1\] .*is no figure of this node; fix: the nearest valid names: sum\.edgeResponseBytes/],
    ],
    [
      "no count or sum to rank and total by",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [avg.edgeTimeToFirstByteMs]",
      [/customDatasets\[0\]\.metrics .*has no count or sum/],
    ],
    [
      "an unknown filter field and a value of the wrong type",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count]\n    filter: { requestSourc: eyeball, edgeResponseStatus: '200' }",
      [
        /filter\.requestSourc .*is no filter field of this node; fix: the nearest valid names: requestSource/,
        /filter\.edgeResponseStatus .*does not fit .*\(uint16\)/,
      ],
    ],
    [
      "a pathPrefix on a number",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [{ field: edgeResponseStatus, pathPrefix: 1 }]\n    metrics: [count]",
      [/is a uint16, not a string/],
    ],
    [
      "a misspelt key",
      "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count]\n    topn: 5",
      [/customDatasets\[0\]\.topn .*use topN/],
    ],
  ];
  for (const [what, body, patterns] of cases) {
    it(`refuses ${what}`, () => {
      const error = refusal(`customDatasets:\n  - name: mine\n    ${body}\n`);
      assert.equal(error.service, "configuration", "a configuration error: exit 2 (fatal.ts)");
      for (const pattern of patterns) assert.match(error.message, pattern);
    });
  }

  it("refuses a built-in's name, the run records' and a name given twice", () => {
    const one = "node: httpRequestsAdaptiveGroups\n    dimensions: [cacheStatus]\n    metrics: [count]";
    assert.match(refusal(`customDatasets:\n  - name: runs\n    ${one}\n`).message, /name in c\.yaml = "runs": is the name of the exporter's run records/);
    assert.match(refusal(`customDatasets:\n  - name: http_cache\n    ${one}\n`).message, /name in c\.yaml = "http_cache": is the name of a built-in dataset/);
    assert.match(refusal(`customDatasets:\n  - name: a\n    ${one}\n  - name: a\n    ${one}\n`).message, /customDatasets\[1\]\.name .*names two declarations/);
  });
});

describe("a declared dataset", () => {
  const declaration = (): Declaration => load(CACHE_BY_PREFIX).customDatasets[0]!;

  it("declares its fields: dimensions as keywords, counts and sums additive, quantiles not", () => {
    const fields = new Map(declaredDataset(declaration()).fields.map((f) => [f.name, f]));
    assert.equal(fields.get("cloudflare.dimensions.cacheStatus")?.type, "keyword");
    assert.deepEqual(
      ["count", "sum.edgeResponseBytes", "quantiles.edgeTimeToFirstByteMsP95"].map((p) => {
        const f = fields.get(`cloudflare.metrics.${p}`);
        return f?.role === "metric" ? [f.type, f.additivity] : undefined;
      }),
      [
        ["long", "sum"],
        ["long", "sum"],
        ["double", "none"],
      ],
    );
    assert.ok(fields.has("cloudflare.sampled") && fields.has("cloudflare.other_entries"), "sampling marks and the top-N remainder");
  });

  it("keys entries by path prefix, keeps its own top N and sums the rest into __other__; totals add up", () => {
    const T = Date.parse("2026-11-20T08:00:00Z");
    const row = (status: string, path: string, count: number, bytes: number, p95: number) => ({
      dimensions: { datetimeMinute: "2026-11-20T08:00:00Z", cacheStatus: status, clientRequestHTTPHost: "www.example.com", clientRequestPath: path },
      count,
      sum: { edgeResponseBytes: bytes },
      quantiles: { edgeTimeToFirstByteMsP95: p95 },
      avg: { sampleInterval: 1 },
    });
    const rows = [row("hit", "/static/a.js", 10, 100, 5), row("hit", "/static/b.css", 5, 50, 20), row("miss", "/api/x", 4, 40, 80), row("hit", "/", 1, 10, 3)];
    const owner: Owner = { scope: "zone", id: ZONE, name: "example.com" };
    const flat = declaredDataset(declaration()).flatten(rows, owner, { from: T, to: T + 60_000 }, { topN: 100 });
    const entries = [...flat.entries];
    assert.deepEqual(
      entries.map((e) => [e.fields["cloudflare.key"], e.fields["cloudflare.metrics.count"], e.fields["cloudflare.metrics.quantiles.edgeTimeToFirstByteMsP95"]]),
      // /static/a.js and /static/b.css are one entry /static/* (15 requests; p95 weighted by count), topN 2 of the declaration.
      [
        ["hit|www.example.com|/static/*", 15, 10],
        ["miss|www.example.com|/api/*", 4, 80],
        [OTHER, 1, undefined],
      ],
    );
    const [total] = [...flat.totals];
    assert.equal(total!.fields["cloudflare.metrics.count"], 20);
    assert.equal(total!.fields["cloudflare.metrics.sum.edgeResponseBytes"], 200);
    assert.equal(total!.fields["cloudflare.metrics.quantiles.edgeTimeToFirstByteMsP95"], undefined, "a quantile is never summed into a total");
    assert.equal(entries[0]!.fields["cloudflare.sampled"], true);
  });
});

describe("declared datasets' queries conform to Cloudflare's schema, on every node of the digest", { skip }, () => {
  const schema = shared ? buildSchema(readFileSync(sharedSchemaPath, "utf8"), { assumeValidSDL: true }) : undefined;
  for (const scope of ["zone", "account"] as const) {
    it(`every ${scope} node: a query with a dimension and every kind of figure it offers, and its settings`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const node of adaptiveNodeNames(scope)) {
        const digest = adaptiveNode(scope, node)!;
        const dimension = Object.entries(digest.dimensions).find(([f, t]) => !f.startsWith("datetime") && !t.startsWith("["));
        const figures = [
          ...(digest.count ? [{ path: "count", type: digest.count }] : []),
          ...(["sum", "avg", "quantiles"] as const).flatMap((g) => {
            const first = Object.entries(digest[g] ?? {}).find(([f, t]) => /^(u?int|float)/.test(t) && f !== "sampleInterval");
            return first ? [{ path: `${g}.${first[0]}`, type: first[1] }] : [];
          }),
        ];
        const additive = figures.find((f) => f.path === "count" || f.path.startsWith("sum."));
        if (!additive || !dimension) continue;
        checked++;
        const d = declaredDataset({
          name: "x",
          node,
          scope,
          dimensions: [{ field: dimension[0], type: dimension[1] }],
          metrics: figures,
          rankBy: additive.path,
          confidence: digest.confidence === true,
          sampleInterval: digest.avg?.sampleInterval !== undefined,
        });
        for (const query of [d.query(new Set()), d.query(new Set(), { confidenceLevel: 0.95 }), settingsQuery(scope, [node])]) {
          const errors = validate(schema!, parse(query));
          if (errors.length > 0) failures.push(`${node}: ${errors.map((e) => e.message).join("; ")}`);
        }
      }
      assert.deepEqual(failures, []);
      // Nodes without a count or sum cannot be declared (config/declared.ts refuses them); the rest are checked.
      assert.ok(checked >= adaptiveNodeNames(scope).length * 0.8, `${checked} of ${adaptiveNodeNames(scope).length} nodes checked`);
    });
  }

  it("the worked example's query", () => {
    const d = declaredDataset(load(CACHE_BY_PREFIX).customDatasets[0]!);
    assert.deepEqual(
      validate(schema!, parse(d.query(new Set(), { confidenceLevel: 0.95 }))).map((e) => e.message),
      [],
    );
  });
});
