/**
 * Cloudflare's query budget is per user and does not reset when a run ends. Consecutive runs (a CronJob replayed here
 * with `--now`, the simulator's budget on the same clock) must share it: each run learns what its predecessors spent
 * (`viewer { budget }`, or their run records where Cloudflare does not say), does the stalest owners' newest minutes
 * first, stops when its share is spent, and the next runs finish the catch-up: exact in the end, without one budget
 * error from Cloudflare.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import {
  cli,
  dataIndices,
  differences,
  dropPrefix,
  esClient,
  expectedRange,
  exporterEnv,
  MINUTE,
  needsElasticsearch,
  simulator,
  snapshot,
  snapshotDifferences,
  storedMinutes,
  ZONES,
} from "../support/harness.js";

const START = Date.parse("2026-11-20T12:00:30Z");
const iso = (ms: number): string => new Date(ms).toISOString();

/** The JSON summary line of a run. */
function summaryOf(stderr: string): { outcome: string; queries: number } {
  const line = stderr.split("\n").find((l) => l.includes('"summary"'));
  assert.ok(line, stderr.slice(-2000));
  return (JSON.parse(line) as { summary: { outcome: string; queries: number } }).summary;
}

describe("the query budget across runs", { skip: needsElasticsearch }, () => {
  let es: Client;
  before(() => {
    es = esClient();
  });
  after(() => es.close());
  /** Every data document of `prefix`, its index named without the prefix: two prefixes compare. */
  const documents = async (prefix: string) => new Map([...(await snapshot(es, prefix))].map(([key, hash]) => [key.slice(prefix.length), hash]));

  for (const known of ["viewer { budget }", "the run records"] as const) {
    it(`runs a minute apart share Cloudflare's budget (${known}): no budget error, the catch-up completes, exact`, async () => {
      const prefix = known === "viewer { budget }" ? "it-budget-viewer" : "it-budget-records";
      await dropPrefix(es, prefix);
      // Ten-minute windows: six hours of three zones are 108 requests, more than a run's share of 50.
      const sim: Simulator = await simulator({
        now: () => clock,
        budgetClock: "simulated",
        hideBudget: known === "the run records",
        settings: { httpRequests1mGroups: { maxDuration: 600 } },
      });
      let clock = START;
      try {
        const env = exporterEnv(sim, prefix, { CF_QUERY_BUDGET: "50" });
        // Queries as Cloudflare counts them (the simulator), per run.
        const spent: number[] = [];
        for (let run = 0; run < 16; run++) {
          clock = START + run * MINUTE;
          const before = sim.stats.queries;
          const result = await cli(["run", "--now", iso(clock)], env);
          assert.equal(result.code, 0, result.stderr.slice(-2000));
          assert.equal(summaryOf(result.stderr).outcome, "completed");
          spent.push(sim.stats.queries - before);
          if (run === 0) assert.match(result.stderr, /this run's share of the query budget is spent .*requests are left for the next run/);
        }
        assert.equal(sim.stats.budgetRejections, 0, "Cloudflare never refused a request for its budget");
        // Runs within five minutes of each other never spend more than one share together.
        for (let i = 0; i + 5 <= spent.length; i++) {
          const window = spent.slice(i, i + 5).reduce((n, q) => n + q, 0);
          assert.ok(window <= 50, `runs ${i}..${i + 4} spent ${window} queries: ${spent.join(", ")}`);
        }
        assert.ok(spent[1] === 0 || spent[1]! < spent[0]!, `the second run knew what the first spent: ${spent.join(", ")}`);
        // The catch-up took several runs and is complete and exact now (the last run's range).
        assert.deepEqual((await differences(es, prefix, expectedRange(clock), (z, m) => sim.groundTruth.minute(z, m))).slice(0, 10), []);
      } finally {
        await sim.close();
        await dropPrefix(es, prefix);
      }
    });
  }

  it("account-based rate limiting: one zone per request, each zone's own budget shared across runs, exact in the end", async () => {
    const prefix = "it-budget-account";
    await dropPrefix(es, prefix);
    // Each zone may spend 12 queries per 5 minutes; six hours in ten-minute windows are 36 per zone: several runs.
    const sim: Simulator = await simulator({
      now: () => clock,
      budgetClock: "simulated",
      ownerBudgetPerFiveMinutes: 12,
      settings: { httpRequests1mGroups: { maxDuration: 600 } },
    });
    let clock = START;
    try {
      const env = exporterEnv(sim, prefix, { CF_RATE_LIMIT: "account-based", CF_QUERY_BUDGET: "12", RUN_DEADLINE_SECONDS: "120" });
      const spent: number[] = [];
      let caughtUp = -1;
      for (let run = 0; run < 30 && caughtUp < 0; run++) {
        clock = START + run * MINUTE;
        const before = sim.stats.queries;
        const result = await cli(["run", "--now", iso(clock)], env);
        assert.equal(result.code, 0, result.stderr.slice(-2000));
        assert.equal(summaryOf(result.stderr).outcome, "completed");
        spent.push(sim.stats.queries - before);
        if (run === 0) assert.match(result.stderr, /3 zones and accounts spent this run's share of their own query budget/);
        if (run > 0 && (await differences(es, prefix, expectedRange(clock), (z, m) => sim.groundTruth.minute(z, m))).length === 0) caughtUp = run;
      }
      assert.ok(caughtUp > 2, `the catch-up took several runs (${spent.join(", ")})`);
      assert.equal(sim.stats.zoneListRejections, 0, "every request named one zone");
      assert.equal(sim.stats.ownerBudgetRejections, 0, "no zone went over its own budget, across runs");
      assert.equal(sim.stats.budgetRejections, 0);
      assert.ok(sim.stats.accountBasedRequests > 0 && (sim.stats.ownerBudgetPeak?.queries ?? 0) <= 12, JSON.stringify(sim.stats.ownerBudgetPeak));
      // Three zones with a budget each: a run spends up to three shares, where the token's budget would allow one.
      assert.ok(Math.max(...spent) > 12, `runs spent ${spent.join(", ")}`);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });

  it("more work than a run's share, every run: every zone's newest minute stays a few runs old, no zone starves", async () => {
    const prefix = "it-budget-fair";
    await dropPrefix(es, prefix);
    let clock = START;
    // Runs five minutes apart, each with a share of 2 queries for 3 zones whose history is already stored.
    const sim: Simulator = await simulator({ now: () => clock, budgetClock: "simulated" });
    try {
      const full = await cli(["run", "--now", iso(clock)], exporterEnv(sim, prefix));
      assert.equal(full.code, 0, full.stderr.slice(-2000));
      const env = exporterEnv(sim, prefix, { CF_QUERY_BUDGET: "2" });
      const lag: number[][] = [];
      for (let run = 1; run <= 6; run++) {
        clock = START + run * 5 * MINUTE;
        const result = await cli(["run", "--now", iso(clock)], env);
        assert.equal(result.code, 0, result.stderr.slice(-2000));
        const settled = expectedRange(clock).to;
        const lags: number[] = [];
        for (const zone of ZONES) {
          const stored = await storedMinutes(es, prefix, zone.id, { from: settled - 120 * MINUTE, to: settled });
          const newest = Math.max(...[...stored.keys()].filter((m) => stored.get(m)?.total));
          lags.push(Math.round((settled - MINUTE - newest) / (5 * MINUTE)));
        }
        lag.push(lags);
      }
      assert.equal(sim.stats.budgetRejections, 0);
      // Two of three zones fit a run: each zone's newest stored minute is at most two runs old, always.
      for (const lags of lag) for (const l of lags) assert.ok(l <= 2, `lags in runs: ${JSON.stringify(lag)}`);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });

  it("check, --dry-run and the run agree on the queries a catch-up of every dataset costs, within 10 %", async () => {
    const prefix = "it-budget-agree";
    await dropPrefix(es, prefix);
    // `check` plans at the wall clock, so the simulator's is the wall clock here too.
    const sim: Simulator = await simulator();
    try {
      const env = exporterEnv(sim, prefix, {
        CF_ZONES: `${ZONES[0].id}=${ZONES[0].name}`,
        CF_ACCOUNTS: "ac000000000000000000000000000001=agree-account",
        CF_DATASETS: "all",
        CF_TOP_N: "3",
      });
      const check = await cli(["check"], env);
      const checked = Number(/catching up now: \d+ requests, (\d+) queries/.exec(check.stdout)?.[1]);
      const dry = await cli(["run", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr.slice(-2000));
      const planned = Number(/Cloudflare: \d+ requests costing (\d+) queries/.exec(dry.stdout)?.[1]);
      const before = sim.stats.queries;
      const run = await cli(["run"], env);
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      const spent = sim.stats.queries - before;
      assert.equal(summaryOf(run.stderr).queries, spent, "the summary counts what Cloudflare counted");
      assert.ok(spent > 100, `a day of every dataset is a real catch-up: ${spent} queries`);
      for (const [what, predicted] of [
        ["check", checked],
        ["--dry-run", planned],
      ] as const) {
        assert.ok(Math.abs(predicted - spent) <= 0.1 * spent, `${what} predicted ${predicted} queries, the run spent ${spent}\n${check.stdout}`);
      }
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
    }
  });

  it("a zone without traffic costs a few queries once its empty answers are on record; the documents are the same", async () => {
    const [busy, idle] = [ZONES[0], ZONES[1]];
    const prefix = "it-budget-learned";
    const control = "it-budget-estimated";
    await Promise.all([dropPrefix(es, prefix), dropPrefix(es, control)]);
    let clock = START;
    const sim: Simulator = await simulator({ now: () => clock, budgetClock: "simulated", budgetPerFiveMinutes: 100_000, idleTags: [idle.id] });
    const env = (p: string) =>
      exporterEnv(sim, p, {
        CF_ZONES: `${busy.id}=${busy.name},${idle.id}=${idle.name}`,
        CF_DATASETS: "http_requests,http_requests_hourly,http_paths,http_asn,firewall_events,dns",
        CF_TOP_N: "3",
      });
    /** Queries each zone cost in the run that started at `at`, from its run records. */
    const perZone = async (p: string, at: number): Promise<Record<string, number>> => {
      await es.indices.refresh({ index: `${p}-runs-*` });
      const r = await es.search({
        index: `${p}-runs-*`,
        size: 0,
        query: { bool: { filter: [{ term: { "run.kind": "dataset" } }, { range: { "@timestamp": { gte: at - 1000, lt: at + MINUTE } } }] } },
        aggs: { zones: { terms: { field: "cloudflare.zone.id" }, aggs: { queries: { sum: { field: "run.queries" } } } } },
      });
      const buckets = (r.aggregations?.zones as { buckets: { key: string; queries: { value: number } }[] }).buckets;
      return Object.fromEntries(buckets.map((b) => [b.key, b.queries.value]));
    };
    try {
      const first = await cli(["run", "--now", iso(clock)], env(prefix));
      assert.equal(first.code, 0, first.stderr.slice(-2000));
      const estimated = await perZone(prefix, clock);
      // Everything is fetched again ten minutes later: by the same exporter with its records, and by one without.
      await es.indices.delete({ index: dataIndices(prefix) });
      clock += 10 * MINUTE;
      for (const p of [prefix, control]) {
        const run = await cli(["run", "--now", iso(clock)], env(p));
        assert.equal(run.code, 0, run.stderr.slice(-2000));
      }
      const learned = await perZone(prefix, clock);
      const fresh = await perZone(control, clock);
      assert.equal(estimated[idle.id], estimated[busy.id], `before any record, both zones cost the same: ${JSON.stringify(estimated)}`);
      assert.ok(learned[idle.id]! * 5 <= fresh[idle.id]!, `the idle zone: ${learned[idle.id]} queries with its records, ${fresh[idle.id]} without`);
      assert.equal(learned[busy.id], fresh[busy.id], "the busy zone's windows are what they were");
      assert.equal(sim.stats.budgetRejections, 0);
      const [mine, theirs] = [await documents(prefix), await documents(control)];
      assert.ok(mine.size > 1000, `${mine.size} documents`);
      assert.deepEqual(snapshotDifferences(mine, theirs), [], "the same documents, whichever windows brought them");
    } finally {
      await sim.close();
      await Promise.all([dropPrefix(es, prefix), dropPrefix(es, control)]);
    }
  });

  it("a zone whose traffic starts after its empty answers were recorded is still stored exactly: full answers are split", async (t) => {
    // The records say the zone answered empty, so its windows are as long as Cloudflare allows; then it gets traffic
    // (a site going live, or a zone moved behind Cloudflare). Its long windows come back full and must be cut until
    // nothing is lost: the documents equal those of an exporter that never saw the empty answers.
    const zone = ZONES[0];
    const prefix = "it-budget-woke";
    const control = "it-budget-cold";
    await Promise.all([dropPrefix(es, prefix), dropPrefix(es, control)]);
    let clock = START;
    const sim: Simulator = await simulator({ now: () => clock, budgetClock: "simulated", budgetPerFiveMinutes: 100_000, idleTags: [zone.id] });
    const env = (p: string) =>
      exporterEnv(sim, p, { CF_ZONES: `${zone.id}=${zone.name}`, CF_DATASETS: "http_requests,http_paths,firewall_events,dns", CF_TOP_N: "3" });
    try {
      const idle = await cli(["run", "--now", iso(clock)], env(prefix));
      assert.equal(idle.code, 0, idle.stderr.slice(-2000));
      await es.indices.delete({ index: dataIndices(prefix) });
      sim.options.idleTags = new Set();
      clock += 10 * MINUTE;
      const requestsBefore = sim.stats.requests;
      const woke = await cli(["run", "--now", iso(clock)], env(prefix));
      assert.equal(woke.code, 0, woke.stderr.slice(-2000));
      const requestsWoke = sim.stats.requests - requestsBefore;
      const fresh = await cli(["run", "--now", iso(clock)], env(control));
      assert.equal(fresh.code, 0, fresh.stderr.slice(-2000));
      const requestsFresh = sim.stats.requests - requestsBefore - requestsWoke;
      t.diagnostic(`requests: ${requestsWoke} with the empty records (long windows, split when full), ${requestsFresh} without`);
      assert.equal(sim.stats.budgetRejections, 0);
      const [mine, theirs] = [await documents(prefix), await documents(control)];
      assert.ok(mine.size > 1000, `${mine.size} documents`);
      assert.deepEqual(snapshotDifferences(mine, theirs), [], "the same documents as an exporter without the empty records");
    } finally {
      await sim.close();
      await Promise.all([dropPrefix(es, prefix), dropPrefix(es, control)]);
    }
  });
});
