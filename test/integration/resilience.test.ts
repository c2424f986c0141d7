/**
 * Exact figures after things go wrong: Cloudflare failing one request in ten, late data, an Elasticsearch item
 * failure in the middle of a run, and the process killed at random points of a backfill.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
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
} from "../support/harness.js";
import { dataIndices } from "../support/harness.js";

const iso = (ms: number) => new Date(ms).toISOString();

describe("resilience", { skip: needsElasticsearch }, () => {
  let es: Client;
  before(() => {
    es = esClient();
  });
  after(() => es.close());

  it("about 10 % of Cloudflare requests fail (HTTP 200 budget errors, 429, 503, cut bodies): exact in the end", async () => {
    const prefix = "it-faults";
    const now = Date.parse("2026-11-21T06:00:00Z");
    await dropPrefix(es, prefix);
    // 15-minute windows make about 70 requests, so faults are certain to happen.
    const sim = await simulator({
      now: () => now,
      settings: { httpRequests1mGroups: { maxDuration: 900 } },
      failureRate: 0.1,
      failureKinds: ["budget200", "http429", "http503", "truncated"],
      seed: 7,
    });
    try {
      const result = await cli(["run", "--now", iso(now)], exporterEnv(sim, prefix));
      assert.equal(result.code, 0, result.stderr);
      const injected = Object.values(sim.stats.faults).reduce((a, b) => a + b, 0);
      assert.ok(injected >= 3, `faults were injected (${injected})`);
      assert.match(result.stderr, /retrying in/);
      assert.deepEqual(await differences(es, prefix, expectedRange(now)), []);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });

  it("late data: minutes that were still growing are corrected by the overlap re-read", async () => {
    const prefix = "it-late";
    let now = Date.parse("2026-11-21T09:00:00Z");
    await dropPrefix(es, prefix);
    const sim = await simulator({ now: () => now, lateMinutes: 10 });
    try {
      const first = await cli(["run", "--now", iso(now)], exporterEnv(sim, prefix));
      assert.equal(first.code, 0, first.stderr);
      const grown = await differences(es, prefix, expectedRange(now));
      assert.ok(grown.length > 0, "the newest minutes were stored before they were final");
      assert.ok(
        grown.every((p) => / 2026-11-21T08:(4[6-9]|5[0-4])/.test(p)),
        `only unsettled minutes differ: ${grown.slice(0, 3).join("; ")}`,
      );

      now += 10 * MINUTE;
      const second = await cli(["run", "--now", iso(now)], exporterEnv(sim, prefix));
      assert.equal(second.code, 0, second.stderr);
      const range = expectedRange(now);
      // Minutes younger than lateMinutes are still growing in the simulator; everything older must be final now.
      const settled = { from: range.from, to: now - 10 * MINUTE };
      assert.deepEqual(await differences(es, prefix, settled), []);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });

  it("an Elasticsearch item failure fails the run (exit 1), writes no later window, and the next run heals", async () => {
    const prefix = "it-items";
    const now = Date.parse("2026-11-22T02:00:00Z"); // the range crosses midnight: two daily indices
    const blocked = `${prefix}-http_requests-2026.11.21`;
    await dropPrefix(es, prefix);
    const sim = await simulator({ now: () => now });
    const env = exporterEnv(sim, prefix, { ES_INDEX_PERIOD: "day" });
    try {
      assert.equal((await cli(["bootstrap"], env)).code, 0);
      await es.indices.create({ index: blocked });
      await es.indices.putSettings({ index: blocked, settings: { "index.blocks.write": true } });

      const failed = await cli(["run", "--now", iso(now)], env);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /rejected/);
      assert.match(failed.stderr, /"outcome":"failed"/);
      await es.indices.refresh({ index: `${prefix}-*` });
      // The newest window of every zone comes first (it was written); then history, oldest first: the first window
      // into the blocked day fails its zone, and none of that zone's later windows is taken.
      const tailStart = expectedRange(now).to - 60 * MINUTE;
      const tail = await es.count({ index: dataIndices(prefix), query: { range: { "@timestamp": { gte: tailStart } } } });
      assert.ok(tail.count > 0, "the newest window was written first");
      const between = await es.count({ index: dataIndices(prefix), query: { range: { "@timestamp": { gte: "2026-11-22T00:00:00Z", lt: tailStart } } } });
      assert.equal(between.count, 0, "no window after the failed one was written");

      await es.indices.putSettings({ index: blocked, settings: { "index.blocks.write": false } });
      const healed = await cli(["run", "--now", iso(now)], env);
      assert.equal(healed.code, 0, healed.stderr);
      assert.deepEqual(await differences(es, prefix, expectedRange(now)), []);
    } finally {
      await sim.close();
      await es.indices.putSettings({ index: blocked, settings: { "index.blocks.write": false } }).catch(() => undefined);
      await dropPrefix(es, prefix);
    }
  });

  it("killed with SIGKILL at random points of a backfill, several times: one more run leaves exact totals, no duplicates", async () => {
    const prefix = "it-kill";
    const now = Date.parse("2026-11-22T18:00:00Z");
    await dropPrefix(es, prefix);
    // Slow answers stretch the backfill so the kills land in the middle of it.
    const sim = await simulator({ now: () => now, latencyMs: 150, settings: { httpRequests1mGroups: { maxDuration: 1800 } } });
    const env = exporterEnv(sim, prefix);
    const range = expectedRange(now);
    try {
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let killed = 0;
      for (let i = 0; i < 4; i++) {
        const result = await cli(["backfill", "--from", iso(range.from), "--to", iso(range.to), "--now", iso(now)], env, {
          killAfterMs: 1200 + Math.floor(random() * 2500),
        });
        if (result.signal === "SIGKILL") killed++;
      }
      assert.ok(killed >= 2, `the process was killed mid-run (${killed} of 4)`);
      const partial = await countDocuments(es, prefix);
      assert.ok(partial > 0, "the killed runs wrote something");

      sim.options.latencyMs = 0;
      const result = await cli(["run", "--now", iso(now)], env);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(await differences(es, prefix, range), []);
      assert.equal(await countDocuments(es, prefix), expectedDocumentCount(range), "no duplicates");
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });
});
