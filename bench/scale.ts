/**
 * `npm run scale`: a large fleet (SCALE_ZONES zones, 300 by default, and one account) with every dataset on, run as the
 * chart's CronJob runs it: consecutive `run`s five simulated minutes apart, against the simulator's query budget on the
 * same clock, into the real Elasticsearch (ES_URL). Starts from an empty store: the first runs are the catch-up of what
 * Cloudflare keeps (SCALE_HOURS of minute data in this simulator), the later ones the steady state.
 *
 * Per run it prints what the run spent, the most any zone or account spent of its own budget in a 5-minute window
 * (account-based) or the token's (user), Cloudflare's budget refusals, how stale the stalest owner x dataset is, and
 * how many owner x minute-dataset pairs are complete: every minute from Cloudflare's horizon to the newest stored one.
 * SCALE_RATE_LIMIT picks `account-based` (default) or `user`; SCALE_IDLE_ZONES makes that many of the zones idle (no
 * traffic in any dataset, as most of a large account's zones are for most datasets). Prints numbers; asserts nothing.
 */
import { cpus, totalmem } from "node:os";
import { Client } from "@elastic/elasticsearch";
import { ACCOUNT_DATASETS, startSimulator, ZONE_DATASETS } from "../simulator/index.js";
import { datasets } from "../src/datasets/index.js";
import { runExporterAt } from "./exporter.js";

const ZONES = Number(process.env.SCALE_ZONES ?? 300);
const HOURS = Number(process.env.SCALE_HOURS ?? 2);
const RUNS = Number(process.env.SCALE_RUNS ?? 12);
const MODE = process.env.SCALE_RATE_LIMIT ?? "account-based";
const TOP_N = process.env.SCALE_TOP_N ?? "3";
const IDLE_ZONES = Number(process.env.SCALE_IDLE_ZONES ?? 0);
const MINUTE = 60_000;
const RUN_EVERY = 5 * MINUTE;
const SETTLE_MINUTES = 5;
const START = Date.parse("2026-11-20T12:00:30Z");
const esUrl = process.env.ES_URL;
if (!esUrl) throw new Error("ES_URL is not set: run this through `npm run scale`, which starts Elasticsearch");
const es = new Client({ node: esUrl });
const prefix = "scale";

const zones = Array.from({ length: ZONES }, (_, i) => ({ id: `5c${String(i).padStart(30, "0")}`, name: `scale-${i}.example` }));
const account = { id: "5ca00000000000000000000000000001", name: "scale-account" };

// What Cloudflare keeps decides the depth of the first catch-up: SCALE_HOURS of minutes, a day of hours and of days.
const retention = (node: string): number => (node === "httpRequests1dGroups" ? 2 * 86_400 : node === "httpRequests1hGroups" ? 86_400 : HOURS * 3600);
const settings = Object.fromEntries([...ZONE_DATASETS, ...ACCOUNT_DATASETS].map((node) => [node, { notOlderThan: retention(node) }]));
let clock = START;
const idleTags = zones.slice(0, IDLE_ZONES).map((z) => z.id);
const sim = await startSimulator({ now: () => clock, budgetClock: "simulated", settings, idleTags });

interface Summary {
  outcome: string;
  queries: number;
  requests: number;
  documents: number;
  deferredRequests?: number;
}

async function runOnce(): Promise<{ summary: Summary; wallMs: number }> {
  const env = {
    PATH: process.env.PATH ?? "",
    CF_API_URL: sim.url,
    CF_API_TOKEN: "scale-token",
    CF_ZONES: zones.map((z) => `${z.id}=${z.name}`).join(","),
    CF_ACCOUNTS: `${account.id}=${account.name}`,
    CF_DATASETS: "all",
    CF_TOP_N: TOP_N,
    CF_RATE_LIMIT: MODE,
    ES_URL: esUrl!,
    ES_INDEX_PREFIX: prefix,
    MAX_BACKFILL_DAYS: String(Math.max(1, Math.ceil(HOURS / 24))),
    SETTLE_MINUTES: String(SETTLE_MINUTES),
    // A CronJob every five minutes with the chart's deadline: a run never overlaps the next.
    RUN_DEADLINE_SECONDS: "270",
    LOG_FORMAT: "json",
  };
  // A run stopped at its deadline exits 1 and still summarizes: the next run goes on, as the CronJob's would.
  const run = await runExporterAt<Summary>(clock, env);
  if (run.summary === undefined) throw new Error(`exporter exited ${run.code} without a summary:\n${run.stderr.slice(-3000)}`);
  return { summary: run.summary, wallMs: run.wallMs };
}

const minuteDatasets = new Set(datasets.filter((d) => d.unit === MINUTE).map((d) => d.name));

/**
 * Minutes between the newest settled minute and each owner x minute dataset's newest stored one (worst and median),
 * and the pairs that are complete: a total for every minute from Cloudflare's horizon (less the planner's margin and
 * a few minutes of slack) to the newest stored one.
 */
async function staleness(): Promise<{ pairs: number; worst: number; median: number; complete: number }> {
  await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
  const owner = (field: string) => ({
    terms: { field, size: 10_000 },
    aggs: { newest: { max: { field: "@timestamp" } }, oldest: { min: { field: "@timestamp" } } },
  });
  const response = await es.search({
    index: `${prefix}-*,-${prefix}-runs-*`,
    allow_no_indices: true,
    ignore_unavailable: true,
    size: 0,
    query: { term: { "cloudflare.breakdown": "total" } },
    aggs: {
      datasets: { terms: { field: "cloudflare.dataset", size: 100 }, aggs: { zones: owner("cloudflare.zone.id"), accounts: owner("cloudflare.account.id") } },
    },
  });
  type Owners = { buckets: { doc_count: number; newest: { value: number }; oldest: { value: number } }[] };
  const settled = Math.floor(clock / MINUTE) * MINUTE - SETTLE_MINUTES * MINUTE;
  const horizon = clock - HOURS * 3_600_000 + 20 * MINUTE;
  const lags: number[] = [];
  let complete = 0;
  for (const d of (response.aggregations?.datasets as { buckets: { key: string; zones: Owners; accounts: Owners }[] }).buckets) {
    if (!minuteDatasets.has(d.key)) continue;
    for (const b of [...d.zones.buckets, ...d.accounts.buckets]) {
      lags.push(Math.max(0, (settled - MINUTE - b.newest.value) / MINUTE));
      if (b.oldest.value <= horizon && b.doc_count === (b.newest.value - b.oldest.value) / MINUTE + 1) complete++;
    }
  }
  lags.sort((a, b) => a - b);
  return { pairs: lags.length, worst: lags.at(-1) ?? Number.NaN, median: lags[Math.floor(lags.length / 2)] ?? Number.NaN, complete };
}

try {
  await es.indices.delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
  console.log(`machine:   ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`);
  console.log(
    `scale:     ${ZONES} zones + 1 account, every dataset (CF_DATASETS=all, CF_TOP_N=${TOP_N}), rate limit ${MODE}, ` +
      `${HOURS} h of minutes kept by Cloudflare, ${IDLE_ZONES} zones idle, a run every 5 simulated minutes -> ${esUrl}`,
  );
  console.log(
    "run  outcome     wall s  requests  queries  most/owner/5min  refused  deferred  documents  stale pairs  worst lag min  median lag min  complete pairs",
  );
  for (let run = 0; run < RUNS; run++) {
    clock = START + run * RUN_EVERY;
    const refusals = () => sim.stats.budgetRejections + sim.stats.ownerBudgetRejections + sim.stats.zoneListRejections;
    const before = { queries: sim.stats.queries, rejections: refusals() };
    const { summary, wallMs } = await runOnce();
    const lag = await staleness();
    const row = [
      String(run + 1).padStart(3),
      summary.outcome.padEnd(10),
      (wallMs / 1000).toFixed(1).padStart(7),
      String(summary.requests).padStart(9),
      String(sim.stats.queries - before.queries).padStart(8),
      (MODE === "account-based" ? String(sim.stats.ownerBudgetPeak?.queries ?? 0) : "-").padStart(16),
      String(refusals() - before.rejections).padStart(8),
      String(summary.deferredRequests ?? 0).padStart(9),
      String(summary.documents).padStart(10),
      String(lag.pairs).padStart(12),
      lag.worst.toFixed(0).padStart(14),
      lag.median.toFixed(0).padStart(15),
      String(lag.complete).padStart(15),
    ];
    console.log(row.join(" "));
  }
} finally {
  await sim.close();
  await es.close();
}
