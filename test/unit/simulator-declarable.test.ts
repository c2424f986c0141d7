/**
 * The simulator serves whatever per-minute Adaptive group node a user-declared dataset names: for every node of the
 * digest it has no spec for, the query a declaration makes (a dimension, its count or first sum) and the `settings`
 * query are answered, and the rows equal the simulator's ground truth for the same grouping.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { settingsQuery } from "../../src/cloudflare/settings.js";
import type { Owner, Scope } from "../../src/datasets/dataset.js";
import { declaredDataset } from "../../src/datasets/declared/dataset.js";
import { adaptiveNode } from "../../src/datasets/declared/schema.js";
import { queryVariables } from "../../src/datasets/query.js";
import { type AdaptiveName, DECLARABLE_ACCOUNT_NODES, DECLARABLE_ZONE_NODES, type Simulator, startSimulator } from "../../simulator/index.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const HOUR = 3_600_000;
const OWNERS: Record<Scope, Owner> = {
  zone: { scope: "zone", id: "0a0000000000000000000000000000a1", name: "shop.example" },
  account: { scope: "account", id: "acc00000000000000000000000000a01", name: "prod" },
};

async function post(sim: Simulator, query: string, variables: Record<string, unknown>): Promise<{ data?: any; errors?: any }> {
  const res = await fetch(sim.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer declared-test-token" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any };
}

describe("the simulator serves every node a declaration may name", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(() => sim.close());

  for (const [scope, nodes] of [
    ["zone", DECLARABLE_ZONE_NODES],
    ["account", DECLARABLE_ACCOUNT_NODES],
  ] as const) {
    it(`${nodes.length} ${scope} nodes: settings, and a declaration's query equal to the ground truth`, async () => {
      assert.ok(nodes.length > 10, "the digest's nodes beyond the built-ins' are served");
      const owner = OWNERS[scope];
      const window = { from: NOW - HOUR, to: NOW - HOUR / 2 };
      const failures: string[] = [];
      let withRows = 0;
      for (const node of nodes) {
        const digest = adaptiveNode(scope, node)!;
        const dimension = Object.entries(digest.dimensions).find(([f, t]) => !/^(Time|Date)$/.test(t) && !t.startsWith("[") && !f.startsWith("datetime"));
        const figure = digest.count
          ? { path: "count", type: digest.count }
          : Object.entries(digest.sum ?? {})
              .filter(([, t]) => /^(u?int|float)/.test(t))
              .map(([f, t]) => ({ path: `sum.${f}`, type: t }))[0];
        if (!dimension || !figure) continue; // not declarable (config/declared.ts refuses it)
        const dataset = declaredDataset({
          name: "x",
          node,
          scope,
          dimensions: [{ field: dimension[0], type: dimension[1] }],
          metrics: [figure],
          rankBy: figure.path,
          confidence: false,
          sampleInterval: digest.avg?.sampleInterval !== undefined,
        });
        const settings = await post(sim, settingsQuery(scope, [node]), scope === "zone" ? { zoneTags: [owner.id] } : { accountTag: owner.id });
        if (settings.errors || settings.data?.viewer?.[`${scope}s`]?.[0]?.settings?.[node]?.enabled !== true) {
          failures.push(`${node} settings: ${JSON.stringify(settings.errors ?? settings.data)}`.slice(0, 300));
          continue;
        }
        const answer = await post(sim, dataset.query(new Set()), queryVariables(scope, [owner], window, "Time", 10_000));
        if (answer.errors) {
          failures.push(`${node}: ${JSON.stringify(answer.errors)}`.slice(0, 300));
          continue;
        }
        const rows = dataset.rowsOf(answer.data.viewer[`${scope}s`][0]) as any[];
        const truth = sim.groundTruth.groups(node as AdaptiveName, owner.id, window.from, window.to, ["datetimeMinute", dimension[0]]) as any[];
        const figureOf = (row: any): unknown => (figure.path === "count" ? row.count : row.sum[figure.path.slice(4)]);
        const served = rows.map((r) => [r.dimensions.datetimeMinute, r.dimensions[dimension[0]], figureOf(r)]);
        const expected = truth.map((r) => [r.dimensions.datetimeMinute, r.dimensions[dimension[0]], figureOf(r)]);
        if (JSON.stringify(served) !== JSON.stringify(expected)) failures.push(`${node}: ${rows.length} rows served, ${truth.length} in the ground truth`);
        if (rows.length > 0) withRows++;
      }
      assert.deepEqual(failures, []);
      assert.ok(withRows > nodes.length / 2, `${withRows} of ${nodes.length} nodes have rows in the half hour`);
    });
  }
});
