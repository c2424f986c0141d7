/**
 * The concurrency gate (closed, revoked mid-run, unreachable), exit codes for bad configuration and usage, and no
 * secret in any log line of a full debug run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import { cli, countDocuments, dropPrefix, esClient, exporterEnv, needsElasticsearch, simulator } from "../support/harness.js";
import { dataIndices } from "../support/harness.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const NOW = Date.parse("2026-11-19T15:00:00Z");
const now = ["--now", new Date(NOW).toISOString()];

describe("concurrency gate", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  let gate: ScriptedServer;
  const prefix = "it-gate";
  before(async () => {
    es = esClient();
    sim = await simulator({ now: () => NOW });
    gate = await startScriptedServer("/may-i-run");
  });
  after(async () => {
    await Promise.all([sim.close(), gate.close(), dropPrefix(es, prefix)]);
    await es.close();
  });

  it("False: nothing written, not even templates, exit 0", async () => {
    gate.script = [{ body: "False\n" }];
    gate.received.length = 0;
    const result = await cli(["run", ...now], exporterEnv(sim, prefix, { NO_CONCURRENCY_URI: gate.url, LOCAL_CLUSTER: "eu-1", LOCAL_NAMESPACE: "obs" }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(gate.received[0]?.url, "/may-i-run?cluster=eu-1&namespace=obs");
    assert.equal(await es.indices.existsIndexTemplate({ name: `${prefix}-http_requests` }), false);
    assert.equal(await countDocuments(es, prefix), 0);
    assert.equal(sim.stats.requests, 0, "Cloudflare was not asked either");
    assert.match(result.stderr, /not-active/);
    assert.doesNotMatch(result.stderr, /"level":"(warn|error)"/, "False is this environment's normal standby answer");
  });

  /** The `run` documents recorded under `runsPrefix`. */
  async function runsOf(runsPrefix: string): Promise<{ outcome: string; exit_code: number; gate: { allowed: boolean; reason: string } }[]> {
    await es.indices.refresh({ index: `${runsPrefix}-runs-*` });
    const found = await es.search({ index: `${runsPrefix}-runs-*`, query: { term: { "run.kind": "run" } } });
    return found.hits.hits.map((h) => (h._source as { run: never }).run);
  }

  // A gate that gives no answer fails closed (no work, nothing written) but is an error: a warning with the fix,
  // exit 1 and outcome gate-error, so the runs-failing and gate-error alerts see it.
  const broken: [string, () => Record<string, string>, RegExp][] = [
    ["answers 404", () => ((gate.script = [{ status: 404, body: "Not Found" }]), { NO_CONCURRENCY_URI: gate.url }), /answered HTTP 404/],
    ["answers an HTML page", () => ((gate.script = [{ body: "<html><body>Please sign in</body></html>" }]), { NO_CONCURRENCY_URI: gate.url }), /HTML page/],
    ["is unreachable", () => ({ NO_CONCURRENCY_URI: "http://127.0.0.1:9/may-i-run", GATE_TIMEOUT_SECONDS: "2" }), /unreachable \(connection refused\)/],
  ];
  for (const [i, [name, setUp, reason]] of broken.entries()) {
    it(`${name}: fails closed, nothing written, a warning with the fix, exit 1 and a gate-error run record`, async () => {
      const own = `${prefix}-broken${i}`; // within `prefix`, so it is dropped with it
      const result = await cli(["run", ...now], exporterEnv(sim, own, setUp()));
      assert.equal(result.code, 1, result.stderr);
      assert.equal(await countDocuments(es, own), 0);
      const warning = result.stderr.split("\n").find((l) => l.includes('"level":"warn"') && l.includes("gate:"));
      assert.ok(warning, result.stderr);
      assert.match(warning, reason);
      assert.match(warning, /fix: /);
      const [run, ...more] = await runsOf(own);
      assert.equal(more.length, 0);
      assert.deepEqual([run!.outcome, run!.exit_code, run!.gate.allowed], ["gate-error", 1, false]);
      assert.match(run!.gate.reason, reason);
    });
  }

  it("check: a broken gate is a FAIL line with the fix, exit 1; False is not a failure", async () => {
    gate.script = [{ status: 404, body: "Not Found" }];
    const failing = await cli(["check"], exporterEnv(sim, prefix, { NO_CONCURRENCY_URI: gate.url }));
    assert.equal(failing.code, 1, failing.stdout);
    assert.match(failing.stdout, /^FAIL {2}gate: gate http:\/\/127\.0\.0\.1:\d+\/may-i-run answered HTTP 404 .*; fix: /m);
    gate.script = [{ body: "False" }];
    const standby = await cli(["check"], exporterEnv(sim, prefix, { NO_CONCURRENCY_URI: gate.url }));
    assert.equal(standby.code, 0, standby.stdout);
    assert.match(standby.stdout, /^info {2}gate: .*answered False/m);
  });

  it("a gate error mid-run: stops after the window in progress like False, but exits 1 with outcome gate-error", async () => {
    const own = "it-gatemid"; // not under `prefix`: the revoked test below counts that prefix's data
    gate.script = [{ body: "True" }, { status: 502, body: "<html><body>Bad Gateway</body></html>" }];
    const result = await cli(["run", ...now], exporterEnv(sim, own, { NO_CONCURRENCY_URI: gate.url }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /gate revoked after window .*answered HTTP 502.*; fix: /);
    await es.indices.refresh({ index: `${own}-*` });
    const totals = await es.count({ index: dataIndices(own), query: { term: { "cloudflare.breakdown": "total" } } });
    assert.equal(totals.count, 60 * 3, "the window in progress was completed, no other");
    const [run] = await runsOf(own);
    assert.deepEqual([run!.outcome, run!.exit_code], ["gate-error", 1]);
    await dropPrefix(es, own);
  });

  it("revoked mid-run: stops after the window in progress, exit 0; the next allowed run completes", async () => {
    // True at the start, True after the first window, False after the second.
    gate.script = [{ body: "True" }, { body: "True" }, { body: "False" }];
    const env = exporterEnv(sim, prefix, { NO_CONCURRENCY_URI: gate.url });
    const result = await cli(["run", ...now], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /gate revoked/);
    await es.indices.refresh({ index: `${prefix}-*` });
    const totals = await es.count({ index: dataIndices(prefix), query: { term: { "cloudflare.breakdown": "total" } } });
    // Windows are one hour (the simulator's maxDuration) for all three zones at once, cut from the newest minute back
    // (345 minutes: the newest hour first, then the rest oldest first, whose oldest window is the 45 minutes left).
    assert.equal(totals.count, (60 + 45) * 3);

    gate.script = [{ body: "True" }];
    const rest = await cli(["run", ...now], env);
    assert.equal(rest.code, 0, rest.stderr);
    await es.indices.refresh({ index: `${prefix}-*` });
    const all = await es.count({ index: dataIndices(prefix), query: { term: { "cloudflare.breakdown": "total" } } });
    assert.equal(all.count, 3 * (6 * 60 - 10 - 5));
  });
});

describe("configuration and usage errors exit 2 and name the problem", { skip: needsElasticsearch }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await simulator({ now: () => NOW });
  });
  after(() => sim.close());

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["a malformed zone list", ["run"], { CF_ZONES: "abc=,=def" }, /CF_ZONES/],
    ["a duration with a unit", ["run"], { SETTLE_MINUTES: "5m" }, /SETTLE_MINUTES.*5m/],
    ["an index period that does not exist", ["run"], { ES_INDEX_PERIOD: "fortnight" }, /ES_INDEX_PERIOD/],
    ["a missing token", ["run"], { CF_API_TOKEN: "" }, /CF_API_TOKEN/],
    ["an unknown flag", ["run", "--bogus-flag"], {}, /bogus-flag/],
    ["backfill without --to", ["backfill", "--from", "2026-11-19T00:00Z"], {}, /to/],
    ["backfill with a bad time", ["backfill", "--from", "yesterday", "--to", "2026-11-19T01:00Z"], {}, /--from.*yesterday/],
    ["backfill of an unknown zone", ["backfill", "--from", "2026-11-19T00:00Z", "--to", "2026-11-19T01:00Z", "--zone", "ffff"], {}, /ffff/],
  ];
  for (const [name, args, env, message] of cases) {
    it(name, async () => {
      const result = await cli(args, exporterEnv(sim, "it-config", env));
      assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(sim.stats.requests, 0, "nothing was sent to Cloudflare");
    });
  }

  it("an unreachable Elasticsearch: exit 1 with a message naming it", async () => {
    const result = await cli(["run", ...now], exporterEnv(sim, "it-config", { ES_URL: "http://127.0.0.1:9" }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /127\.0\.0\.1:9/);
    // The last line is the machine-readable fatal record (docs: README, exit codes).
    const fatal = JSON.parse(result.stderr.trimEnd().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual([fatal["level"], fatal["service"], fatal["kind"], fatal["exitCode"]], ["error", "elasticsearch", "unreachable", 1]);
    assert.match(String(fatal["fix"]), /ES_URL/);
  });
});

describe("secrets stay out of the logs", { skip: needsElasticsearch }, () => {
  it("a full run at debug level, and a refused token, print no credential", async () => {
    const token = "cf-token-SECRET-4f9a2b7c";
    const apiKey = "es-apikey-SECRET-88d1e0";
    const sim = await simulator({ now: () => NOW, tokens: [token] });
    const es = esClient();
    try {
      const env = exporterEnv(sim, "it-secrets", { CF_API_TOKEN: token, ES_API_KEY: apiKey, LOG_LEVEL: "debug", OVERLAP_MINUTES: "0" });
      const ok = await cli(["run", ...now], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(ok.stderr.split("\n").length > 5, "debug output was produced");
      const refused = await cli(["run", ...now], { ...env, CF_API_TOKEN: `${token}-wrong` });
      assert.equal(refused.code, 1);
      for (const output of [ok.stdout, ok.stderr, refused.stdout, refused.stderr]) {
        assert.ok(!output.includes(token), "Cloudflare token leaked");
        assert.ok(!output.includes(apiKey), "Elasticsearch API key leaked");
      }
      const check = await cli(["check"], env);
      assert.ok(!check.stdout.includes(token) && !check.stderr.includes(token));
    } finally {
      await sim.close();
      await dropPrefix(es, "it-secrets");
      await es.close();
    }
  });
});
