/**
 * `npm run bench` (second part): query economy per dataset. Each dataset is backfilled alone from the simulator
 * (three Enterprise zones, or one account) into NDJSON files, and the Cloudflare queries it used are printed per
 * zone-day next to the minimum the limits allow: one query per `maxDuration` of range, or per page of rows when the
 * rows need more pages. Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACCOUNT_DATASETS, ENTERPRISE_SETTINGS, startSimulator, ZONE_DATASETS, type DatasetName } from "../simulator/index.js";
import { datasets } from "../src/datasets/index.js";
import { runExporterOk } from "./exporter.js";

const DAYS = Number(process.env.BENCH_DATASET_DAYS ?? 1);
const HOURLY_DAYS = 30;
const DAILY_DAYS = 365;
const now = Date.parse("2026-11-20T00:00:00Z");
const zones = [0, 1, 2].map((i) => ({ id: `bd0000000000000000000000000000${String(i).padStart(2, "0")}`, name: `bench-${i}.example` }));
const account = { id: "bdacc000000000000000000000000001", name: "bench-account" };

// Cloudflare keeps a day more than we ask for, so the whole range is inside its retention.
const retentionDays = (node: string): number =>
  node === "httpRequests1dGroups" ? DAILY_DAYS + 1 : node === "httpRequests1hGroups" ? HOURLY_DAYS + 1 : DAYS + 1;
const settings = Object.fromEntries([...ZONE_DATASETS, ...ACCOUNT_DATASETS].map((node) => [node, { notOlderThan: retentionDays(node) * 86_400 }]));
// Consecutive runs share this simulator: with Cloudflare's 300 queries per 5 minutes, each run would see what the
// previous one spent (viewer { budget }) and defer work. The benchmark measures speed and storage, not the budget.
const sim = await startSimulator({ now: () => now, budgetPerFiveMinutes: 1_000_000, settings });
const out = mkdtempSync(join(tmpdir(), "cfee-bench-datasets-"));

interface DatasetSummary {
  status: string;
  documents: number;
  queries: number;
  rows: number;
}

function runOne(name: string): Promise<{ summary: Record<string, unknown>; wallMs: number }> {
  const env = {
    PATH: process.env.PATH ?? "",
    CF_API_URL: sim.url,
    CF_API_TOKEN: "bench-token",
    CF_ZONES: zones.map((z) => `${z.id}=${z.name}`).join(","),
    CF_ACCOUNTS: `${account.id}=${account.name}`,
    CF_DATASETS: name,
    MAX_BACKFILL_DAYS: String(DAYS),
    OUTPUT_DIR: join(out, name),
    LOG_FORMAT: "json",
  };
  return runExporterOk<Record<string, unknown>>(now, env).catch((error: Error) => {
    throw new Error(`${name}: ${error.message}`);
  });
}

try {
  console.log(
    `query economy: every dataset backfilled alone (${zones.length} zones or 1 account; minute datasets ${DAYS} d, hourly ${HOURLY_DAYS} d, daily ${DAILY_DAYS} d), simulator -> NDJSON`,
  );
  console.log("dataset                owners  days  rows/owner-day  queries  per owner-day  minimum/owner-day  documents   seconds");
  for (const dataset of datasets) {
    if (dataset.standInFor) continue; // the Free stand-in does not run for Enterprise zones
    const { summary, wallMs } = await runOne(dataset.name);
    const s = (summary.datasets as Record<string, DatasetSummary>)[dataset.name]!;
    const owners = dataset.scope === "zone" ? zones.length : 1;
    const days = dataset.node === "httpRequests1dGroups" ? DAILY_DAYS : dataset.node === "httpRequests1hGroups" ? HOURLY_DAYS : DAYS;
    const limits = ENTERPRISE_SETTINGS[dataset.node as DatasetName];
    const rowsPerOwner = s.rows / owners;
    // The fewest queries Cloudflare's limits allow for one owner: by window length, or by pages of rows.
    const minimum = Math.max(Math.ceil((days * 86_400) / limits.maxDuration), Math.ceil(rowsPerOwner / (limits.maxPageSize - 1)));
    console.log(
      `${dataset.name.padEnd(22)} ${String(owners).padStart(6)} ${String(days).padStart(5)} ${String(Math.round(rowsPerOwner / days)).padStart(15)} ` +
        `${String(s.queries).padStart(8)} ${(s.queries / owners / days).toFixed(2).padStart(14)} ${(minimum / days).toFixed(2).padStart(18)} ` +
        `${String(s.documents).padStart(10)} ${(wallMs / 1000).toFixed(1).padStart(9)}  ${s.status}`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
  await sim.close();
}
