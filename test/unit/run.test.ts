/**
 * The run itself, in process: `runExport` against the simulator (faked at the wire) and the NDJSON sink, for the
 * outcomes that decide exit codes: credentials refused halfway, the deadline, a stop signal, and a backfill that can
 * fetch nothing.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { startSimulator, type Simulator } from "../../simulator/index.js";
import { createCloudflareClient } from "../../src/cloudflare/client.js";
import { loadConfig } from "../../src/config/index.js";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { tunnels } from "../../src/datasets/tunnels.js";
import { RunClock } from "../../src/deadline.js";
import { UsageError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { RedactingStream, redactorFor } from "../../src/redact.js";
import { runExport, type RunDeps } from "../../src/run.js";
import { ndjsonSink } from "../../src/sinks/ndjson.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const MINUTE = 60_000;
const ZONES = "0a0000000000000000000000000000a1=a.example,0b0000000000000000000000000000b2=b.example";

describe("runExport", () => {
  let sim: Simulator;
  let dir: string;
  const lines: string[] = [];

  before(async () => {
    sim = await startSimulator({
      now: () => NOW,
      statusCodes: "documented",
      settings: { httpRequests1mGroups: { notOlderThan: 6 * 3600, maxDuration: 3600 } },
    });
    dir = await mkdtemp(join(tmpdir(), "run-test-"));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function deps(out: string, time?: RunClock): RunDeps {
    const config = loadConfig({
      flags: {},
      env: { CF_API_URL: sim.url, CF_API_TOKEN: "test-token-0123456789", CF_ZONES: ZONES, MAX_BACKFILL_DAYS: "1", CF_MAX_RETRY_SECONDS: "1" },
    });
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const redactor = redactorFor(config);
    const log = createLogger({ level: "info", format: "json", output: new RedactingStream(stream, redactor) });
    return {
      config,
      log,
      datasets: [httpRequests],
      sink: ndjsonSink(join(dir, out), config.elasticsearch, redactor),
      cloudflare: createCloudflareClient(config.cloudflare, { minRetryDelayMs: 10, ...(time ? { time } : {}) }),
      ...(time ? { time } : {}),
    };
  }

  it("credentials refused halfway end the run's work with outcome failed, and no further request is sent", async () => {
    sim.reset();
    let seen = 0;
    // The token is accepted for the settings and the first window, then revoked.
    const original = sim.options.now;
    sim.options.now = () => {
      if (++seen === 3) sim.options.tokens = ["another-token-0123456789"];
      return original();
    };
    try {
      const result = await runExport(deps("auth"), { mode: "run", dryRun: false, now: NOW });
      assert.equal(result.outcome, "failed");
      assert.match(result.error ?? "", /Unauthorized/);
      assert.ok(
        result.reports.every((r) => r.status !== "skipped"),
        "a refused token is no skip",
      );
      assert.ok(result.reports.some((r) => r.status === "failed"));
      assert.equal(sim.stats.log.filter((e) => e.status === 401).length, 1);
      assert.equal(sim.stats.log.at(-1)!.status, 401, "nothing was sent after the refusal");
    } finally {
      sim.options.now = original;
      sim.options.tokens = undefined;
    }
  });

  it("at the deadline the run takes no new window, and says so in its outcome", async () => {
    sim.reset();
    sim.options.latencyMs = 200;
    const clock = new RunClock(undefined);
    try {
      const running = runExport(deps("deadline", clock), { mode: "run", dryRun: false, now: NOW });
      setTimeout(() => clock.stop("deadline", "the run's deadline of 1s has passed"), 700);
      const result = await running;
      assert.equal(result.outcome, "deadline");
      const requests = sim.stats.requests;
      assert.ok(requests < 8, `stopped early (${requests} requests for 12 windows)`);
      const files = (await readdir(join(dir, "deadline", "http_requests", "0a0000000000000000000000000000a1")).catch(() => [])).filter((f) =>
        f.endsWith(".ndjson"),
      );
      assert.ok(files.length < 6, "later windows were left for the next run");
      assert.ok(lines.some((l) => l.includes("no further window is taken")));
    } finally {
      sim.options.latencyMs = 0;
      clock.dispose();
    }
  });

  it("a stop signal ends the wait for an answer at once", async () => {
    sim.reset();
    sim.options.latencyMs = 5_000;
    const clock = new RunClock(undefined);
    try {
      const started = Date.now();
      const running = runExport(deps("terminated", clock), { mode: "run", dryRun: false, now: NOW });
      setTimeout(() => clock.stop("terminated", "stopped by SIGTERM"), 300);
      const result = await running;
      assert.equal(result.outcome, "terminated");
      assert.ok(Date.now() - started < 2_000, "did not wait for the slow answer");
    } finally {
      sim.options.latencyMs = 0;
      clock.dispose();
    }
  });

  it("a backfill that can fetch nothing is a usage error naming the range and the retention", async () => {
    const minute = Math.floor(NOW / MINUTE) * MINUTE;
    const future = { from: minute + 60 * MINUTE, to: minute + 120 * MINUTE };
    await assert.rejects(
      runExport(deps("future"), { mode: "backfill", range: future, dryRun: false, now: NOW }),
      (e: Error) =>
        e instanceof UsageError &&
        /backfill \[2026-11-20T13:00:00Z, 2026-11-20T14:00:00Z\) holds no settled minute that Cloudflare still keeps \(http_requests 6 hours\)/.test(e.message),
    );
  });

  it("a tunnel list that keeps failing (503) fails tunnels for that account only: the windows are still written, the run fails", async () => {
    sim.reset();
    const ACCOUNT = "acc0000000000000000000000000000c";
    sim.options.tunnels = { [ACCOUNT]: [{ id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa", name: "web" }] };
    sim.options.restFaults = [{ path: "/cfd_tunnel", kind: "http503" }];
    try {
      const base = deps("tunnels-503");
      const config = { ...base.config, cloudflare: { ...base.config.cloudflare, accounts: [{ id: ACCOUNT, name: "acme" }] } };
      const result = await runExport({ ...base, config, snapshots: [tunnels] }, { mode: "run", dryRun: false, now: NOW });
      assert.equal(result.outcome, "failed");
      const tunnel = result.reports.find((r) => r.dataset === "tunnels")!;
      assert.equal(tunnel.status, "failed");
      assert.match(tunnel.error ?? "", /listing the tunnels of account acc0+c, page 1: HTTP 503: 10013 Service temporarily unavailable/);
      assert.ok(sim.stats.rest.statuses[503]! >= 1);
      const windows = result.reports.filter((r) => r.dataset === "http_requests");
      assert.ok(windows.length === 2 && windows.every((r) => r.status === "ok" && r.documents > 0), "the GraphQL work went on");
      assert.ok(!(await readdir(join(dir, "tunnels-503"))).includes("tunnels"), "no tunnel document (only its index template)");
    } finally {
      sim.options.restFaults = [];
      sim.options.tunnels = {};
    }
  });
});
