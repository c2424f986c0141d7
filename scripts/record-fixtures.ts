/**
 * Records one golden-fixture answer per dataset from the simulator (`npm run build && node dist/scripts/record-fixtures.js`):
 * the dataset's own query for one owner and three units, as `test/fixtures/<dataset>/three-units.response.json`.
 * Datasets that have fixtures are skipped unless RERECORD=1. Then `UPDATE_GOLDEN=1` on the unit tests writes the expected documents,
 * which are reviewed like code.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startSimulator } from "../simulator/index.js";
import { datasets } from "../src/datasets/index.js";
import { queryVariables } from "../src/datasets/query.js";
import { fixturesDir } from "../test/support/paths.js";

const NOW = Date.parse("2026-11-20T12:00:00Z");
const zone = { scope: "zone" as const, id: "f1x7ure0000000000000000000000001", name: "fixture.example" };
const account = { scope: "account" as const, id: "acc00000000000000000000000000f02", name: "fixture-account" };

const sim = await startSimulator({ now: () => NOW });
try {
  for (const dataset of datasets) {
    const dir = join(fixturesDir, dataset.name);
    const file = join(dir, "three-units.response.json");
    const recorded = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".response.json"));
    if (recorded && process.env.RERECORD !== "1") continue;
    const owner = dataset.scope === "zone" ? zone : account;
    // Sparse datasets (Logpush, health checks) have quiet minutes: step back until the three units hold rows.
    let to = Math.floor((NOW - 10 * 60_000) / dataset.unit) * dataset.unit;
    let window = { from: to - 3 * dataset.unit, to };
    let ownerObject: unknown;
    for (let attempt = 0; attempt < 100; attempt++, to -= 3 * dataset.unit, window = { from: to - 3 * dataset.unit, to }) {
      const response = await fetch(sim.url, {
        method: "POST",
        headers: { authorization: "Bearer fixtures", "content-type": "application/json" },
        body: JSON.stringify({ query: dataset.query(new Set()), variables: queryVariables(dataset.scope, [owner], window, dataset.timeType, 10_000) }),
      });
      const body = (await response.json()) as { data?: { viewer: Record<string, unknown[]> }; errors?: unknown };
      if (!body.data) throw new Error(`${dataset.name}: ${JSON.stringify(body.errors)}`);
      ownerObject = body.data.viewer[dataset.scope === "zone" ? "zones" : "accounts"]![0];
      if (dataset.rowsOf(ownerObject).length > 0) break;
    }
    mkdirSync(join(fixturesDir, dataset.name), { recursive: true });
    const fixture = { owner, window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() }, ownerObject };
    writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
} finally {
  await sim.close();
}
