/**
 * Chart to process: render the Helm chart, take a workload's container exactly as Kubernetes would start it (the
 * image's ENTRYPOINT from the Dockerfile, the container's args, every env entry with its secretKeyRef, configMapKeyRef
 * and fieldRef resolved from the rendered objects, the ConfigMap and Secret volumes as files), map the image's paths to
 * this checkout, and run it against the simulator and the real Elasticsearch. The bootstrap hook may only see what
 * exists before the release (plus the hook copies); the CronJob and the backfill Job see the release's objects.
 *
 * The processes run on the real clock, as they would in a cluster (the CronJob's args are just `run`): the test
 * notes the time before and after and accepts the window of either minute, then compares every stored figure with the
 * simulator's ground truth exactly.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import { startAuthFront, tlsFixtures, type AuthFront } from "../support/auth-front.js";
import { containerProcess, isHook, localProcess, type Manifest, one, render, visibleTo } from "../support/chart.js";
import {
  countDocuments,
  differences,
  dropPrefix,
  esClient,
  expectedMinute,
  expectedRange,
  ES_URL,
  MINUTE,
  needsElasticsearch,
  simulator,
  storedMinutes,
  ZONES,
  type CliResult,
} from "../support/harness.js";
import { repoRoot } from "../support/paths.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const NAMESPACE = "analytics";
const TOKEN = "cf-token-chart-4a7b19";
const ES_API_KEY = "ZXM6YXBpa2V5LWNoYXJ0";
const zones = ZONES.map((z) => ({ id: z.id, name: z.name }));
// The simulator keeps six hours (see harness.ts); one day of healing covers them.
const window = { settleMinutes: 5, overlapMinutes: 15, maxBackfillDays: 1 };
// The dataset whose ground truth the harness compares (the chart's `datasets` value narrows the run to it).
const DATASETS = ["http_requests"];

/**
 * Runs a rendered workload's container as a local process; `objects` is what exists in the cluster for it.
 * `terminateAfterMs`: send SIGTERM then, as Kubernetes does to stop a pod (its Job's deadline, an eviction).
 */
function runWorkload(workload: Manifest, objects: readonly Manifest[], terminateAfterMs?: number): Promise<CliResult> {
  const container = containerProcess(workload, objects, { namespace: NAMESPACE, podName: `${workload.metadata.name}-x1y2z` });
  const local = localProcess(container, repoRoot);
  return new Promise((resolve, reject) => {
    const child = spawn(local.command, local.args, { env: local.env, cwd: local.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = terminateAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGTERM"), terminateAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      rmSync(local.root, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const bootstrapHook = (manifests: readonly Manifest[]): Manifest => one(manifests, "Job", isHook);
const cronJob = (manifests: readonly Manifest[]): Manifest => one(manifests, "CronJob");

/** Runs the CronJob's container and checks that every minute of the window it chose is stored exactly. */
async function runAndCompare(es: Client, manifests: readonly Manifest[], existing: readonly Manifest[], prefix: string): Promise<CliResult> {
  const cron = cronJob(manifests);
  const startedAt = Date.now();
  const result = await runWorkload(cron, visibleTo(cron, manifests, existing));
  const endedAt = Date.now();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /"outcome":"completed"/);
  // The run read the clock once, somewhere between the two instants; at most two windows are possible.
  const candidates = [expectedRange(startedAt), expectedRange(endedAt)];
  let problems: string[] = [];
  for (const range of candidates) {
    problems = await differences(es, prefix, range);
    if (problems.length === 0) return result;
  }
  assert.deepEqual(problems.slice(0, 20), [], `stored figures differ from the ground truth (${problems.length} differences)`);
  return result;
}

describe("chart to process: chart-created Secret, API key, bootstrap hook, CronJob, backfill Job", { skip: needsElasticsearch }, () => {
  const prefix = "it-chart";
  const backfillPrefix = "it-chart-backfill";
  let es: Client;
  let sim: Simulator;
  let esFront: AuthFront;
  let manifests: Manifest[];
  const values = () => ({
    cloudflare: { apiUrl: sim.url, zones, auth: { apiToken: TOKEN } },
    elasticsearch: { url: esFront.url, indexPrefix: prefix, auth: { type: "apiKey", apiKey: ES_API_KEY } },
    datasets: DATASETS,
    window,
  });

  before(async () => {
    es = esClient();
    await Promise.all([dropPrefix(es, prefix), dropPrefix(es, backfillPrefix)]);
    sim = await simulator({ tokens: [TOKEN] });
    esFront = await startAuthFront(ES_URL!, { authorization: `ApiKey ${ES_API_KEY}` });
    manifests = render({ values: values(), namespace: NAMESPACE }).manifests;
  });
  after(async () => {
    await Promise.all([sim.close(), esFront.close(), dropPrefix(es, prefix), dropPrefix(es, backfillPrefix)]);
    await es.close();
  });

  it("the bootstrap hook creates the templates before the release's objects exist, and touches no data", async () => {
    const hook = bootstrapHook(manifests);
    const result = await runWorkload(hook, visibleTo(hook, manifests, []));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /bootstrap completed/);
    assert.equal(await es.indices.existsIndexTemplate({ name: `${prefix}-http_requests` }), true);
    assert.equal(await countDocuments(es, prefix), 0);
    assert.equal(sim.stats.requests, 0, "bootstrap does not ask Cloudflare");
    assert.ok(esFront.passed > 0, "Elasticsearch was reached with the API key from the chart's Secret");
    assert.equal(esFront.refused, 0);
  });

  it("the CronJob's run stores every minute of every zone exactly", async () => {
    await runAndCompare(es, manifests, [], prefix);
    assert.ok(sim.stats.requests > 0, "the simulator (which accepts only the test's token) answered the run");
    assert.equal(esFront.refused, 0);
  });

  it("the backfill Job rewrites exactly its range, for its zone only", async () => {
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const from = now - 3 * 60 * MINUTE;
    const to = from + 90 * MINUTE;
    const zone = ZONES[1];
    const rendered = render({
      values: {
        ...values(),
        elasticsearch: { ...values().elasticsearch, indexPrefix: backfillPrefix },
        backfill: { enabled: true, from: new Date(from).toISOString(), to: new Date(to).toISOString(), zones: [zone.id] },
      },
      namespace: NAMESPACE,
    }).manifests;
    const job = one(rendered, "Job", (m) => !isHook(m));
    const result = await runWorkload(job, visibleTo(job, rendered, []));
    assert.equal(result.code, 0, result.stderr);
    const stored = await storedMinutes(es, backfillPrefix, zone.id, { from: now - 24 * 60 * MINUTE, to: now + 60 * MINUTE });
    assert.deepEqual(
      [...stored.keys()].sort((a, b) => a - b),
      Array.from({ length: 90 }, (_, i) => from + i * MINUTE),
      "exactly the range's minutes",
    );
    let documents = 0;
    for (const [minute, got] of stored) {
      const want = expectedMinute(zone.id, minute);
      assert.deepEqual(got, want, `${zone.name} ${new Date(minute).toISOString()}`);
      documents += 1 + [...want.breakdowns.values()].reduce((n, b) => n + b.entries, 0);
    }
    assert.equal(await countDocuments(es, backfillPrefix), documents, "no other zone was written");
  });
});

describe("chart to process: existing Secrets, e-mail + key, basic auth, custom CA over TLS, the gate", { skip: needsElasticsearch }, () => {
  const prefix = "it-chart-existing";
  const credentials = { email: "ops@example.com", key: "cf-global-key-77e0d1", user: "cloudflare_exporter", password: "es pass w0rd!" };
  let es: Client;
  let sim: Simulator;
  let cfFront: AuthFront;
  let esFront: AuthFront;
  let gate: ScriptedServer;
  let manifests: Manifest[];
  // What the user created before installing the chart.
  const existing: Manifest[] = [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cloudflare-credentials" },
      stringData: { "account-email": credentials.email, "global-api-key": credentials.key },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "elasticsearch-credentials" },
      data: { username: Buffer.from(credentials.user).toString("base64"), password: Buffer.from(credentials.password).toString("base64") },
    },
    { apiVersion: "v1", kind: "Secret", metadata: { name: "elasticsearch-ca" }, data: { "ca.crt": tlsFixtures.ca.toString("base64") } },
  ];

  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator();
    cfFront = await startAuthFront(new URL(sim.url).origin, { "x-auth-email": credentials.email, "x-auth-key": credentials.key });
    esFront = await startAuthFront(
      ES_URL!,
      { authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}` },
      { tls: true },
    );
    gate = await startScriptedServer("/may-i-run");
    gate.script = [{ body: "True" }];
    manifests = render({
      namespace: NAMESPACE,
      values: {
        cloudflare: {
          apiUrl: `${cfFront.url}${new URL(sim.url).pathname}`,
          zones,
          auth: { type: "key", existingSecret: "cloudflare-credentials", apiEmailKey: "account-email", apiKeyKey: "global-api-key" },
        },
        elasticsearch: {
          url: esFront.url,
          indexPrefix: prefix,
          auth: { type: "basic", existingSecret: "elasticsearch-credentials", usernameKey: "username", passwordKey: "password" },
          ca: { secretName: "elasticsearch-ca" },
        },
        gate: { uri: gate.url, cluster: "eu-test-1" },
        datasets: DATASETS,
        window,
      },
    }).manifests;
  });
  after(async () => {
    await Promise.all([sim.close(), cfFront.close(), esFront.close(), gate.close(), dropPrefix(es, prefix)]);
    await es.close();
  });

  it("nothing secret is created by the chart", () => {
    assert.equal(manifests.filter((m) => m.kind === "Secret").length, 0);
  });

  it("the bootstrap hook reaches Elasticsearch over TLS with the mounted CA and the user from the Secret", async () => {
    const hook = bootstrapHook(manifests);
    const result = await runWorkload(hook, visibleTo(hook, manifests, existing));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await es.indices.existsIndexTemplate({ name: `${prefix}-http_requests` }), true);
    assert.ok(esFront.passed > 0);
    assert.equal(esFront.refused, 0);
  });

  it("the CronJob asks the gate with its cluster and namespace, then stores every minute exactly", async () => {
    gate.received.length = 0;
    await runAndCompare(es, manifests, existing, prefix);
    assert.equal(gate.received[0]?.url, `/may-i-run?cluster=eu-test-1&namespace=${NAMESPACE}`);
    assert.ok(cfFront.passed > 0, "Cloudflare was reached with the e-mail and key from the existing Secret");
    assert.equal(cfFront.refused, 0);
    assert.equal(esFront.refused, 0);
  });

  it("the gate saying False stops the CronJob's run before anything is written (exit 0)", async () => {
    gate.script = [{ body: "False" }];
    const before = await countDocuments(es, prefix);
    const cron = cronJob(manifests);
    const result = await runWorkload(cron, visibleTo(cron, manifests, existing));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /not-active/);
    assert.equal(await countDocuments(es, prefix), before);
  });
});

describe("chart to process: a CronJob run that cannot finish in time", { skip: needsElasticsearch }, () => {
  const prefix = "it-chart-deadline";
  let es: Client;
  let sim: Simulator;
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    // Slow answers: six windows of three zones take about 25 s, more than the run may take.
    sim = await simulator({ tokens: [TOKEN], latencyMs: 3_500 });
  });
  after(async () => {
    await Promise.all([sim.close(), dropPrefix(es, prefix)]);
    await es.close();
  });

  const manifests = () =>
    render({
      values: {
        cloudflare: { apiUrl: sim.url, zones, auth: { apiToken: TOKEN } },
        elasticsearch: { url: ES_URL!, indexPrefix: prefix, auth: { type: "none" } },
        datasets: DATASETS,
        window,
        // The smallest deadline the chart takes: the exporter gets 30 s less (RUN_DEADLINE_SECONDS=10).
        cronjob: { activeDeadlineSeconds: 40 },
      },
      namespace: NAMESPACE,
    }).manifests;

  async function outcomes(): Promise<string[]> {
    await es.indices.refresh({ index: `${prefix}-runs-*`, allow_no_indices: true });
    const runs = await es.search({ index: `${prefix}-runs-*`, allow_no_indices: true, query: { term: { "run.kind": "run" } }, size: 10 });
    return runs.hits.hits.map((h) => String((h._source as { run: { outcome: string } }).run.outcome));
  }

  it("stops taking windows at RUN_DEADLINE_SECONDS, exits 1 and leaves a record with outcome deadline", async () => {
    const cron = cronJob(manifests());
    const started = Date.now();
    const result = await runWorkload(cron, visibleTo(cron, manifests(), []));
    const took = Date.now() - started;
    assert.equal(result.code, 1, result.stderr.slice(-2000));
    assert.ok(took < 10_000 + 3_500 + 5_000, `ended ${took} ms after its start, within the deadline and one answer`);
    assert.match(result.stderr, /"outcome":"deadline"/);
    assert.match(result.stderr, /no further window is taken/);
    assert.deepEqual(await outcomes(), ["deadline"]);
  });

  it("SIGTERM (Kubernetes stopping the pod) ends the run within 10 s, exit 1, outcome terminated, recorded", async () => {
    const cron = cronJob(manifests());
    const started = Date.now();
    const result = await runWorkload(cron, visibleTo(cron, manifests(), []), 4_000);
    const took = Date.now() - started;
    assert.equal(result.code, 1, result.stderr.slice(-2000));
    assert.ok(took < 4_000 + 10_000, `exited ${took - 4_000} ms after SIGTERM`);
    assert.match(result.stderr, /"outcome":"terminated"/);
    assert.match(result.stderr, /stopped by SIGTERM/);
    assert.deepEqual((await outcomes()).sort(), ["deadline", "terminated"]);
  });
});

describe("chart to process: no zones in values, so the CronJob discovers them", { skip: needsElasticsearch }, () => {
  const prefix = "it-chart-discovery";
  let es: Client;
  let sim: Simulator;
  const account = { id: "acc00000000000000000000000000c01", name: "Chart Corp" };
  before(async () => {
    es = esClient();
    await dropPrefix(es, prefix);
    sim = await simulator({ tokens: [TOKEN], accounts: [account], zones: zones.map((z) => ({ ...z, account })) });
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("lists them with the values' filter and exports the rest", async () => {
    const values = {
      cloudflare: { apiUrl: sim.url, zonesExclude: [zones[2]!.name], auth: { apiToken: TOKEN } },
      elasticsearch: { url: ES_URL!, indexPrefix: prefix, auth: { type: "none" } },
      datasets: DATASETS,
      window,
    };
    const manifests = render({ values, namespace: NAMESPACE }).manifests;
    const cron = cronJob(manifests);
    const result = await runWorkload(cron, visibleTo(cron, manifests, []));
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.match(
      result.stderr,
      /discovered 2 zones and 1 account \(of 3 active zones and 1 account the credentials can read, through CF_ZONES_EXCLUDE=api\.example\)/,
    );
    await es.indices.refresh({ index: `${prefix}-*` });
    const count = async (id: string) => (await es.count({ index: `${prefix}-http_requests-*`, query: { term: { "cloudflare.zone.id": id } } })).count;
    assert.ok((await count(zones[0]!.id)) > 0 && (await count(zones[1]!.id)) > 0);
    assert.equal(await count(zones[2]!.id), 0);
  });
});

describe("chart to process: every configuration value reaches the exporter", { skip: needsElasticsearch }, () => {
  const prefix = "it-chart-settings";
  let es: Client;
  before(() => {
    es = esClient();
  });
  after(async () => {
    await dropPrefix(es, prefix);
    await es.close();
  });

  it("the exporter's own account of its configuration equals the values", async () => {
    const values = {
      cloudflare: {
        apiUrl: "http://127.0.0.1:9/client/v4/graphql",
        zones: zones.slice(0, 2),
        accounts: [{ id: "01a7362d577a6c3019a474fd6f485823", name: "production" }],
        topN: 25,
        confidenceLevel: 0.95,
        queryBudget: 120,
        rateLimit: "account-based",
        timeoutSeconds: 30,
        maxRetrySeconds: 90,
        maxResponseBytes: 8 * 1024 * 1024,
        restUrl: "http://127.0.0.1:9/rest/v4",
        restBudget: 450,
        ca: { configMapName: "proxy-ca", key: "proxy.pem" },
        auth: { apiToken: TOKEN },
      },
      datasets: ["http_requests"],
      customDatasets: [
        { name: "cache_by_host", node: "httpRequestsAdaptiveGroups", dimensions: ["cacheStatus", "clientRequestHTTPHost"], metrics: ["count"], topN: 20 },
      ],
      elasticsearch: { url: ES_URL!, tlsVerify: false, indexPrefix: prefix, indexPeriod: "week", retentionDays: 30, auth: { type: "none" } },
      window: { settleMinutes: 7, overlapMinutes: 11, maxBackfillDays: 2 },
      gate: { uri: "http://127.0.0.1:9/may-i-run", cluster: "c1", namespace: "ns-override", timeoutSeconds: 4, ca: { secretName: "gate-ca" } },
      log: { level: "debug", format: "json" },
    };
    // The CA certificates the values name, as the user created them.
    const existing: Manifest[] = [
      { kind: "ConfigMap", metadata: { name: "proxy-ca" }, data: { "proxy.pem": tlsFixtures.ca.toString() } },
      { kind: "Secret", metadata: { name: "gate-ca" }, data: { "ca.crt": tlsFixtures.ca.toString("base64") } },
    ];
    const manifests = render({ values, namespace: NAMESPACE }).manifests;
    const described = async (workload: Manifest): Promise<Record<string, unknown>> => {
      const result = await runWorkload(workload, visibleTo(workload, manifests, existing));
      // The gate here answers nothing (nobody listens): the hook does not ask it, the CronJob's run stops there with a
      // gate error (exit 1), after it has described its configuration.
      assert.equal(result.code, isHook(workload) ? 0 : 1, result.stderr);
      if (!isHook(workload)) assert.match(result.stderr, /"outcome":"gate-error"/);
      const line = result.stderr.split("\n").find((l) => l.includes('"message":"configuration"'));
      assert.ok(line, `a debug line with the configuration:\n${result.stderr}`);
      // Paths as the pod sees them: this test lays the pod's files out under a local folder.
      const inPod = line.replace(/"[^"]*cfe-pod-[^/"]+(\/etc\/cloudflare-es-exporter\/)/g, '"$1');
      return (JSON.parse(inPod) as { config: Record<string, unknown> }).config;
    };
    const config = await described(bootstrapHook(manifests));
    const expected = {
      cloudflare: {
        apiUrl: values.cloudflare.apiUrl,
        auth: { kind: "token", token: "<redacted>" },
        zones: values.cloudflare.zones,
        accounts: values.cloudflare.accounts,
        topN: 25,
        confidenceLevel: 0.95,
        queryBudget: 120,
        rateLimit: "account-based",
        timeoutSeconds: 30,
        maxRetrySeconds: 90,
        caFile: "/etc/cloudflare-es-exporter/cloudflare-ca/proxy.pem",
        maxResponseBytes: 8 * 1024 * 1024,
        // Discovery's: its filters unset (zones are listed), its REST API and budget from values.
        zonesInclude: null,
        zonesExclude: null,
        accountsInclude: null,
        accountsExclude: null,
        restUrl: "http://127.0.0.1:9/rest/v4",
        restBudget: 450,
      },
      elasticsearch: {
        url: ES_URL,
        auth: { kind: "none" },
        caFile: null,
        tlsVerify: false,
        indexPrefix: prefix,
        indexPeriod: "week",
        indexMode: "time_series",
        retentionDays: 30,
      },
      // The chart adds a declared dataset to a narrowed list; the exporter describes the declaration as it checked
      // it against Cloudflare's schema (types, ranking, scope and what the node offers).
      datasets: ["http_requests", "cache_by_host"],
      customDatasets: [
        {
          name: "cache_by_host",
          node: "httpRequestsAdaptiveGroups",
          scope: "zone",
          dimensions: [
            { field: "cacheStatus", type: "string" },
            { field: "clientRequestHTTPHost", type: "string" },
          ],
          metrics: [{ path: "count", type: "uint64" }],
          rankBy: "count",
          topN: 20,
          confidence: true,
          sampleInterval: true,
        },
      ],
      output: null,
      window: values.window,
      gate: { uri: values.gate.uri, cluster: "c1", namespace: "ns-override", timeoutSeconds: 4, caFile: "/etc/cloudflare-es-exporter/gate-ca/ca.crt" },
      run: { deadlineSeconds: null },
      log: { level: "debug", format: "json" },
    };
    assert.deepEqual(config, expected);
    // The CronJob's run (the gate at port 9 does not answer: it exits 0 without work) also knows its deadline.
    assert.deepEqual(await described(cronJob(manifests)), { ...expected, run: { deadlineSeconds: 270 - 30 } });
  });
});
