/**
 * User-declared datasets end to end: a config file declares two datasets (the README's cache status by host and path
 * prefix, and firewall events by action and source), the built CLI runs them against the simulator (which validates
 * every query against Cloudflare's schema) into the real Elasticsearch, and what is stored equals the simulator's
 * ground truth: every minute's total, and every entry of the top N with the remainder in `__other__`. A rerun changes
 * nothing, `check` and `--dry-run` list them, and a declaration naming an unknown field stops the run with exit 2.
 *
 * The expectations are stated here on their own (the prefix rule, the ranking), not taken from the exporter's modules.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import { buildSchema, parse, validate } from "graphql";
import type { AdaptiveName, Simulator } from "../../simulator/index.js";
import { sharedSchemaPath } from "../support/paths.js";
import { cli, dropPrefix, esClient, exporterEnv, MINUTE, needsElasticsearch, simulator, snapshot, snapshotDifferences, ZONES } from "../support/harness.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const now = ["--now", new Date(NOW).toISOString()];
const PREFIX = "it-declared";
const ZONE = ZONES[0];
const TOP_N = 4;
const sharedSchema = existsSync(sharedSchemaPath);

const CONFIG = `
customDatasets:
  - name: cache_by_prefix
    node: httpRequestsAdaptiveGroups
    dimensions: [cacheStatus, clientRequestHTTPHost, { field: clientRequestPath, pathPrefix: 1 }]
    metrics: [count, sum.edgeResponseBytes, quantiles.edgeTimeToFirstByteMsP95]
    filter: { requestSource: eyeball }
    topN: ${TOP_N}
  - name: firewall_actions
    node: firewallEventsAdaptiveGroups
    dimensions: [action, source]
    metrics: [count]
  - name: cache_reserve
    node: cacheReserveRequestsAdaptiveGroups
    dimensions: [cacheStatus, edgeResponseStatus]
    metrics: [count, sum.edgeResponseBytes]
    topN: 2
  - name: kv_operations
    node: kvOperationsAdaptiveGroups
    scope: account
    dimensions: [namespaceId, actionType]
    metrics: [sum.requests, sum.objectBytes]
    topN: 2
`;

interface Declared {
  readonly name: string;
  readonly owner: "zone" | "account";
  /** A node the simulator has a spec for, or one it serves from its schema types alone (DECLARABLE_*_NODES). */
  readonly node: string;
  readonly dims: readonly string[];
  readonly filter: Record<string, unknown>;
  readonly additive: readonly string[];
  readonly topN: number;
  /** Dimension -> the value the entry is keyed by. */
  readonly keys?: Readonly<Record<string, (value: string) => string>>;
}

/** The README's rule: the first N segments of a path, `/*` where more followed. */
const firstSegment = (path: string): string => {
  const parts = path.split("/");
  return parts.length <= 2 ? path : `/${parts[1]}/*`;
};

const DECLARED: readonly Declared[] = [
  {
    name: "cache_by_prefix",
    owner: "zone",
    node: "httpRequestsAdaptiveGroups",
    dims: ["cacheStatus", "clientRequestHTTPHost", "clientRequestPath"],
    filter: { requestSource: "eyeball" },
    additive: ["count", "sum.edgeResponseBytes"],
    topN: TOP_N,
    keys: { clientRequestPath: firstSegment },
  },
  // No topN in the declaration: CF_TOP_N (set below) applies.
  { name: "firewall_actions", owner: "zone", node: "firewallEventsAdaptiveGroups", dims: ["action", "source"], filter: {}, additive: ["count"], topN: 3 },
  // Nodes no built-in reads, which the simulator serves from their schema types alone (no spec, default settings);
  // the second ranked by a sum.
  {
    name: "cache_reserve",
    owner: "zone",
    node: "cacheReserveRequestsAdaptiveGroups",
    dims: ["cacheStatus", "edgeResponseStatus"],
    filter: {},
    additive: ["count", "sum.edgeResponseBytes"],
    topN: 2,
  },
  {
    name: "kv_operations",
    owner: "account",
    node: "kvOperationsAdaptiveGroups",
    dims: ["namespaceId", "actionType"],
    filter: {},
    additive: ["sum.requests", "sum.objectBytes"],
    topN: 2,
  },
];
const ACCOUNT = { id: "acc00000000000000000000000000a01", name: "prod-account" };

type Source = Record<string, unknown>;
const field = (source: Source, path: string): unknown => path.split(".").reduce<unknown>((node, part) => (node as Source | undefined)?.[part], source);
const figure = (row: Source, path: string): number => Number(path === "count" ? row.count : field(row, path));

describe("user-declared datasets against Elasticsearch and the simulator", { skip: needsElasticsearch }, () => {
  let sim: Simulator;
  let es: Client;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    sim = await simulator({
      now: () => NOW,
      // Two hours of history keep the run short; settings apply to the nodes served for declared datasets too.
      settings: Object.fromEntries(DECLARED.map((d) => [d.node, { notOlderThan: 2 * 3600 }])),
    });
    es = esClient();
    await dropPrefix(es, PREFIX);
    dir = mkdtempSync(join(tmpdir(), "declared-"));
    writeFileSync(join(dir, "config.yaml"), CONFIG);
    env = exporterEnv(sim, PREFIX, {
      CONFIG_FILE: join(dir, "config.yaml"),
      CF_ZONES: `${ZONE.id}=${ZONE.name}`,
      CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`,
      CF_DATASETS: "cache_by_prefix,firewall_actions,cache_reserve,kv_operations",
      CF_TOP_N: "3",
    });
  });

  after(async () => {
    await dropPrefix(es, PREFIX);
    await es.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a run stores exactly the simulator's ground truth: totals, the top N and the remainder", async () => {
    const run = await cli(["run", ...now], env);
    assert.equal(run.code, 0, run.stderr);
    // Written documents are searchable once refreshed.
    await es.indices.refresh({ index: `${PREFIX}-*` });
    for (const d of DECLARED) {
      const tag = d.owner === "zone" ? ZONE.id : ACCOUNT.id;
      const response = await es.search({ index: `${PREFIX}-${d.name}-*`, size: 10_000, query: { term: { [`cloudflare.${d.owner}.id`]: tag } } });
      const docs = response.hits.hits.map((h) => h._source as Source);
      assert.ok(docs.length < 10_000);
      const totals = docs.filter((x) => field(x, "cloudflare.breakdown") === "total");
      assert.ok(totals.length >= 60, `${d.name}: ${totals.length} minutes stored\n${run.stderr}`);
      const problems: string[] = [];
      for (const total of totals) {
        const minute = Date.parse(String(total["@timestamp"]));
        const rows = sim.groundTruth.groups(d.node as AdaptiveName, tag, minute, minute + MINUTE, d.dims, d.filter) as unknown as Source[];
        // Rows whose keyed values are equal are one entry (paths by prefix): their figures summed.
        const entries = new Map<string, Record<string, number>>();
        for (const row of rows) {
          const key = d.dims.map((f) => (d.keys?.[f] ?? String)(String(field(row, `dimensions.${f}`)))).join("|");
          const into = entries.get(key) ?? Object.fromEntries(d.additive.map((p) => [p, 0]));
          for (const p of d.additive) into[p]! += figure(row, p);
          entries.set(key, into);
        }
        // Ranked by the first count or sum declared (the exporter's default rankBy), ties by key.
        const rank = d.additive[0]!;
        const ranked = [...entries].sort(([ka, a], [kb, b]) => b[rank]! - a[rank]! || (ka < kb ? -1 : ka > kb ? 1 : 0));
        const expected = new Map(ranked.slice(0, d.topN));
        if (ranked.length > d.topN) {
          expected.set("__other__", Object.fromEntries(d.additive.map((p) => [p, ranked.slice(d.topN).reduce((n, [, e]) => n + e[p]!, 0)])));
        }
        const stored = docs.filter((x) => x["@timestamp"] === total["@timestamp"] && field(x, "cloudflare.breakdown") === d.name);
        const at = new Date(minute).toISOString();
        if (stored.length !== expected.size) problems.push(`${d.name} ${at}: ${stored.length} entries, expected ${expected.size}`);
        for (const entry of stored) {
          const want = expected.get(String(field(entry, "cloudflare.key")));
          for (const p of d.additive) {
            if (field(entry, `cloudflare.metrics.${p}`) !== want?.[p]) problems.push(`${d.name} ${at} ${String(field(entry, "cloudflare.key"))} ${p}`);
          }
        }
        for (const p of d.additive) {
          const sum = rows.reduce((n, r) => n + figure(r, p), 0);
          if (field(total, `cloudflare.metrics.${p}`) !== sum)
            problems.push(`${d.name} ${at} total ${p}: ${String(field(total, `cloudflare.metrics.${p}`))} != ${sum}`);
        }
      }
      assert.deepEqual(problems.slice(0, 10), []);
      assert.ok(
        docs.some((x) => field(x, "cloudflare.key") === "__other__"),
        `${d.name}: the simulator's traffic exceeds the top N somewhere`,
      );
      assert.ok(
        docs.every((x) => x["cloudflare.sampled"] === true || field(x, "cloudflare.sampled") === true),
        "every document is marked sampled",
      );
    }
    const prefixes = await es.search({
      index: `${PREFIX}-cache_by_prefix-*`,
      size: 0,
      aggs: { p: { terms: { field: "cloudflare.dimensions.clientRequestPath", size: 100 } } },
    });
    const values = (prefixes.aggregations!.p as { buckets: { key: string }[] }).buckets.map((b) => b.key);
    assert.ok(values.length > 0 && values.every((v) => v === "/" || /^\/[^/]*(\/\*)?$/.test(v)), `path prefixes only: ${values.join(", ")}`);
    const p95 = await es.search({
      index: `${PREFIX}-cache_by_prefix-*`,
      size: 1,
      query: { exists: { field: "cloudflare.metrics.quantiles.edgeTimeToFirstByteMsP95" } },
    });
    assert.notEqual(field(p95.hits.hits[0]!._source as Source, "cloudflare.breakdown"), "total", "a quantile is on entries, never on totals");
  });

  it("a rerun changes nothing", async () => {
    const before = await snapshot(es, PREFIX);
    const run = await cli(["run", ...now], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(snapshotDifferences(await snapshot(es, PREFIX), before), []);
  });

  it("a minute whose total is deleted is read again from Cloudflare, entries and all", async () => {
    const index = `${PREFIX}-cache_by_prefix-*`;
    const wanted = await snapshot(es, PREFIX);
    const one = await es.search({ index, size: 1, query: { term: { "cloudflare.breakdown": "total" } }, sort: [{ "@timestamp": "desc" }] });
    const hit = one.hits.hits[0]!;
    await es.delete({ index: hit._index, id: hit._id!, refresh: true });
    assert.equal((await snapshot(es, PREFIX)).size, wanted.size - 1);
    const run = await cli(["run", ...now], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(snapshotDifferences(await snapshot(es, PREFIX), wanted), []);
  });

  it("verify checks that every declared dataset's entries add up to their totals", async () => {
    const names = DECLARED.map((d) => d.name).join(",");
    const result = await cli(["verify", "--from", "2026-11-20T11:00:00Z", "--to", "2026-11-20T12:00:00Z", "--dataset", names], env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const d of DECLARED) assert.match(result.stdout, new RegExp(`dataset ${d.name}\\nbreakdowns: [1-9]\\d* minutes checked, 0 mismatches`));
  });

  it("check lists each declared dataset's fields and decisions; --dry-run plans them", async () => {
    const check = await cli(["check"], env);
    assert.match(
      check.stdout,
      /info {2}declared dataset cache_by_prefix \(zone httpRequestsAdaptiveGroups\): .*cloudflare\.metrics\.count \(long, metric, sums\)/,
    );
    assert.match(check.stdout, /cloudflare\.metrics\.quantiles\.edgeTimeToFirstByteMsP95 \(double, metric, not additive\)/);
    assert.match(
      check.stdout,
      /info {2}declared dataset kv_operations \(account kvOperationsAdaptiveGroups\): .*cloudflare\.metrics\.sum\.requests \(long, metric, sums\)/,
    );
    assert.doesNotMatch(check.stdout, /FAIL.*(cache_by_prefix|firewall_actions|cache_reserve|kv_operations)/);
    const dry = await cli(["run", "--dry-run", ...now], env);
    assert.equal(dry.code, 0, dry.stderr);
    for (const d of DECLARED) assert.match(dry.stdout, new RegExp(d.name));
  });

  it("a declaration naming an unknown field stops before any work: exit 2, the key and the nearest names", async () => {
    writeFileSync(join(dir, "bad.yaml"), CONFIG.replace("sum.edgeResponseBytes", "sum.edgeResponseByte"));
    const run = await cli(["run", ...now], { ...env, CONFIG_FILE: join(dir, "bad.yaml") });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /customDatasets\[0\]\.metrics\[1\] in .*bad\.yaml = \\?"sum\.edgeResponseByte\\?": is no figure of this node; fix: the nearest valid names: sum\.edgeResponseBytes/,
    );
  });

  it(
    "every query the runs sent for them validates against Cloudflare's published schema",
    { skip: sharedSchema ? false : "no ../shared/cloudflare/schema.graphql" },
    () => {
      const schema = buildSchema(readFileSync(sharedSchemaPath, "utf8"), { assumeValidSDL: true });
      const sent = sim.stats.log.filter((e) => DECLARED.some((d) => e.query.includes(`${d.node}(`)));
      for (const d of DECLARED)
        assert.ok(
          sent.some((e) => e.query.includes(`${d.node}(`)),
          `${d.node} was asked for`,
        );
      for (const entry of sent)
        assert.deepEqual(
          validate(schema, parse(entry.query)).map((e) => e.message),
          [],
          entry.query,
        );
    },
  );
});
