/** The run's own record: one `run` document and one per zone or account and dataset, declared fields only. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { leafPaths, toSource } from "../../src/datasets/document.js";
import type { RunResult } from "../../src/run.js";
import { runDocuments, runFields } from "../../src/runs/run-document.js";

const config = loadConfig({
  flags: {},
  env: { CF_API_TOKEN: "cf-token-0001", CF_ZONES: "z1=example.com", CF_ACCOUNTS: "a1=prod", LOCAL_CLUSTER: "blue", LOCAL_NAMESPACE: "cf" },
});
const started = Date.parse("2026-11-23T10:00:00Z");
const result: RunResult = {
  outcome: "failed",
  gate: { allowed: true, reason: "no gate configured" },
  reports: [
    {
      owner: { scope: "zone", id: "z1", name: "example.com" },
      dataset: "http_requests",
      status: "ok",
      windows: 2,
      documents: 900,
      queries: 2,
      newest: started - 6 * 60_000,
    },
    {
      owner: { scope: "account", id: "a1", name: "prod" },
      dataset: "workers",
      status: "failed",
      windows: 0,
      documents: 0,
      queries: 1,
      error: "Cloudflare said no",
    },
    {
      owner: { scope: "zone", id: "z1", name: "example.com" },
      dataset: "load_balancing",
      status: "off",
      windows: 0,
      documents: 0,
      queries: 0,
      error: "the zone's plan does not include it",
    },
  ],
  windows: 2,
  requests: 4,
  queries: 5,
  documents: 900,
  bulkRetries: 3,
  startedAt: started,
  durationMs: 4000,
};

describe("run documents", () => {
  const docs = runDocuments({ result, command: "run", exitCode: 1, config, endedAt: started + 4000, id: "r1" });

  it("summarise the run: outcome, exit code, gate, budget, environment", () => {
    const run = docs[0]!.fields;
    assert.equal(docs[0]!.dataset, "runs");
    assert.deepEqual(
      [
        run["run.kind"],
        run["run.outcome"],
        run["run.exit_code"],
        run["run.gate.allowed"],
        run["run.queries"],
        run["run.query_budget"],
        run["run.environment.cluster"],
        run["run.duration_ms"],
      ],
      ["run", "failed", 1, true, 5, 250, "blue", 4000],
    );
    assert.match(String(run["run.error"]), /^1 failed: workers prod: Cloudflare said no/);
  });

  it("give each zone or account and dataset its freshness", () => {
    const [http, workers, lb] = docs.slice(1).map((d) => d.fields);
    assert.equal(http!["cloudflare.zone.name"], "example.com");
    assert.equal(http!["run.lag_minutes"], 6);
    assert.equal(http!["run.newest_minute"], "2026-11-23T09:54:00.000Z");
    assert.equal(workers!["cloudflare.account.id"], "a1");
    assert.equal(workers!["run.status"], "failed");
    assert.equal(lb!["run.status"], "off");
    assert.equal(http!["run.error"], undefined);
  });

  it("never carry a configured secret, even when an error message echoes one", () => {
    const secretConfig = loadConfig({ flags: {}, env: { CF_API_TOKEN: "cf-secret-token-0123456789", CF_ZONES: "z1=example.com" } });
    const [run] = runDocuments({
      result: { ...result, reports: [], error: "Cloudflare echoed cf-secret-token-0123456789 back" },
      command: "run",
      exitCode: 1,
      config: secretConfig,
      endedAt: started + 1,
      id: "r2",
    });
    assert.doesNotMatch(JSON.stringify(run!.fields), /cf-secret-token/);
    assert.match(String(run!.fields["run.error"]), /Cloudflare echoed <redacted> back/);
  });

  it("carry only declared fields, and ids that keep one document per run and part", () => {
    const declared = new Set(runFields.map((f) => f.name));
    for (const doc of docs) for (const path of leafPaths(toSource(doc.fields))) assert.ok(declared.has(path), `undeclared ${path}`);
    assert.equal(new Set(docs.map((d) => d.id)).size, docs.length);
    assert.ok(docs.every((d) => d.fields["run.id"] === "r1" && d.fields["@timestamp"] === "2026-11-23T10:00:00.000Z"));
  });
});
