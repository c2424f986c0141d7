/**
 * `verify`, `check`, a zone whose plan lacks the dataset, the NDJSON sink and the demo: each against the real
 * Elasticsearch and the simulator, with exact figures.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import {
  cli,
  differences,
  dropPrefix,
  esClient,
  expectedDocumentCount,
  expectedRange,
  exporterEnv,
  MINUTE,
  needsElasticsearch,
  simulator,
  ZONES,
} from "../support/harness.js";
import { dataIndices } from "../support/harness.js";
import { repoRoot } from "../support/paths.js";
import { DEMO_INDEX_PREFIX } from "../../src/commands/export.js";

const NOW = Date.parse("2026-11-18T20:00:00Z");
const now = ["--now", new Date(NOW).toISOString()];
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

describe("verify", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const prefix = "it-verify";
  const hours = { from: Date.parse("2026-11-18T15:00:00Z"), to: Date.parse("2026-11-18T19:00:00Z") };
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => NOW });
    const run = await cli(["run", ...now], exporterEnv(sim, prefix));
    assert.equal(run.code, 0, run.stderr);
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("proves stored hours equal Cloudflare's hourly rollup and breakdowns add up: exit 0", async () => {
    const result = await cli(["verify", "--from", iso(hours.from), "--to", iso(hours.to)], exporterEnv(sim, prefix));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal((result.stdout.match(/ ok$/gm) ?? []).length, 4 * ZONES.length);
    assert.match(result.stdout, /breakdowns: 720 minutes checked, 0 mismatches/);
    assert.match(result.stdout, /verified: 12\/12 hours/);
  });

  it("finds a changed total, a missing minute and a missing breakdown entry: exit 1", async () => {
    const zone = ZONES[2];
    const minute = Date.parse("2026-11-18T16:30:00Z");
    await es.indices.refresh({ index: `${prefix}-*` });
    const found = await es.search({
      index: `${prefix}-*`,
      size: 100,
      query: { bool: { filter: [{ term: { "cloudflare.zone.id": zone.id } }, { term: { "@timestamp": minute } }] } },
    });
    const total = found.hits.hits.find((h) => (h._source as { cloudflare: { breakdown: string } }).cloudflare.breakdown === "total")!;
    const status = found.hits.hits.find((h) => (h._source as { cloudflare: { breakdown: string } }).cloudflare.breakdown === "status")!;
    const other = found.hits.hits.find((h) => (h._source as { cloudflare: { breakdown: string } }).cloudflare.breakdown === "country")!;
    // Rewritten whole under its own id: a time-series index takes no partial update (and `_doc` without an id creates).
    const changed = total._source as { cloudflare: Record<string, unknown> };
    await es.index({ index: total._index, id: total._id!, document: { ...changed, cloudflare: { ...changed.cloudflare, requests: 1 } }, refresh: true });
    await es.delete({ index: status._index, id: status._id!, refresh: true });
    const missing = await es.search({
      index: dataIndices(prefix),
      size: 200,
      _source: false,
      query: { bool: { filter: [{ term: { "cloudflare.zone.id": zone.id } }, { term: { "@timestamp": minute + 60 * MINUTE } }] } },
    });
    await es.bulk({ refresh: true, operations: missing.hits.hits.map((h) => ({ delete: { _index: h._index, _id: h._id! } })) });

    const result = await cli(["verify", "--from", iso(hours.from), "--to", iso(hours.to)], exporterEnv(sim, prefix));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /api\.example\s+2026-11-18T16:00:00Z\s+60 .*MISMATCH: requests/);
    assert.match(result.stdout, /api\.example\s+2026-11-18T17:00:00Z\s+59 .*MISMATCH: 1 minutes missing/);
    assert.match(result.stdout, /api\.example 2026-11-18T16:30:00Z status: sum of cloudflare\.requests \d+ != total 1/);
    assert.match(result.stdout, /NOT verified: 10\/12 hours/);
    assert.ok(other, "the minute had other breakdowns too");

    // The next run heals the deleted minute; the changed total and the deleted entry sit outside its overlap.
    const healed = await cli(["backfill", "--from", "2026-11-18T16:00Z", "--to", "2026-11-18T18:00Z", ...now], exporterEnv(sim, prefix));
    assert.equal(healed.code, 0, healed.stderr);
    const again = await cli(["verify", "--from", iso(hours.from), "--to", iso(hours.to)], exporterEnv(sim, prefix));
    assert.equal(again.code, 0, again.stdout);
  });

  it("refuses a range without a whole hour: exit 2", async () => {
    const result = await cli(["verify", "--from", "2026-11-18T15:10Z", "--to", "2026-11-18T15:50Z"], exporterEnv(sim, prefix));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /whole hour/);
  });
});

describe("check", { skip: needsElasticsearch }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await simulator({ now: () => NOW, denied: { [ZONES[1].id]: ["httpRequests1mGroups"] } });
  });
  after(() => sim.close());

  it("prints one line per check and each zone's limits; exit 0 when all pass", async () => {
    const result = await cli(["check"], exporterEnv(sim, "it-check"));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ ok   Cloudflare reachable and credentials accepted$/m);
    assert.match(
      result.stdout,
      /^ ok   zone shop\.example http_requests: on, exact, depth 0\.3 d, windows of 1 h, .*\(maxDuration 3600s, notOlderThan 21600s, maxPageSize 10000\)$/m,
    );
    assert.match(result.stdout, /^info  zone blog\.example http_requests: off, the zone's plan does not include httpRequests1mGroups$/m);
    assert.match(result.stdout, /^ ok   zone shop\.example http_requests: on, .*, \d+ queries to catch up now, then 1 per run/m);
    assert.match(result.stdout, /^info  catching up now: \d+ requests, \d+ queries; fits this run's share of the query budget \(\d+ left now\)$/m);
    assert.match(result.stdout, /^info  a run with nothing to catch up costs about 2 queries/m);
    // Only http_requests is named: the opt-in breakdowns are listed, so nobody wonders where they are.
    assert.match(result.stdout, /^info  opt-in, not named in CF_DATASETS: (?=.*http_paths)(?=.*http_bots).*\(add them, or `all`, to run them\)$/m);
    assert.match(result.stdout, /^ ok   Elasticsearch reachable/m);
    assert.match(result.stdout, /^info  (ILM not available|index lifecycle management)/m);
    assert.match(result.stdout, /^info  security is off/m);
  });

  it("exit 1 with a failing line when Elasticsearch or Cloudflare's token fails", async () => {
    const es = await cli(["check"], exporterEnv(sim, "it-check", { ES_URL: "http://127.0.0.1:9" }));
    assert.equal(es.code, 1);
    assert.match(es.stdout, /^FAIL  Elasticsearch http:\/\/127\.0\.0\.1:9/m);
    sim.options.tokens = ["the-right-token"];
    const cf = await cli(["check"], exporterEnv(sim, "it-check"));
    sim.options.tokens = undefined;
    assert.equal(cf.code, 1);
    assert.match(cf.stdout, /^FAIL  Cloudflare: .*Unauthorized/m);
  });
});

describe("a zone whose plan lacks the dataset", { skip: needsElasticsearch }, () => {
  it("is skipped with one warning; the other zones are exact; exit 0", async () => {
    const prefix = "it-free";
    const es = esClient();
    const free = ZONES[0];
    const sim = await simulator({ now: () => NOW, denied: { [free.id]: ["httpRequests1mGroups"] } });
    try {
      await dropPrefix(es, prefix);
      const result = await cli(["run", ...now], exporterEnv(sim, prefix));
      assert.equal(result.code, 0, result.stderr);
      assert.equal((result.stderr.match(/skipping http_requests for zone shop\.example/g) ?? []).length, 1);
      const problems = await differences(es, prefix, expectedRange(NOW));
      assert.ok(problems.length > 0 && problems.every((p) => p.startsWith("shop.example")), problems.slice(0, 3).join("; "));
      await es.indices.refresh({ index: `${prefix}-*` });
      const leaked = await es.count({ index: dataIndices(prefix), query: { term: { "cloudflare.zone.id": free.id } } });
      assert.equal(leaked.count, 0);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
      await es.close();
    }
  });
});

describe("backfill with a config file and --zone", { skip: needsElasticsearch }, () => {
  it("rewrites exactly the given range of the given zone, zones and settings from a YAML file", async () => {
    const prefix = "it-backfill";
    const es = esClient();
    const sim = await simulator({ now: () => NOW });
    const dir = mkdtempSync(join(tmpdir(), "cfee-config-"));
    try {
      await dropPrefix(es, prefix);
      const file = join(dir, "exporter.yaml");
      writeFileSync(
        file,
        [
          "cloudflare:",
          "  zones:",
          ...ZONES.map((z) => `    - { id: "${z.id}", name: ${z.name} }`),
          "elasticsearch:",
          `  indexPrefix: ${prefix}`,
          "  indexPeriod: day",
          "",
        ].join("\n"),
      );
      const env = { ...exporterEnv(sim, prefix), CF_ZONES: "", ES_INDEX_PREFIX: "" };
      const from = Date.parse("2026-11-18T16:00:00Z");
      const to = Date.parse("2026-11-18T17:30:00Z");
      const result = await cli(["backfill", "--config", file, "--from", iso(from), "--to", iso(to), "--zone", ZONES[1].id, ...now], env);
      assert.equal(result.code, 0, result.stderr);
      await es.indices.refresh({ index: `${prefix}-*` });
      const byZone = await es.search({
        index: dataIndices(prefix),
        size: 0,
        aggs: { zones: { terms: { field: "cloudflare.zone.id" } }, first: { min: { field: "@timestamp" } }, last: { max: { field: "@timestamp" } } },
      });
      const aggs = byZone.aggregations as { zones: { buckets: { key: string }[] }; first: { value: number }; last: { value: number } };
      assert.deepEqual(
        aggs.zones.buckets.map((b) => b.key),
        [ZONES[1].id],
      );
      assert.equal(aggs.first.value, from);
      assert.equal(aggs.last.value, to - MINUTE);
      assert.ok(await es.indices.exists({ index: `${prefix}-http_requests-2026.11.18` }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sim.close();
      await dropPrefix(es, prefix);
      await es.close();
    }
  });
});

describe("NDJSON output and the demo", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "cfee-ndjson-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function readBulk(folder: string): { actions: { index: { _index: string; _id: string } }[]; sources: Record<string, unknown>[] } {
    const actions: { index: { _index: string; _id: string } }[] = [];
    const sources: Record<string, unknown>[] = [];
    for (const zone of readdirSync(join(folder, "http_requests"))) {
      for (const file of readdirSync(join(folder, "http_requests", zone))) {
        const lines = readFileSync(join(folder, "http_requests", zone, file), "utf8")
          .trimEnd()
          .split("\n");
        for (let i = 0; i < lines.length; i += 2) {
          actions.push(JSON.parse(lines[i]!) as never);
          sources.push(JSON.parse(lines[i + 1]!) as never);
        }
      }
    }
    return { actions, sources };
  }

  it("--output writes the same documents as _bulk bodies, and a rerun only re-reads the overlap", async () => {
    const sim = await simulator({ now: () => NOW });
    try {
      const env = { ...exporterEnv(sim, "cloudflare"), ES_URL: "" };
      const first = await cli(["run", "--output", dir, ...now], env);
      assert.equal(first.code, 0, first.stderr);
      const { actions, sources } = readBulk(dir);
      assert.equal(actions.length, expectedDocumentCount(expectedRange(NOW)));
      assert.equal(new Set(actions.map((a) => a.index._id)).size, actions.length);
      assert.ok(actions.every((a) => a.index._index === "cloudflare-http_requests-2026.11"));
      const totals = sources.filter((s) => (s as { cloudflare: { breakdown: string } }).cloudflare.breakdown === "total");
      assert.equal(totals.length, 3 * (6 * 60 - 15));
      const template = JSON.parse(readFileSync(join(dir, "index-template-http_requests.json"), "utf8")) as { template: { mappings: { dynamic: string } } };
      assert.equal(template.template.mappings.dynamic, "strict");

      const before = sim.stats.log.length;
      const second = await cli(["run", "--output", dir, ...now], env);
      assert.equal(second.code, 0, second.stderr);
      const asked = sim.stats.log
        .slice(before)
        .map((e) => (e.variables ?? {}) as { from?: string; to?: string })
        .filter((v) => v.from);
      assert.deepEqual(
        asked.map((v) => [v.from, v.to]),
        [[iso(NOW - 20 * MINUTE), iso(NOW - 5 * MINUTE)]],
      );
      // Each run leaves its record beside the data: one `run` and one per zone and dataset.
      const records = readFileSync(join(dir, "runs.ndjson"), "utf8")
        .trimEnd()
        .split("\n")
        .filter((_, i) => i % 2 === 1)
        .map((l) => JSON.parse(l) as { run: { kind: string; outcome?: string } });
      assert.deepEqual(
        records.map((r) => r.run.kind),
        ["run", "dataset", "dataset", "dataset", "run", "dataset", "dataset", "dataset"],
      );
      assert.equal(records[4]!.run.outcome, "completed");
    } finally {
      await sim.close();
    }
  });

  it("--demo needs nothing installed: simulator in, files out", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "cfee-demo-"));
    try {
      const result = await cli(["run", "--demo", "--output", join(cwd, "out")], { PATH: process.env.PATH ?? "", LOG_FORMAT: "json" });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /demo: Cloudflare simulator at http:\/\/127\.0\.0\.1:\d+/);
      const { actions } = readBulk(join(cwd, "out"));
      assert.ok(actions.length > 3 * 300, `${actions.length} documents`);
      // The demo account's three tunnels and its total: the tunnels dashboard has something to show.
      const tunnelDir = join(cwd, "out", "tunnels", "demoacc0000000000000000000000001");
      const tunnelLines = readdirSync(tunnelDir).flatMap((f) => readFileSync(join(tunnelDir, f), "utf8").trimEnd().split("\n"));
      assert.equal(tunnelLines.length, 2 * 4);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("the demo is isolated from real data", { skip: needsElasticsearch }, () => {
  it("with a real run's CF_ZONES, CF_ACCOUNTS, ES_URL and ES_INDEX_PREFIX still exported, run --demo writes nothing under that prefix", async () => {
    const prefix = "it-demo-real";
    const es = esClient();
    try {
      for (const p of [prefix, DEMO_INDEX_PREFIX]) await dropPrefix(es, p);
      const env = {
        PATH: process.env.PATH ?? "",
        CF_API_TOKEN: "real-token-0123456789",
        CF_ZONES: ZONES.map((z) => `${z.id}=${z.name}`).join(","),
        CF_ACCOUNTS: "acc0000000000000000000000000000a=production",
        ES_URL: process.env.ES_URL!,
        ES_INDEX_PREFIX: prefix,
        CF_DATASETS: "http_requests",
        LOG_FORMAT: "json",
      };
      const result = await cli(["run", "--demo"], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /index prefix demo-cloudflare; CF_ZONES, CF_ACCOUNTS and ES_INDEX_PREFIX do not apply to the demo/);
      const configured = await es.cat.indices({ index: `${prefix}-*`, format: "json", expand_wildcards: "all" });
      assert.deepEqual(configured, [], "nothing under the configured prefix, not even the run record");
      assert.equal(await es.indices.existsIndexTemplate({ name: `${prefix}-*` }), false, "no template either");
      await es.indices.refresh({ index: `${DEMO_INDEX_PREFIX}-*` });
      const zones = await es.search({ index: dataIndices(DEMO_INDEX_PREFIX), size: 0, aggs: { zones: { terms: { field: "cloudflare.zone.id", size: 10 } } } });
      const ids = (zones.aggregations as { zones: { buckets: { key: string }[] } }).zones.buckets.map((b) => b.key);
      assert.ok(ids.length > 0, "the demo wrote its own figures");
      assert.ok(
        ids.every((id) => id.startsWith("demo")),
        `only demo zones: ${ids.join(", ")}`,
      );
    } finally {
      for (const p of [prefix, DEMO_INDEX_PREFIX]) await dropPrefix(es, p);
      await es.close();
    }
  });
});

describe("simulate", () => {
  it("serves the simulator until interrupted, then exits 0", async () => {
    const child = spawn(process.execPath, [join(repoRoot, "dist", "src", "cli.js"), "simulate", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const found = /listening on (http:\/\/\S+)/.exec(stdout);
        if (found) resolve(found[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before listening: ${stdout}`)));
    });
    const answer = await fetch(url, {
      method: "POST",
      headers: { authorization: "Bearer any", "content-type": "application/json" },
      body: JSON.stringify({ query: '{ viewer { zones(filter: { zoneTag: "abc" }) { zoneTag settings { httpRequests1mGroups { enabled } } } } }' }),
    });
    const body = (await answer.json()) as { data: { viewer: { zones: { zoneTag: string; settings: { httpRequests1mGroups: { enabled: boolean } } }[] } } };
    assert.deepEqual(body.data.viewer.zones, [{ zoneTag: "abc", settings: { httpRequests1mGroups: { enabled: true } } }]);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });
});
