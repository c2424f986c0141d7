/**
 * `npm run bench` (third part): disk per zone-day and dataset, time-series against standard indices. The same
 * simulator answers are backfilled twice into the real Elasticsearch (ES_URL), once with `ES_INDEX_MODE=time_series`
 * and once with `standard`, under two prefixes; each index is force-merged to one segment, and the segments' bytes
 * are summed per dataset. Prints numbers; asserts nothing.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client } from "@elastic/elasticsearch";
import { ACCOUNT_DATASETS, startSimulator, ZONE_DATASETS } from "../simulator/index.js";
import { datasets } from "../src/datasets/index.js";
import { MINUTE } from "../src/time.js";
import { repoRoot } from "../test/support/paths.js";

const DAYS = Number(process.env.BENCH_STORAGE_DAYS ?? 1);
const now = Date.parse("2026-11-20T00:00:00Z");
const esUrl = process.env.ES_URL;
if (!esUrl) throw new Error("ES_URL is not set: run the benchmark through `npm run bench`, which starts Elasticsearch");
const es = new Client({ node: esUrl });
const zones = [0, 1, 2].map((i) => ({ id: `b50000000000000000000000000000${String(i).padStart(2, "0")}`, name: `bench-${i}.example` }));
const account = { id: "b5acc000000000000000000000000001", name: "bench-account" };
// The minute datasets an Enterprise zone or an account runs (the Free stand-in does not); hours and days are too few
// documents for a per-day figure to mean anything.
const chosen = datasets.filter((d) => d.unit === MINUTE && !d.standInFor);
const settings = Object.fromEntries([...ZONE_DATASETS, ...ACCOUNT_DATASETS].map((node) => [node, { notOlderThan: (DAYS + 1) * 86_400 }]));
// Consecutive runs share this simulator: with Cloudflare's 300 queries per 5 minutes, each run would see what the
// previous one spent (viewer { budget }) and defer work. The benchmark measures speed and storage, not the budget.
const sim = await startSimulator({ now: () => now, budgetPerFiveMinutes: 1_000_000, settings });
const modes = ["time_series", "standard"] as const;
const prefixOf = (mode: (typeof modes)[number]) => `bench-storage-${mode.replace("_", "")}`;

function backfill(mode: (typeof modes)[number]): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? "",
    CF_API_URL: sim.url,
    CF_API_TOKEN: "bench-token",
    CF_ZONES: zones.map((z) => `${z.id}=${z.name}`).join(","),
    CF_ACCOUNTS: `${account.id}=${account.name}`,
    CF_DATASETS: chosen.map((d) => d.name).join(","),
    MAX_BACKFILL_DAYS: String(DAYS),
    ES_URL: esUrl!,
    ES_INDEX_PREFIX: prefixOf(mode),
    ES_INDEX_MODE: mode,
    LOG_FORMAT: "json",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "dist", "src", "cli.js"), "run", "--now", new Date(now).toISOString()], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${mode}: exporter exited ${code}:\n${stderr.slice(-2000)}`))));
  });
}

/** Index mode, documents and force-merged segment bytes per dataset under one prefix. */
async function measure(prefix: string): Promise<Map<string, { mode: string; documents: number; bytes: number }>> {
  const pattern = `${prefix}-*`;
  await es.indices.refresh({ index: pattern });
  await es.indices.forcemerge({ index: pattern, max_num_segments: 1, flush: true, wait_for_completion: true });
  const segments = await es.indices.segments({ index: pattern });
  const modesBy = await es.indices.getSettings({ index: pattern, name: "index.mode", include_defaults: true });
  const result = new Map<string, { mode: string; documents: number; bytes: number }>();
  for (const [index, body] of Object.entries(segments.indices)) {
    const dataset = chosen.find((d) => index.startsWith(`${prefix}-${d.name}-`))?.name;
    if (!dataset) continue; // the run records
    const found = result.get(dataset) ?? { mode: "", documents: 0, bytes: 0 };
    for (const shard of Object.values(body.shards).flat()) {
      for (const segment of Object.values(shard.segments)) {
        found.documents += segment.num_docs;
        found.bytes += segment.size_in_bytes ?? 0;
      }
    }
    const s = modesBy[index] as { settings?: { index?: { mode?: string } }; defaults?: { index?: { mode?: string } } } | undefined;
    found.mode = s?.settings?.index?.mode ?? s?.defaults?.index?.mode ?? "standard";
    result.set(dataset, found);
  }
  return result;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(2).padStart(9);

try {
  for (const mode of modes) await es.indices.delete({ index: `${prefixOf(mode)}-*`, allow_no_indices: true, ignore_unavailable: true });
  const measured: Record<string, Map<string, { mode: string; documents: number; bytes: number }>> = {};
  for (const mode of modes) {
    const started = Date.now();
    await backfill(mode);
    measured[mode] = await measure(prefixOf(mode));
    console.error(`storage: ${mode} backfill and force-merge in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(
    `storage: every minute dataset backfilled for ${DAYS} d (${zones.length} zones, 1 account), simulator -> Elasticsearch, force-merged segment bytes per owner-day`,
  );
  console.log("dataset                documents  time_series MB  standard MB   ratio");
  let ts = 0;
  let std = 0;
  for (const dataset of chosen) {
    const a = measured.time_series!.get(dataset.name);
    const b = measured.standard!.get(dataset.name);
    if (!a || !b) continue;
    if (a.mode !== "time_series" || b.mode !== "standard")
      throw new Error(`${dataset.name}: indices are ${a.mode} and ${b.mode}, not time_series and standard`);
    const perOwnerDay = (bytes: number) => bytes / (dataset.scope === "zone" ? zones.length : 1) / DAYS;
    ts += a.bytes;
    std += b.bytes;
    const docs = a.documents === b.documents ? String(a.documents) : `${a.documents}/${b.documents}`;
    console.log(
      `${dataset.name.padEnd(22)} ${docs.padStart(9)} ${mb(perOwnerDay(a.bytes))}      ${mb(perOwnerDay(b.bytes))}    ${((100 * a.bytes) / b.bytes).toFixed(0).padStart(3)} %`,
    );
  }
  console.log(`${"all".padEnd(22)} ${"".padStart(9)} ${mb(ts)}      ${mb(std)}    ${((100 * ts) / std).toFixed(0).padStart(3)} %   (whole run, MB)`);
} finally {
  for (const mode of modes) await es.indices.delete({ index: `${prefixOf(mode)}-*`, allow_no_indices: true, ignore_unavailable: true });
  await sim.close();
}
