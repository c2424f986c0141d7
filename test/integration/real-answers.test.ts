/**
 * The product promise on the shapes real Cloudflare answers take, not only on the simulator's tidy ones: names listed
 * twice in a breakdown, breakdowns covering less than their total, the documented errors that need a different
 * request (too many zones at once, excessive resources, a field cap). Every stored figure must still equal what
 * Cloudflare answered, a rerun must change nothing, and `verify` must prove the range clean.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import {
  cli,
  countDocuments,
  differences,
  dropPrefix,
  esClient,
  expectedDocumentCount,
  expectedRange,
  exporterEnv,
  MINUTE,
  needsElasticsearch,
  simulator,
  snapshot,
  snapshotDifferences,
  ZONES,
} from "../support/harness.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const now = ["--now", new Date(NOW).toISOString()];
const HOUR = 60 * MINUTE;

describe("real answer shapes, exact end to end", { skip: needsElasticsearch }, () => {
  const prefix = "it-real-shapes";
  const range = expectedRange(NOW);
  let es: Client;
  let sim: Simulator;
  let env: Record<string, string>;
  const truth = (zone: string, minute: number) => sim.groundTruth.minute(zone, minute);

  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({
      now: () => NOW,
      repeatedMapNames: true,
      partialMaps: { countryMap: 0.95, browserMap: 0.8 },
      statusCodes: "documented",
      // Three zones per request are "too many nodes, zones and accounts"; an hour for two zones is "excessive".
      maxQueriesPerRequest: 2,
      maxOwnerMinutesPerRequest: 90,
    });
    env = exporterEnv(sim, prefix);
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("the simulated answers really hold repeated names and partial breakdowns", () => {
    let repeated = 0;
    let partial = 0;
    for (let minute = range.from; minute < range.to; minute += MINUTE) {
      const data = truth(ZONES[0].id, minute);
      if (!data) continue;
      const names = data.sum.contentTypeMap.map((e) => e.edgeResponseContentTypeName);
      if (new Set(names).size < names.length) repeated++;
      if (data.sum.countryMap.reduce((n, e) => n + e.requests, 0) < data.sum.requests) partial++;
    }
    assert.ok(repeated > 100 && partial > 100, `${repeated} minutes with repeats, ${partial} with a partial countryMap`);
  });

  it("stores every minute exactly: one document per key, the partial rest as __unattributed__", async () => {
    const result = await cli(["run", ...now], env);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    assert.deepEqual((await differences(es, prefix, range, truth)).slice(0, 20), []);
    assert.equal(await countDocuments(es, prefix), expectedDocumentCount(range, truth));
    const refused = sim.stats.log.filter((e) => e.status === 429);
    assert.ok(refused.length > 0, "Cloudflare refused some requests as too big");
    const sent = sim.stats.log.map((e) => JSON.stringify([e.query, e.variables]));
    for (const r of refused) {
      const again = sent.filter((k) => k === JSON.stringify([r.query, r.variables])).length;
      assert.equal(again, 1, "a refused request is never sent again unchanged");
    }
  });

  it("a rerun changes nothing", async () => {
    const before = await snapshot(es, prefix);
    const result = await cli(["run", ...now], env);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    assert.deepEqual(snapshotDifferences(await snapshot(es, prefix), before), []);
  });

  it("verify proves the range clean and names the breakdowns Cloudflare answered partially", async () => {
    const from = Math.ceil(range.from / HOUR) * HOUR;
    const to = Math.floor(range.to / HOUR) * HOUR;
    const result = await cli(["verify", "--from", new Date(from).toISOString(), "--to", new Date(to).toISOString()], env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /breakdowns: \d+ minutes checked, 0 mismatches/);
    assert.match(result.stdout, /breakdown partial at Cloudflare \(not a mismatch[^)]*\): country in \d+ minutes, browser in \d+ minutes/);
    assert.match(result.stdout, /verified: (\d+)\/\1 hours match Cloudflare's hourly rollup/);
  });
});

describe("a field cap below the query's fields", { skip: needsElasticsearch }, () => {
  const prefix = "it-real-fieldcap";
  let es: Client;
  let sim: Simulator;

  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => NOW, enforceFieldCap: true, settings: { httpRequests1mGroups: { maxNumberOfFields: 28 } } });
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("leaves out the deprecated threat figures, says so, and stores the rest exactly", async () => {
    const env = exporterEnv(sim, prefix);
    const result = await cli(["run", ...now], env);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    assert.match(
      result.stderr,
      /http_requests for zone shop\.example: without sum_countryMap_threats, sum_threats \(Cloudflare allows 28 fields per query of httpRequests1mGroups\)/,
    );
    assert.equal(sim.stats.statuses[400] ?? 0, 0, `no query was refused: ${JSON.stringify(sim.stats.log.filter((e) => e.status === 400).slice(0, 1))}`);
    await es.indices.refresh({ index: `${prefix}-*` });
    const withThreats = await es.count({ index: `${prefix}-http_requests-*`, query: { exists: { field: "cloudflare.threats" } } });
    assert.equal(withThreats.count, 0);
    const records = await es.search({ index: `${prefix}-runs-*`, query: { term: { "cloudflare.dataset": "http_requests" } }, size: 5 });
    assert.ok(
      records.hits.hits.some((h) => JSON.stringify(h._source).includes("without sum_countryMap_threats")),
      "the run record says what was left out",
    );
    const from = Math.ceil(expectedRange(NOW).from / HOUR) * HOUR;
    const verify = await cli(["verify", "--from", new Date(from).toISOString(), "--to", new Date(from + 2 * HOUR).toISOString()], env);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
