/**
 * Tunnel snapshots end to end: the built CLI against the simulator's tunnel list and the real Elasticsearch. Each run
 * stores its minute's snapshot; runs in different minutes keep both, a rerun in the same minute overwrites (and drops
 * a tunnel that is gone), a status change shows as Cloudflare served it, and an account whose token may not read
 * tunnels gets the dataset turned off with the permission named while the rest of the run goes on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import { tunnelAt, type SimTunnel, type Simulator } from "../../simulator/index.js";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alertQueries, dashboardFiles, indexFor, panelsOf, provisionedAlertRules } from "../support/dashboard-rules.js";
import { evaluateRule } from "../support/grafana-alerting.js";
import { repoRoot } from "../support/paths.js";
import { applyTransformations, interpolateTarget, parseResponse, searchBody, type Frame, type QueryContext } from "../support/grafana-query.js";
import { cli, dropPrefix, esClient, exporterEnv, MINUTE, needsElasticsearch, simulator } from "../support/harness.js";

const ACCOUNT = { id: "acc0000000000000000000000000e001", name: "Tunnel Corp" };
const REFUSED = { id: "acc0000000000000000000000000e002", name: "No Tunnel Read" };
const flapping: SimTunnel = {
  id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa",
  name: "web",
  schedule: [
    { status: "healthy", minutes: 3 },
    { status: "down", minutes: 2 },
  ],
  connections: 2,
  colos: ["FRA", "AMS"],
};
const steady: SimTunnel = { id: "0e4ad9a5-4fbd-4a39-8b0a-2f6a1c7f1d10", name: "db", connections: 4, colos: ["LHR"] };
const unused: SimTunnel = { id: "7f2d6c1e-9a1b-4c8e-b0f3-5d4e3c2b1a00", name: "spare", schedule: [{ status: "inactive", minutes: 1 }] };
/** A minute index divisible by 5: the schedule's first (healthy) minute. */
const T1 = Date.parse("2026-12-06T06:00:00Z");
const T2 = T1 + 3 * MINUTE; // the flapping tunnel is down
let clock = T1;

interface Stored {
  minute: string;
  breakdown: string;
  key: string;
  account: string;
  status?: string;
  connections?: number;
  pending?: number;
  colos?: string[];
  count?: number;
  down?: number;
}

async function stored(es: Client, prefix: string): Promise<Stored[]> {
  await es.indices.refresh({ index: `${prefix}-tunnels-*`, allow_no_indices: true });
  const answer = await es.search({
    index: `${prefix}-tunnels-*`,
    allow_no_indices: true,
    size: 1000,
    sort: ["@timestamp", "cloudflare.key"],
    query: { match_all: {} },
  });
  return answer.hits.hits.map((h) => {
    const s = h._source as any;
    const t = s.cloudflare.tunnel ?? {};
    return {
      minute: s["@timestamp"],
      breakdown: s.cloudflare.breakdown,
      key: s.cloudflare.key ?? "total",
      account: s.cloudflare.account.id,
      ...(t.status !== undefined ? { status: t.status } : {}),
      ...(t.connections !== undefined ? { connections: t.connections } : {}),
      ...(t.pending_reconnect !== undefined ? { pending: t.pending_reconnect } : {}),
      // A time-series index keeps a synthetic _source: one data centre reads back as a value, not a list of one.
      ...(t.colos !== undefined ? { colos: [t.colos].flat() } : {}),
      ...(t.count !== undefined ? { count: t.count } : {}),
      ...(t.down !== undefined ? { down: t.down } : {}),
    };
  });
}

const logLines = (stderr: string) =>
  stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { level: string; message: string; summary?: { datasets: Record<string, { status: string; documents: number }> } });

describe("tunnels: a snapshot per run and minute", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  const prefix = "it-tunnels";
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ now: () => clock, tunnels: { [ACCOUNT.id]: [flapping, steady, unused] }, tunnelsRefused: [REFUSED.id] });
  });
  after(async () => {
    await sim?.close();
    await dropPrefix(es, prefix);
    await es?.close();
  });

  const env = (extra: Record<string, string> = {}) => {
    const { CF_ZONES: _, ...rest } = exporterEnv(sim, prefix, { CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`, CF_DATASETS: "tunnels" });
    return { ...rest, ...extra };
  };
  const runAt = (ms: number, extra: Record<string, string> = {}) => {
    clock = ms;
    return cli(["run", "--now", new Date(ms).toISOString()], env(extra));
  };

  it("a run stores every tunnel of the account and the account's total, stamped with the run's minute", async () => {
    const run = await runAt(T1 + 17_000);
    assert.equal(run.code, 0, run.stderr);
    const docs = await stored(es, prefix);
    const at = new Date(T1).toISOString();
    assert.deepEqual(docs, [
      { minute: at, breakdown: "tunnel", key: steady.id, account: ACCOUNT.id, status: "healthy", connections: 4, pending: 0, colos: ["LHR"] },
      { minute: at, breakdown: "tunnel", key: unused.id, account: ACCOUNT.id, status: "inactive", connections: 0, pending: 0 },
      { minute: at, breakdown: "tunnel", key: flapping.id, account: ACCOUNT.id, status: "healthy", connections: 2, pending: 0, colos: ["AMS", "FRA"] },
      { minute: at, breakdown: "total", key: "total", account: ACCOUNT.id, connections: 6, pending: 0, count: 3, down: 0 },
    ]);
    assert.deepEqual(
      sim.stats.rest.log.map((e) => e.path),
      [`/accounts/${ACCOUNT.id}/cfd_tunnel`],
    );
    assert.equal(logLines(run.stderr).find((l) => l.summary)?.summary?.datasets.tunnels?.documents, 4);
  });

  it("a rerun in the same minute overwrites the snapshot: no duplicate, and a tunnel gone since is gone from it", async () => {
    const before = await stored(es, prefix);
    const again = await runAt(T1 + 45_000);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await stored(es, prefix), before);
    sim.options.tunnels = { [ACCOUNT.id]: [flapping, steady] };
    const without = await runAt(T1 + 50_000);
    assert.equal(without.code, 0, without.stderr);
    const docs = await stored(es, prefix);
    assert.equal(docs.length, 3);
    assert.ok(!docs.some((d) => d.key === unused.id));
    assert.equal(docs.find((d) => d.breakdown === "total")?.count, 2);
    sim.options.tunnels = { [ACCOUNT.id]: [flapping, steady, unused] };
  });

  it("a run in another minute adds a second snapshot, and shows the status change Cloudflare served", async () => {
    assert.equal(tunnelAt(flapping, T2), "down");
    const run = await runAt(T2 + 5_000);
    assert.equal(run.code, 0, run.stderr);
    const docs = await stored(es, prefix);
    const minutes = [...new Set(docs.map((d) => d.minute))];
    assert.deepEqual(minutes, [new Date(T1).toISOString(), new Date(T2).toISOString()]);
    const web = docs.filter((d) => d.key === flapping.id).map((d) => [d.minute, d.status, d.connections, d.pending]);
    assert.deepEqual(web, [
      [new Date(T1).toISOString(), "healthy", 2, 0],
      [new Date(T2).toISOString(), "down", 2, 2],
    ]);
    assert.equal(docs.find((d) => d.breakdown === "total" && d.minute === new Date(T2).toISOString())?.down, 1);
  });

  it("the Tunnels dashboard shows each tunnel's status per minute (gaps where no run was) and its connections", async () => {
    const dashboard = dashboardFiles().find((f) => f.json.uid === "cloudflare-tunnels")!;
    const ctx: QueryContext = { from: T1, to: T2 + MINUTE - 1, intervalMs: MINUTE, variables: { account: [ACCOUNT.name] } };
    const index = indexFor("cloudflare-analytics", prefix);
    const frames = async (title: string): Promise<Frame[]> => {
      const panel = panelsOf(dashboard).find((p) => p.title === title);
      assert.ok(panel, title);
      const out: Frame[] = [];
      for (const target of panel.targets ?? []) {
        const t = interpolateTarget(target, ctx);
        const response = await es.search({ index, ignore_unavailable: true, allow_no_indices: true, ...searchBody(t, ctx) });
        out.push(...parseResponse(t, response as unknown as Record<string, unknown>));
      }
      return out;
    };
    const byTunnel = (fs: Frame[]) =>
      Object.fromEntries(
        fs.flatMap((f) => (f.kind === "series" ? [[f.name, f.points.map((p) => [new Date(p.time).toISOString().slice(11, 16), p.value])]] : [])),
      );
    // Snapshots at 06:00 (web and db: the rerun dropped spare) and 06:03 (web down, spare back); none in between.
    assert.deepEqual(
      panelsOf(dashboard)
        .map((p) => p.title)
        .sort(),
      ["Connections pending reconnect per tunnel", "Connections per tunnel", "Snapshots per tunnel and status", "Status per tunnel"],
    );
    const gaps = (a: number | null, d: number | null) => [
      ["06:00", a],
      ["06:01", null],
      ["06:02", null],
      ["06:03", d],
    ];
    assert.deepEqual(byTunnel(await frames("Status per tunnel")), { web: gaps(0, 3), db: gaps(0, 0), spare: gaps(null, 1) });
    assert.deepEqual(byTunnel(await frames("Connections per tunnel")), { web: gaps(2, 2), db: gaps(4, 4), spare: gaps(null, 0) });
    assert.deepEqual(byTunnel(await frames("Connections pending reconnect per tunnel")), { web: gaps(0, 2), db: gaps(0, 0), spare: gaps(null, 0) });
    const table = applyTransformations(
      panelsOf(dashboard).find((p) => p.title === "Snapshots per tunnel and status")!,
      await frames("Snapshots per tunnel and status"),
    )[0]!;
    const column = (name: string) => table.fields.find((f) => f.name === name)!.values;
    const rows = column("Tunnel").map(
      (t, i) => `${String(column("Account")[i])} ${String(t)} ${String(column("Status")[i])} ${String(column("Snapshots")[i])}`,
    );
    assert.deepEqual(rows.sort(), ["Tunnel Corp db healthy 2", "Tunnel Corp spare inactive 1", "Tunnel Corp web down 1", "Tunnel Corp web healthy 1"]);
  });

  it("backfill and --dry-run take no snapshot (Cloudflare has no past status)", async () => {
    const count = (await stored(es, prefix)).length;
    clock = T2 + 10 * MINUTE;
    const dry = await cli(["run", "--dry-run", "--now", new Date(clock).toISOString()], env());
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /tunnels: a snapshot of 1 accounts at the run's minute \(REST/);
    const backfill = await cli(
      ["backfill", "--from", new Date(T2).toISOString(), "--to", new Date(T2 + 5 * MINUTE).toISOString(), "--now", new Date(clock).toISOString()],
      env({ CF_DATASETS: "tunnels" }),
    );
    assert.equal(backfill.code, 0, backfill.stderr);
    assert.ok(
      logLines(backfill.stderr).some((l) => /tunnels: a snapshot of the present .* never by backfill/.test(l.message)),
      backfill.stderr,
    );
    assert.equal((await stored(es, prefix)).length, count);
  });

  it("a token without Cloudflare Tunnel Read on one account: tunnels off there with the permission named, the rest of the run goes on", async () => {
    const later = T2 + 20 * MINUTE;
    const run = await runAt(later, {
      CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name},${REFUSED.id}=${REFUSED.name}`,
      CF_ZONES: "0a000000000000000000000000000001=a.example",
      CF_DATASETS: "tunnels,http_requests",
    });
    assert.equal(run.code, 0, run.stderr);
    const lines = logLines(run.stderr);
    const skip = lines.find((l) => l.level === "warn" && l.message.includes(REFUSED.id));
    assert.ok(skip, run.stderr);
    assert.match(skip.message, /skipping tunnels for account No Tunnel Read .*HTTP 403: 10000 Authentication error.*Account > Cloudflare Tunnel > Read/);
    const summary = lines.find((l) => l.summary)!.summary!;
    assert.equal(summary.datasets.tunnels?.status, "ok", "the other account's snapshot was taken");
    assert.equal(summary.datasets.http_requests?.status, "ok", "the GraphQL work went on");
    assert.ok((summary.datasets.http_requests?.documents ?? 0) > 0);
    const docs = await stored(es, prefix);
    assert.ok(!docs.some((d) => d.account === REFUSED.id));
    assert.ok(docs.some((d) => d.minute === new Date(later).toISOString() && d.account === ACCOUNT.id));
    await es.indices.refresh({ index: `${prefix}-runs-*` });
    const records = await es.search({
      index: `${prefix}-runs-*`,
      size: 10,
      query: {
        bool: {
          filter: [{ term: { "run.kind": "dataset" } }, { term: { "cloudflare.dataset": "tunnels" } }, { term: { "cloudflare.account.id": REFUSED.id } }],
        },
      },
    });
    assert.equal(records.hits.hits.length, 1, "the refused account's report is in the run records");
  });

  it("check says per account whether the tunnel list can be read and what it holds; a refusal is info, not a failure", async () => {
    clock = T2;
    const check = await cli(["check"], env({ CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name},${REFUSED.id}=${REFUSED.name}` }));
    assert.match(check.stdout, /^ ok {3}account Tunnel Corp tunnels: on, .*now 3 tunnels: 1 healthy, 0 degraded, 1 down, 1 inactive$/m);
    assert.match(
      check.stdout,
      /^info {2}account No Tunnel Read tunnels: off, Cloudflare refused the tunnel list: .*HTTP 403.*Account > Cloudflare Tunnel > Read/m,
    );
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  it("the alert rule and its plain query fire for a tunnel down in every snapshot of the last 10 minutes, at least two", async () => {
    const rule = provisionedAlertRules().find((r) => r.uid === "cloudflare-tunnel-unhealthy")!;
    const indices = { "cloudflare-analytics": indexFor("cloudflare-analytics", prefix) };
    const query = alertQueries()["tunnel-unhealthy.json"];
    const doc = readFileSync(join(repoRoot, "docs", "alerting.md"), "utf8");
    const jq = /q "\$DATA" tunnel-unhealthy\.json \| jq -e '([^']+)'/.exec(doc)?.[1];
    assert.ok(jq, "docs/alerting.md gives the jq condition");
    const hasJq = spawnSync("jq", ["--version"]).status === 0;
    const check = async (now: number): Promise<string[]> => {
      await es.indices.refresh({ index: `${prefix}-*` });
      const result = await evaluateRule(es, rule, { now, indices });
      const firing = result.firing.map((i) => `${i.labels["cloudflare.account.name"]} ${i.labels["cloudflare.tunnel.name"]}`);
      // The plain query, its date math anchored at `now`, and the documented condition.
      const text = JSON.stringify(query).replace(/"now(?=[-+/"])/g, `"${new Date(now).toISOString()}||`);
      const plain = (await es.search({ index: indices["cloudflare-analytics"], ...JSON.parse(text) } as never)) as unknown as { aggregations: any };
      const fires = (plain.aggregations.accounts.buckets as any[]).flatMap((a) =>
        (a.tunnels.buckets as any[]).filter((t) => t.doc_count >= 2 && t.best.value >= 2).map((t) => `${a.key} ${t.key}`),
      );
      assert.deepEqual(fires, firing, "the plain query agrees with the rule");
      if (hasJq) assert.equal(spawnSync("jq", ["-e", jq], { input: JSON.stringify(plain) }).status === 0, firing.length > 0, "the jq condition agrees");
      return firing;
    };
    const T3 = T1 + 43 * MINUTE; // minutes 3 and 4 of the schedule: down; minute 0: healthy again
    assert.deepEqual(
      [T3, T3 + MINUTE, T3 + 2 * MINUTE].map((t) => tunnelAt(flapping, t)),
      ["down", "down", "healthy"],
    );
    for (const t of [T3, T3 + MINUTE, T3 + 2 * MINUTE]) assert.equal((await runAt(t)).code, 0);
    assert.deepEqual(await check(T3 + 30_000), [], "one snapshot down is not yet 'for N minutes'");
    assert.deepEqual(await check(T3 + MINUTE + 30_000), ["Tunnel Corp web"], "two snapshots, both down: fires, for that tunnel only");
    assert.deepEqual(await check(T3 + 2 * MINUTE + 30_000), [], "a healthy snapshot in the window: quiet");
    assert.deepEqual(await check(T3 - 5 * MINUTE), [], "before: quiet");
  });

  it("discovered accounts get their snapshot too, through the one REST pacer discovery used (CF_REST_BUDGET)", async () => {
    sim.options.accounts = [ACCOUNT];
    try {
      const T4 = T1 + 60 * MINUTE;
      const { CF_ACCOUNTS: _, ...discovering } = env();
      clock = T4;
      const run = await cli(["run", "--now", new Date(T4).toISOString()], discovering);
      assert.equal(run.code, 0, run.stderr);
      assert.ok((await stored(es, prefix)).some((d) => d.minute === new Date(T4).toISOString() && d.account === ACCOUNT.id));
      // Two REST requests a window: discovery spends them (accounts, zones), so the tunnel list would have to wait
      // minutes for the same pacer, longer than the run's deadline allows; it is skipped, not sent.
      const T5 = T4 + MINUTE;
      clock = T5;
      sim.reset();
      const starved = await cli(["run", "--now", new Date(T5).toISOString()], { ...discovering, CF_REST_BUDGET: "2", RUN_DEADLINE_SECONDS: "20" });
      assert.ok(
        logLines(starved.stderr).some((l) => /tunnels for account Tunnel Corp .*waiting for the REST request budget \(CF_REST_BUDGET\)/.test(l.message)),
        starved.stderr,
      );
      assert.deepEqual(
        sim.stats.rest.log.map((e) => e.path),
        ["/accounts", "/zones"],
      );
      assert.ok(!(await stored(es, prefix)).some((d) => d.minute === new Date(T5).toISOString()));
    } finally {
      sim.options.accounts = [];
    }
  });
});
