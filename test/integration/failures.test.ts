/**
 * How the CLI fails, against hostile or broken neighbours at the wire: an Elasticsearch (or a proxy in front of it)
 * that echoes the credentials in its error, one that answers with an HTML page, an output folder that cannot be
 * written. The last line is one JSON line at level error naming the service and the fix, and no output (stdout,
 * stderr, files) carries a credential in any form.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Simulator } from "../../simulator/index.js";
import { cli, exporterEnv, simulator } from "../support/harness.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const NOW = "2026-11-19T15:00:00Z";

/** The last non-empty line of an output, parsed as the fatal JSON record. */
function fatalLine(stderr: string): Record<string, unknown> {
  const last = stderr.trimEnd().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    assert.fail(`the last line is not one JSON line: ${JSON.stringify(last)}\n${stderr}`);
  }
}

describe("failures are one line, name the service and the fix, and show no credential", () => {
  let sim: Simulator;
  let es: ScriptedServer;
  let dir: string;
  before(async () => {
    sim = await simulator({ now: () => Date.parse(NOW) });
    es = await startScriptedServer("");
    dir = mkdtempSync(join(tmpdir(), "cfee-failures-"));
  });
  after(async () => {
    await sim.close();
    await es.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string>) => ({ ...exporterEnv(sim, "it-failures"), ES_URL: es.url, ...extra });

  /** Elasticsearch's own answer to a bad Basic header, which quotes the header and its decoded value. */
  const echoing = (header: string, decoded: string) => ({
    status: 401,
    body: { error: { type: "security_exception", reason: `bad credentials in header [${header}] decoded [${decoded}]` }, status: 401 },
  });

  it("a password echoed by Elasticsearch: not in run's last line, not in check's FAIL lines", async () => {
    const password = "echo-Me-Password-31337";
    const basic = Buffer.from(`elastic:${password}`).toString("base64");
    es.script = [echoing(`Basic ${basic}`, `elastic:${password}`)];
    const run = await cli(["run", "--now", NOW], env({ ES_USER: "elastic", ES_PASSWORD: password }));
    const check = await cli(["check"], env({ ES_USER: "elastic", ES_PASSWORD: password }));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(check.code, 1, check.stdout);
    const all = run.stdout + run.stderr + check.stdout + check.stderr;
    for (const leak of [password, basic]) assert.ok(!all.includes(leak), `${leak} leaked:\n${all}`);
    assert.match(all, /decoded \[<redacted>\]/, "the rest of Elasticsearch's reason is kept");
    const fatal = fatalLine(run.stderr);
    assert.equal(fatal["level"], "error");
    assert.equal(fatal["service"], "elasticsearch");
    assert.equal(fatal["kind"], "auth");
    assert.equal(fatal["exitCode"], 1);
    assert.match(String(fatal["fix"]), /ES_USER and ES_PASSWORD/);
    assert.match(
      check.stdout,
      /^FAIL {2}Elasticsearch http:\/\/127\.0\.0\.1:\d+: checking the cluster failed: 401 security_exception: .*; fix: check ES_USER/m,
    );
  });

  it("an API key echoed encoded and decoded (id:key, and the key alone): never shown", async () => {
    const id = "VuaCfGcBCdbkQm-e5aOx";
    const key = "ui2lp2axTNmsyakw9tvNnw";
    const encoded = Buffer.from(`${id}:${key}`).toString("base64");
    es.script = [echoing(`ApiKey ${encoded}`, `${id}:${key}`)];
    const run = await cli(["run", "--now", NOW], env({ ES_API_KEY: encoded }));
    const check = await cli(["check"], env({ ES_API_KEY: encoded }));
    assert.equal(run.code, 1);
    assert.equal(check.code, 1);
    const all = run.stdout + run.stderr + check.stdout + check.stderr;
    for (const leak of [encoded, key]) assert.ok(!all.includes(leak), `${leak} leaked:\n${all}`);
    assert.equal(fatalLine(run.stderr)["service"], "elasticsearch");
  });

  it("an HTML error page from a proxy: one short line naming Elasticsearch and the fix", async () => {
    const page = `<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n${"<p>padding</p>\n".repeat(100)}</body>\n</html>\n`;
    es.script = [{ status: 502, body: page }];
    const run = await cli(["run", "--now", NOW], env({}));
    assert.equal(run.code, 1);
    const fatal = fatalLine(run.stderr);
    assert.deepEqual([fatal["level"], fatal["service"], fatal["exitCode"]], ["error", "elasticsearch", 1]);
    assert.doesNotMatch(String(fatal["message"]), /[<>]/);
    assert.match(String(fatal["message"]), /^Elasticsearch http:\/\/127\.0\.0\.1:\d+: .*502/);
    assert.ok(String(fatal["message"]).length <= 300);
    assert.ok(String(fatal["fix"]).length > 0);
  });

  it("LOG_FORMAT=text: one readable line instead", async () => {
    es.script = [{ status: 502, body: "<html><body>Bad Gateway</body></html>" }];
    const run = await cli(["run", "--now", NOW], env({ LOG_FORMAT: "text" }));
    assert.equal(run.code, 1);
    assert.match(
      run.stderr.trimEnd().split("\n").at(-1)!,
      /^\d\d:\d\d:\d\d error elasticsearch \(http-502\): Elasticsearch http:\/\/127\.0\.0\.1:\d+: .*; fix: /,
    );
  });

  it("a failed run's summary is logged at level error; an output folder that cannot be written is an output error", async () => {
    const out = join(dir, "out");
    mkdirSync(out);
    // Where the dataset's folder should be, a file: every zone's window fails, the run completes as failed.
    writeFileSync(join(out, "http_requests"), "");
    const run = await cli(["run", "--output", out, "--now", NOW], { ...env({}), ES_URL: "" });
    assert.equal(run.code, 1, run.stderr);
    const summary = run.stderr
      .split("\n")
      .filter((l) => l.includes('"summary"'))
      .map((l) => JSON.parse(l) as { level: string; message: string; summary: { outcome: string } });
    assert.equal(summary.length, 1, run.stderr);
    assert.deepEqual([summary[0]!.level, summary[0]!.summary.outcome], ["error", "failed"]);
    assert.match(run.stderr, /planning failed: NDJSON output \S+out: reading which http_requests units are stored failed: ENOTDIR/);
    const record = readFileSync(join(out, "runs.ndjson"), "utf8").trimEnd().split("\n");
    assert.equal((JSON.parse(record[1]!) as { run: { outcome: string } }).run.outcome, "failed");
  });

  it("bad configuration: one JSON line, service configuration, exit 2", async () => {
    const run = await cli(["run"], env({ SETTLE_MINUTES: "5m" }));
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    const fatal = fatalLine(run.stderr);
    assert.deepEqual([fatal["service"], fatal["kind"], fatal["exitCode"]], ["configuration", "invalid", 2]);
    assert.match(String(fatal["message"]), /SETTLE_MINUTES/);
  });

  it("a hung Elasticsearch (accepts, never answers) cannot hold a run past its deadline: exit 1 within seconds of it", async () => {
    es.script = [{ body: "{}", delayMs: 40_000 }];
    const started = Date.now();
    const run = await cli(["run", "--now", NOW], env({ RUN_DEADLINE_SECONDS: "10" }));
    const took = Date.now() - started;
    assert.equal(run.code, 1, run.stderr);
    // The deadline, then at most 5 s for the run record (which a hung cluster does not take either) and the exit.
    assert.ok(took < 20_000, `ended ${took} ms after it started (deadline 10 s)`);
    const fatal = fatalLine(run.stderr);
    assert.equal(fatal["service"], "elasticsearch");
    assert.equal(fatal["kind"], "timeout");
    assert.match(String(fatal["message"]), /no answer before the run's deadline/);
  });
});
