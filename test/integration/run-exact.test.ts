/**
 * The product promise, end to end: a run writes every minute of the retention window exactly as the simulator's
 * ground truth has it; a second run changes nothing; deleted minutes are restored.
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
const PREFIX = "it-exact";

describe("run against an empty cluster", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const range = expectedRange(NOW);
  const env = () => exporterEnv(sim, PREFIX);

  before(async () => {
    es = esClient();
    await dropPrefix(es, PREFIX);
    sim = await simulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, PREFIX);
    await es.close();
  });

  it("stores every minute of every zone exactly, and every breakdown adds up", async () => {
    const result = await cli(["run", "--now", new Date(NOW).toISOString()], env());
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await differences(es, PREFIX, range), []);
    assert.equal(await countDocuments(es, PREFIX), expectedDocumentCount(range));
    assert.match(result.stderr, /"outcome":"completed"/);
  });

  it("a second run adds nothing and changes nothing", async () => {
    const before = await snapshot(es, PREFIX);
    const result = await cli(["run", "--now", new Date(NOW).toISOString()], env());
    assert.equal(result.code, 0, result.stderr);
    const after = await snapshot(es, PREFIX);
    assert.equal(after.size, before.size);
    assert.deepEqual(snapshotDifferences(after, before), []);
  });

  it("restores exactly the minutes deleted in the middle of the range", async () => {
    const holes = [range.from + 37 * MINUTE, range.from + 38 * MINUTE, range.from + 200 * MINUTE];
    const zone = ZONES[1];
    await es.indices.refresh({ index: `${PREFIX}-*` });
    const doomed = await es.search({
      index: `${PREFIX}-*`,
      size: 1000,
      _source: false,
      query: { bool: { filter: [{ term: { "cloudflare.zone.id": zone.id } }, { terms: { "@timestamp": holes } }] } },
    });
    assert.ok(doomed.hits.hits.length >= 3, "the minutes to delete exist");
    await es.bulk({ refresh: true, operations: doomed.hits.hits.map((h) => ({ delete: { _index: h._index, _id: h._id! } })) });
    assert.notDeepEqual(await differences(es, PREFIX, range), [], "the deletion is visible");

    const before = sim.stats.requests;
    const result = await cli(["run", "--now", new Date(NOW).toISOString()], env());
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await differences(es, PREFIX, range), []);
    assert.equal(await countDocuments(es, PREFIX), expectedDocumentCount(range));
    assert.ok(sim.stats.requests - before >= 3, "the holes were fetched from Cloudflare");
  });

  it("--dry-run prints the plan and writes nothing", async () => {
    const other = "it-exact-dry";
    const result = await cli(["run", "--dry-run", "--now", new Date(NOW).toISOString()], exporterEnv(sim, other));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Plan \(dry run/);
    assert.match(result.stdout, /http_requests shop\.example .*: on, \d+ minutes in \d+ windows/);
    assert.match(result.stdout, /% of the budget of 250 per 5 minutes/);
    const exists = await es.indices.exists({ index: `${other}-*`, allow_no_indices: false });
    assert.equal(exists, false);
    const templates = await es.indices.existsIndexTemplate({ name: `${other}-http_requests` });
    assert.equal(templates, false);
  });
});
