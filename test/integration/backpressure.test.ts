/**
 * Elasticsearch pushing back: a cluster with a one-thread write pool and a one-slot queue answers bulk items with
 * 429 under the exporter's concurrent bulk requests. Those items are sent again, and the figures end up exact.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@elastic/elasticsearch";
import { startElasticsearch, type RunningElasticsearch } from "../../scripts/elasticsearch.js";
import type { Simulator } from "../../simulator/index.js";
import { cli, differences, exporterEnv, simulator } from "../support/harness.js";

const NOW = Date.parse("2026-11-16T08:00:00Z");
const skip =
  process.env.ES_STARTED_BY_TESTS === "1" ? false : "needs `npm test` to start Elasticsearch itself (it then starts a second one with a tiny write pool)";

describe("Elasticsearch answering 429", { skip }, () => {
  let es: RunningElasticsearch;
  let client: Client;
  let sim: Simulator;
  before(async () => {
    es = await startElasticsearch({ heap: "512m", settings: { "thread_pool.write.size": "1", "thread_pool.write.queue_size": "1" } });
    client = new Client({ node: es.url });
    // A day in one window per zone: about 25 MB of bulk bodies each, so the helper sends several requests at once.
    sim = await simulator({ now: () => NOW, settings: { httpRequests1mGroups: { notOlderThan: 86_400, maxDuration: 259_200 } } });
  });
  after(async () => {
    await sim?.close();
    await client?.close();
    await es?.stop();
  });

  it("re-sends the rejected items and stores exact figures", async () => {
    const result = await cli(["run", "--now", new Date(NOW).toISOString()], { ...exporterEnv(sim, "it-429"), ES_URL: es.url });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stderr.split("\n").find((l) => l.includes('"summary"'))!) as { summary: { bulkRetries: number } };
    assert.ok(summary.summary.bulkRetries > 0, "Elasticsearch did push back");
    const minute = 60_000;
    const range = { from: NOW - 86_400_000 + 10 * minute, to: NOW - 5 * minute };
    assert.deepEqual(await differences(client, "it-429", range), []);
  });
});
