/**
 * No raw client or file system error leaves a sink: Elasticsearch answers (a fake cluster at the wire) and NDJSON
 * folder problems become `SinkError`s naming the service, the kind and the fix, with the original as `cause`. And the
 * NDJSON files pass the redaction point value by value.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { Redactor } from "../../src/redact.js";
import { elasticsearchSink } from "../../src/sinks/elasticsearch/sink.js";
import { ndjsonSink } from "../../src/sinks/ndjson.js";
import { SinkError, type Sink } from "../../src/sinks/sink.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const es = {
  auth: { kind: "none" as const },
  caFile: undefined,
  tlsVerify: true,
  indexPrefix: "cf",
  indexPeriod: "month" as const,
  indexMode: "time_series" as const,
  retentionDays: 90,
};
const owner = { scope: "zone" as const, id: "z1", name: "example.com" };
const window = { from: Date.parse("2026-11-20T10:00:00Z"), to: Date.parse("2026-11-20T11:00:00Z") };

async function failure(step: Promise<unknown>): Promise<SinkError> {
  try {
    await step;
  } catch (error) {
    assert.ok(error instanceof SinkError, `a SinkError, not ${String(error)}`);
    return error;
  }
  assert.fail("expected a failure");
}

describe("Elasticsearch failures are SinkErrors with a fix", () => {
  let cluster: ScriptedServer;
  let sink: Sink;
  before(async () => {
    cluster = await startScriptedServer("");
    sink = elasticsearchSink({ ...es, url: cluster.url });
  });
  after(async () => {
    await sink.close();
    await cluster.close();
  });

  const cases: [string, { status: number; body: object }, string, RegExp][] = [
    [
      "401",
      { status: 401, body: { error: { type: "security_exception", reason: "unable to authenticate user [elastic]" }, status: 401 } },
      "auth",
      /ES_USER and ES_PASSWORD \(or ES_API_KEY\)/,
    ],
    [
      "403",
      { status: 403, body: { error: { type: "security_exception", reason: "action [indices:admin/create] is unauthorized" }, status: 403 } },
      "forbidden",
      /docs\/elasticsearch-role\.json/,
    ],
    ["503", { status: 503, body: { error: { type: "cluster_block_exception", reason: "blocked" }, status: 503 } }, "http-503", /cluster's health/],
  ];
  for (const [name, answer, kind, fix] of cases) {
    it(`${name}: bootstrap, coverage and the run record`, async () => {
      cluster.script = [answer];
      for (const step of [() => sink.ensure([httpRequests]), () => sink.coverage(httpRequests, owner, window), () => sink.record([])]) {
        const error = await failure(step());
        assert.equal(error.service, "elasticsearch");
        assert.equal(error.kind, kind);
        assert.match(error.message, new RegExp(`^Elasticsearch ${cluster.url.replace(/[.]/g, "\\.")}: .* failed: ${answer.status}`));
        assert.match(error.fix ?? "", fix);
        assert.ok(error.cause, "the client's error is kept as the cause");
      }
    });
  }
});

describe("NDJSON output", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "cfee-sink-errors-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a folder that cannot be written: SinkError of the output service naming OUTPUT_DIR", async () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "");
    const sink = ndjsonSink(file, es, new Redactor([]));
    for (const step of [() => sink.ensure([httpRequests]), () => sink.record([])]) {
      const error = await failure(step());
      assert.equal(error.service, "output");
      assert.match(error.message, /^NDJSON output .*not-a-folder: .* failed: /);
      assert.match(error.fix ?? "", /OUTPUT_DIR/);
      assert.ok(error.cause);
    }
  });

  it("documents are redacted value by value: a field name equal to a secret stays", async () => {
    const sink = ndjsonSink(dir, es, new Redactor(["run-secret-1234", "error"]));
    await sink.record([{ id: "r1", dataset: "runs", timestamp: window.from, fields: { "run.error": "echoed run-secret-1234", "run.outcome": "failed" } }]);
    const [action, source] = readFileSync(join(dir, "runs.ndjson"), "utf8").trimEnd().split("\n");
    assert.equal(JSON.parse(action!).index._id, "r1");
    assert.deepEqual(JSON.parse(source!), { run: { error: "echoed <redacted>", outcome: "failed" } });
  });
});
