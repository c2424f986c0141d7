/**
 * Discovery end to end: the built CLI with neither CF_ZONES nor CF_ACCOUNTS, against the simulator's REST and GraphQL
 * endpoints and the real Elasticsearch. Zones and accounts are listed once, exported exactly under Cloudflare's names,
 * narrowed by filters; a zone that disappears keeps its data; filters that match nothing and a listing that keeps
 * failing write nothing; 10,000 zones are listed in bounded time and memory (measured, and reported as diagnostics).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { RestZone, Simulator } from "../../simulator/index.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";
import {
  cli,
  countDocuments,
  dataIndices,
  differences,
  dropPrefix,
  esClient,
  expectedRange,
  exporterEnv,
  MINUTE,
  needsElasticsearch,
  simulator,
  ZONES,
} from "../support/harness.js";

const NOW = Date.parse("2026-11-18T20:00:00Z");
const at = (ms: number) => ["--now", new Date(ms).toISOString()];
const ACCOUNT = { id: "acc0000000000000000000000000d001", name: "Harness Corp" };
const OTHER = { id: "acc0000000000000000000000000d002", name: "Other Corp" };
/** The harness's zones as Cloudflare lists them, with Cloudflare's names (not the harness's), and two that must not run. */
const LISTED: RestZone[] = [
  ...ZONES.map((z) => ({ id: z.id, name: `${z.name.split(".")[0]}.example.com`, account: ACCOUNT })),
  { id: "0d00000000000000000000000000000d", name: "pending.example.com", status: "pending", account: ACCOUNT },
];

/** The exporter's environment without any zone or account: discovery. */
function discoveryEnv(sim: Simulator, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const { CF_ZONES: _, ...env } = exporterEnv(sim, prefix, extra);
  return env;
}

const lines = (stderr: string) =>
  stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { level: string; message: string; summary?: { peakRssMb: number; durationMs: number } });

async function zoneDocuments(es: Client, prefix: string, zoneId: string): Promise<{ count: number; names: string[] }> {
  await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
  const query = { term: { "cloudflare.zone.id": zoneId } };
  const answer = await es.search({
    index: dataIndices(prefix),
    allow_no_indices: true,
    size: 0,
    query,
    aggs: { names: { terms: { field: "cloudflare.zone.name" } } },
  });
  const names = (answer.aggregations as { names: { buckets: { key: string }[] } } | undefined)?.names.buckets.map((b) => b.key) ?? [];
  return { count: (await es.count({ index: dataIndices(prefix), allow_no_indices: true, query })).count, names };
}

async function runRecords(es: Client, prefix: string): Promise<{ outcome: string; error?: string }[]> {
  await es.indices.refresh({ index: `${prefix}-runs-*`, allow_no_indices: true });
  const answer = await es.search({ index: `${prefix}-runs-*`, allow_no_indices: true, size: 50, query: { term: { "run.kind": "run" } } });
  return answer.hits.hits.map((h) => (h._source as { run: { outcome: string; error?: string } }).run);
}

describe("discovery: run, check, verify with zones listed from Cloudflare", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const prefix = "it-discovery";
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => NOW, accounts: [ACCOUNT], zones: LISTED });
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("run: lists accounts and zones once, exports the active zones exactly, under Cloudflare's names", async () => {
    const result = await cli(["run", ...at(NOW)], discoveryEnv(sim, prefix));
    assert.equal(result.code, 0, result.stderr);
    const said = lines(result.stderr).filter((l) => l.message.startsWith("discovered "));
    assert.deepEqual(
      said.map((l) => [l.level, l.message]),
      [["info", "discovered 3 zones and 1 account (of 3 active zones and 1 account the credentials can read, no filters) in 2 REST requests"]],
    );
    assert.deepEqual(
      sim.stats.rest.log.map((e) => `${e.path}?${e.query}`),
      ["/accounts?page=1&per_page=50", "/zones?status=active&page=1&per_page=50"],
    );
    assert.deepEqual(await differences(es, prefix, expectedRange(NOW)), []);
    for (const [i, zone] of ZONES.entries()) assert.deepEqual((await zoneDocuments(es, prefix, zone.id)).names, [LISTED[i]!.name]);
    assert.equal((await zoneDocuments(es, prefix, LISTED[3]!.id)).count, 0, "a pending zone is not exported");
  });

  it("check: prints what was discovered; verify: proves the discovered zones' hours", async () => {
    const check = await cli(["check"], discoveryEnv(sim, prefix));
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /^ ok   configuration valid: zones and accounts discovered through http:\/\/127\.0\.0\.1:\d+\/client\/v4, /m);
    assert.match(
      check.stdout,
      /^ ok   discovered 3 zones and 1 account \(of 3 active zones and 1 account the credentials can read, no filters\) in 2 REST requests$/m,
    );
    assert.match(check.stdout, /^ ok   zone shop\.example\.com http_requests: on/m);
    const verify = await cli(["verify", "--from", "2026-11-18T16:00:00Z", "--to", "2026-11-18T18:00:00Z"], discoveryEnv(sim, prefix));
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /verified: 6\/6 hours/);
  });

  it("check with filters that match nothing: a FAIL line naming them, the other checks still run, exit 2", async () => {
    const check = await cli(["check"], discoveryEnv(sim, prefix, { CF_ACCOUNTS_INCLUDE: "nobody" }));
    assert.equal(check.code, 2, check.stdout + check.stderr);
    assert.match(
      check.stdout,
      /^FAIL {2}discovery: Invalid configuration: CF_ACCOUNTS_INCLUDE = nobody: matches none of the 1 account the credentials can read: Harness Corp; fix: /m,
    );
    assert.match(check.stdout, /^ ok   Elasticsearch reachable/m);
  });

  it("backfill --zone narrows the discovered zones, and refuses one that is not among them (exit 2)", async () => {
    const range = ["--from", "2026-11-18T18:00:00Z", "--to", "2026-11-18T18:30:00Z", "--dry-run"];
    const one = await cli(["backfill", ...range, "--zone", ZONES[1].id, ...at(NOW)], discoveryEnv(sim, prefix));
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /http_requests blog\.example\.com/);
    assert.doesNotMatch(one.stdout, /shop\.example\.com|api\.example\.com/);
    const pending = await cli(["backfill", ...range, "--zone", LISTED[3]!.id, ...at(NOW)], discoveryEnv(sim, prefix));
    assert.equal(pending.code, 2, pending.stderr);
    assert.match(pending.stderr, /--zone = \\?"0d00000000000000000000000000000d\\?": is not one of the discovered zones/);
  });

  it("a zone that disappears is not exported any more, and its data stays; a filter leaves a zone out", async () => {
    const gone = ZONES[2].id;
    const excluded = ZONES[1].id;
    const before = await Promise.all([gone, excluded, ZONES[0].id].map((id) => zoneDocuments(es, prefix, id)));
    sim.options.zones = LISTED.filter((z) => z.id !== gone);
    const later = NOW + 30 * MINUTE;
    sim.options.now = () => later;
    const result = await cli(["run", ...at(later)], discoveryEnv(sim, prefix, { CF_ZONES_EXCLUDE: "BLOG.example.com" }));
    sim.options.zones = LISTED;
    sim.options.now = () => NOW;
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /discovered 1 zone and 1 account \(of 2 active zones and 1 account the credentials can read, through CF_ZONES_EXCLUDE=BLOG\.example\.com\)/,
    );
    const after = await Promise.all([gone, excluded, ZONES[0].id].map((id) => zoneDocuments(es, prefix, id)));
    assert.equal(after[0]!.count, before[0]!.count, "the disappeared zone's documents stay, none added");
    assert.equal(after[1]!.count, before[1]!.count, "the excluded zone got nothing new");
    assert.ok(after[0]!.count > 0);
    assert.ok(after[2]!.count > before[2]!.count, "the remaining zone got its new minutes");
  });

  it("filters that match nothing: exit 2 naming the names seen; nothing written, not even a run record", async () => {
    const documents = await countDocuments(es, prefix);
    const records = (await runRecords(es, prefix)).length;
    const result = await cli(["run", ...at(NOW + 40 * MINUTE)], discoveryEnv(sim, prefix, { CF_ZONES_INCLUDE: "*.example.org,www.example.com" }));
    assert.equal(result.code, 2, result.stderr);
    const fatal = lines(result.stderr).at(-1) as unknown as { service: string; message: string; fix: string };
    assert.equal(fatal.service, "configuration");
    assert.match(
      fatal.message,
      /CF_ZONES_INCLUDE = \*\.example\.org,www\.example\.com: matches none of the 3 zones the credentials can read: shop\.example\.com, blog\.example\.com, api\.example\.com/,
    );
    assert.equal(await countDocuments(es, prefix), documents);
    assert.equal((await runRecords(es, prefix)).length, records);
  });
});

describe("discovery: a listing that keeps failing", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const prefix = "it-discovery-fail";
  const many: RestZone[] = Array.from({ length: 120 }, (_, i) => ({ id: `0e${String(i).padStart(30, "0")}`, name: `z${i}.example.com`, account: ACCOUNT }));
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => NOW, accounts: [ACCOUNT], zones: many, restFaults: [{ path: "/zones", page: 2, kind: "http503" }] });
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("is retried, then fails the run (exit 1) naming the page; no data is written, the failure is recorded", async () => {
    const result = await cli(["run", ...at(NOW)], discoveryEnv(sim, prefix, { CF_MAX_RETRY_SECONDS: "3" }));
    assert.equal(result.code, 1, result.stderr);
    const all = lines(result.stderr);
    assert.ok(all.some((l) => l.level === "warn" && /^retrying in .*listing zones, page 2: HTTP 503/.test(l.message)));
    const fatal = all.at(-1) as unknown as { service: string; kind: string; message: string };
    assert.deepEqual([fatal.service, fatal.kind], ["cloudflare", "unavailable"]);
    assert.match(fatal.message, /^listing zones, page 2: HTTP 503: 10013 Service temporarily unavailable$/);
    assert.equal(sim.stats.requests, 0, "no GraphQL query: nothing was fetched");
    assert.equal(await countDocuments(es, prefix), 0);
    const records = await runRecords(es, prefix);
    assert.deepEqual(
      records.map((r) => r.outcome),
      ["failed"],
    );
    assert.match(records[0]!.error!, /listing zones, page 2/);
    assert.doesNotMatch(result.stderr, /test-token-0123456789/, "no credential in any output");
  });
});

describe("discovery: the run's gate and deadline", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  let gate: ScriptedServer;
  const prefix = "it-discovery-gate";
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => NOW, accounts: [ACCOUNT], zones: LISTED });
    gate = await startScriptedServer("/may-i-run");
  });
  after(async () => {
    await Promise.all([sim.close(), gate.close()]);
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("a passive environment (the gate answers False) lists nothing from Cloudflare: exit 0, outcome not-active", async () => {
    gate.script = [{ body: "False" }];
    sim.reset();
    const result = await cli(["run", ...at(NOW)], discoveryEnv(sim, prefix, { NO_CONCURRENCY_URI: gate.url }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.stats.rest.requests, 0, "no REST request");
    assert.equal(sim.stats.requests, 0, "no GraphQL request");
    assert.deepEqual(
      (await runRecords(es, prefix)).map((r) => r.outcome),
      ["not-active"],
    );
  });

  it("a run whose deadline passes while it lists zones stops there: exit 1, outcome deadline, nothing fetched", async () => {
    await dropPrefix(es, prefix);
    sim.reset();
    sim.options.latencyMs = 15_000;
    const result = await cli(["run", ...at(NOW)], discoveryEnv(sim, prefix, { RUN_DEADLINE_SECONDS: "10" }));
    sim.options.latencyMs = 0;
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /listing accounts, page 1: not sent or not awaited: the run's deadline of 10s \(RUN_DEADLINE_SECONDS\) has passed: no window was taken/,
    );
    assert.equal(sim.stats.requests, 0);
    assert.deepEqual(
      (await runRecords(es, prefix)).map((r) => r.outcome),
      ["deadline"],
    );
  });
});

describe("discovery: 10,000 zones", () => {
  let sim: Simulator;
  let dir: string;
  const many: RestZone[] = Array.from({ length: 10_000 }, (_, i) => ({
    id: `0f${String(i).padStart(30, "0")}`,
    name: `zone-${i}.customer-${i % 97}.example.com`,
    account: ACCOUNT,
  }));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "discovery-10k-"));
    sim = await simulator({ now: () => NOW, accounts: [ACCOUNT, OTHER] });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A dry run of the account datasets only (no zone settings are read), with the simulator listing `zones`. */
  async function dryRun(zones: readonly RestZone[]): Promise<{ code: number | null; discoveryMs: number; peakRssMb: number; said: string; stderr: string }> {
    sim.options.zones = zones;
    sim.reset();
    const result = await cli(["run", "--dry-run", ...at(NOW)], { ...discoveryEnv(sim, "unused", { CF_DATASETS: "workers", OUTPUT_DIR: dir }), ES_URL: "" });
    const all = lines(result.stderr);
    const said = all.find((l) => l.message.startsWith("discovered "))?.message ?? "";
    const runLine = all.find((l) => l.message.startsWith("run (dry run)"));
    const summary = all.find((l) => l.summary)?.summary;
    return {
      code: result.code,
      // From the process's own log: the discovery line comes right after the REST requests, before anything else.
      discoveryMs: runLine ? Date.parse((runLine as unknown as { timestamp: string }).timestamp) - sim.stats.rest.log[0]!.at : Number.NaN,
      peakRssMb: summary?.peakRssMb ?? Number.NaN,
      said,
      stderr: result.stderr,
    };
  }

  it("are listed in 201 + 1 REST requests, in bounded time and memory (measured against the same run with none)", async (t) => {
    const none = await dryRun([]);
    assert.equal(none.code, 0, none.stderr);
    const large = await dryRun(many);
    assert.equal(large.code, 0, large.stderr);
    assert.match(large.said, /^discovered 10000 zones and 2 accounts .* in 201 REST requests$/);
    assert.equal(sim.stats.rest.requests, 201);
    assert.equal(sim.stats.rest.budgetRejections, 0);
    const extraMb = large.peakRssMb - none.peakRssMb;
    t.diagnostic(`10,000 zones: discovery ${large.discoveryMs} ms, peak RSS ${large.peakRssMb} MB (${extraMb} MB more than with no zone)`);
    assert.ok(large.discoveryMs < 30_000, `discovery took ${large.discoveryMs} ms`);
    assert.ok(extraMb < 64, `discovery of 10,000 zones added ${extraMb} MB to the peak RSS`);
  });
});
