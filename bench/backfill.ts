/**
 * `npm run bench`: a 7-day backfill of several zones from the simulator into the real Elasticsearch (ES_URL), then
 * the same documents written by a plain `_bulk` loop as the ceiling; then a 1-day backfill of every dataset. Each run
 * with V8's default heap sizing and with the Helm chart's heap flags (its `nodeOptions`), peak RSS as the exporter
 * reports it. Prints numbers; asserts nothing.
 */
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { Client } from "@elastic/elasticsearch";
import { startSimulator } from "../simulator/index.js";
import { runExporterOk } from "./exporter.js";
import { httpRequests } from "../src/datasets/http-requests.js";
import { toSource } from "../src/datasets/document.js";
import { maxWindowMinutes } from "../src/plan.js";
import { indexName } from "../src/sinks/index-names.js";
import { repoRoot } from "../test/support/paths.js";

const ZONES = Number(process.env.BENCH_ZONES ?? 3);
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const MINUTE = 60_000;
const now = Date.parse("2026-11-20T00:00:00Z");
const esUrl = process.env.ES_URL;
if (!esUrl) throw new Error("ES_URL is not set: run the benchmark through `npm run bench`, which starts Elasticsearch");
const es = new Client({ node: esUrl });
const zones = Array.from({ length: ZONES }, (_, i) => ({ id: `be0000000000000000000000000000${String(i).padStart(2, "0")}`, name: `bench-${i}.example` }));
// Cloudflare keeps a day more than we ask for, so the whole week is inside its retention.
const settings = { enabled: true, maxDuration: 259_200, maxNumberOfFields: 30, maxPageSize: 10_000, notOlderThan: (DAYS + 1) * 86_400 };
// Consecutive runs share this simulator: with Cloudflare's 300 queries per 5 minutes, each run would see what the
// previous one spent (viewer { budget }) and defer work. The benchmark measures speed and storage, not the budget.
const sim = await startSimulator({ now: () => now, budgetPerFiveMinutes: 1_000_000, settings: { httpRequests1mGroups: settings } });

async function drop(prefix: string): Promise<void> {
  await es.indices.delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
}

/** The Helm chart's heap flags: without them V8 sizes its heap from the machine's memory (see BENCHMARKS.md). */
const CHART_HEAP = (parse(readFileSync(join(repoRoot, "charts", "cloudflare-es-exporter", "values.yaml"), "utf8")) as { nodeOptions: string }).nodeOptions;
const ACCOUNT = "bea0000000000000000000000000000a=bench-account";

function runExporter(prefix: string, nodeOptions = "", extra: Record<string, string> = {}): Promise<{ summary: Record<string, number>; wallMs: number }> {
  const env = {
    PATH: process.env.PATH ?? "",
    NODE_OPTIONS: nodeOptions,
    // With the chart's heap flags the exporter runs as in the image, which sets MALLOC_ARENA_MAX (see Dockerfile).
    ...(nodeOptions ? { MALLOC_ARENA_MAX: "2" } : {}),
    CF_API_URL: sim.url,
    CF_API_TOKEN: "bench-token",
    CF_ZONES: zones.map((z) => `${z.id}=${z.name}`).join(","),
    ES_URL: esUrl!,
    ES_INDEX_PREFIX: prefix,
    MAX_BACKFILL_DAYS: String(DAYS),
    CF_DATASETS: "http_requests",
    LOG_FORMAT: "json",
    ...extra,
  };
  return runExporterOk<Record<string, number>>(now, env, "inherit");
}

/** The ceiling: the same documents, generated up front per window, written by sequential ~4 MB `_bulk` requests. */
async function plainBulk(prefix: string): Promise<{ documents: number; bulkMs: number }> {
  const to = Math.floor(now / MINUTE) * MINUTE - 5 * MINUTE;
  const from = to - DAYS * 86_400_000;
  const step =
    maxWindowMinutes({
      enabled: true,
      maxDurationSeconds: settings.maxDuration,
      notOlderThanSeconds: settings.notOlderThan,
      maxPageSize: settings.maxPageSize,
      availableFields: new Set<string>(),
    }) * MINUTE;
  let documents = 0;
  let bulkMs = 0;
  for (const zone of zones) {
    for (let start = from; start < to; start += step) {
      const window = { from: start, to: Math.min(start + step, to) };
      const rows: unknown[] = [];
      for (let m = window.from; m < window.to; m += MINUTE) {
        const data = sim.groundTruth.minute(zone.id, m);
        if (data) rows.push({ dimensions: { datetime: new Date(m).toISOString().replace(".000Z", "Z") }, ...data });
      }
      const flat = httpRequests.flatten(rows, { scope: "zone", ...zone }, window, { topN: 100 });
      const docs = [...flat.entries, ...flat.totals];
      let body: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (body.length === 0) return;
        const t = Date.now();
        const response = await es.bulk({ body: body.join(""), refresh: false } as never);
        bulkMs += Date.now() - t;
        if (response.errors) throw new Error("plain bulk had item errors");
        body = [];
        bytes = 0;
      };
      for (const doc of docs) {
        const pair = `${JSON.stringify({ index: { _index: indexName(prefix, doc.dataset, "month", doc.timestamp), _id: doc.id } })}\n${JSON.stringify(toSource(doc.fields))}\n`;
        body.push(pair);
        bytes += pair.length;
        if (bytes >= 4_000_000) await flush();
      }
      await flush();
      documents += docs.length;
    }
  }
  return { documents, bulkMs };
}

const minimumQueries =
  ZONES *
  Math.ceil(
    (DAYS * 1440) /
      maxWindowMinutes({
        enabled: true,
        maxDurationSeconds: settings.maxDuration,
        notOlderThanSeconds: settings.notOlderThan,
        maxPageSize: settings.maxPageSize,
        availableFields: new Set<string>(),
      }),
  );
try {
  await drop("bench-exporter");
  await drop("bench-ceiling");
  console.log(`machine:   ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`);
  console.log(`benchmark: ${DAYS}-day backfill of ${ZONES} zones, simulator -> ${esUrl}`);
  const { summary, wallMs } = await runExporter("bench-exporter");
  const exporterRate = summary.documents! / (wallMs / 1000);
  console.log(`exporter:  ${summary.documents} documents in ${(wallMs / 1000).toFixed(1)} s (whole process) = ${Math.round(exporterRate)} documents/s`);
  console.log(
    `           Cloudflare: ${summary.requests} requests, ${summary.queries} queries (minimum the limits allow: ${minimumQueries}; reading the zones' settings is not counted)`,
  );
  console.log(`           peak RSS ${summary.peakRssMb} MB (V8's default heap sizing for this machine)`);
  await drop("bench-exporter");
  const bounded = await runExporter("bench-exporter", CHART_HEAP);
  const boundedRate = bounded.summary.documents! / (bounded.wallMs / 1000);
  console.log(
    `chart:     NODE_OPTIONS="${CHART_HEAP}" (the chart's nodeOptions): ${Math.round(boundedRate)} documents/s, peak RSS ${bounded.summary.peakRssMb} MB`,
  );
  const ceiling = await plainBulk("bench-ceiling");
  const ceilingRate = ceiling.documents / (ceiling.bulkMs / 1000);
  console.log(
    `ceiling:   ${ceiling.documents} documents by a plain sequential _bulk loop in ${(ceiling.bulkMs / 1000).toFixed(1)} s of bulk time = ${Math.round(ceilingRate)} documents/s`,
  );
  console.log(
    `ratio:     exporter / ceiling = ${((100 * exporterRate) / ceilingRate).toFixed(0)} % (chart's heap flags: ${((100 * boundedRate) / ceilingRate).toFixed(0)} %)`,
  );
  // BENCH_NODE_OPTIONS="a|b|...": other heap flags, each run like the chart's and set against the same ceiling, to
  // choose the chart's nodeOptions (BENCHMARKS.md, 2026-12-06).
  for (const flags of (process.env.BENCH_NODE_OPTIONS ?? "").split("|").filter((f) => f.trim() !== "")) {
    await drop("bench-exporter");
    const run = await runExporter("bench-exporter", flags);
    const rate = run.summary.documents! / (run.wallMs / 1000);
    console.log(
      `flags:     NODE_OPTIONS="${flags}": ${Math.round(rate)} documents/s = ${((100 * rate) / ceilingRate).toFixed(0)} % of the ceiling, peak RSS ${run.summary.peakRssMb} MB`,
    );
  }
  await drop("bench-exporter");
  await drop("bench-ceiling");
  // Every dataset, one day, the zones and an account: the other shape of work a pod must hold.
  const all = { CF_DATASETS: "", CF_ACCOUNTS: ACCOUNT, MAX_BACKFILL_DAYS: "1" };
  for (const [label, flags] of [
    ["default", ""],
    ["chart", CHART_HEAP],
  ] as const) {
    const run = await runExporter("bench-exporter", flags, all);
    console.log(
      `every dataset, 1 day (${label} heap): ${run.summary.documents} documents in ${(run.wallMs / 1000).toFixed(1)} s = ${Math.round(run.summary.documents! / (run.wallMs / 1000))} documents/s, ${run.summary.queries} queries, peak RSS ${run.summary.peakRssMb} MB`,
    );
    await drop("bench-exporter");
  }
} finally {
  await drop("bench-exporter");
  await drop("bench-ceiling");
  await sim.close();
  await es.close();
}
