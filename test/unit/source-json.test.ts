/**
 * The sinks' `_source` text (src/sinks/source-json.ts) is byte for byte `JSON.stringify(toSource(fields))`: for the
 * documents of every dataset, made from the simulator's answers and from the recorded golden answers, and for values
 * and name sequences chosen to catch a kept layout reused where it must not be.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startSimulator, type Simulator } from "../../simulator/index.js";
import { createRestClient } from "../../src/cloudflare/rest.js";
import { listTunnels } from "../../src/cloudflare/tunnels.js";
import { loadConfig } from "../../src/config/index.js";
import type { CloudflareConfig } from "../../src/config/types.js";
import type { Dataset, Owner, Window } from "../../src/datasets/dataset.js";
import { toSource, type ExportDocument, type FieldValue } from "../../src/datasets/document.js";
import { DATASET_NAMES, datasets, datasetsOf } from "../../src/datasets/index.js";
import { queryVariables } from "../../src/datasets/query.js";
import { flattenTunnels } from "../../src/datasets/tunnels.js";
import type { RunResult } from "../../src/run.js";
import { runDocuments } from "../../src/runs/run-document.js";
import { sourceJson } from "../../src/sinks/source-json.js";
import { MINUTE } from "../../src/time.js";
import { fixturesDir } from "../support/paths.js";

type Fields = Record<string, FieldValue>;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const zone: Owner = { scope: "zone", id: "f1x7ure0000000000000000000000001", name: "fixture.example" };
const account: Owner = { scope: "account", id: "acc00000000000000000000000000f02", name: "fixture-account" };

const same = (fields: Readonly<Fields>, what = ""): void => assert.equal(sourceJson(fields), JSON.stringify(toSource(fields)), what);

/** Every document twice, the second pass in reverse: layouts are made on the first and reused, out of order, on the second. */
function check(docs: readonly ExportDocument[]): void {
  for (const doc of docs) same(doc.fields, doc.id);
  for (const doc of [...docs].reverse()) same(doc.fields, doc.id);
}

/** The dataset's own query against the simulator, stepping back until the window holds rows (as record-fixtures.ts). */
async function simulated(sim: Simulator, dataset: Dataset): Promise<ExportDocument[]> {
  const owner = dataset.scope === "zone" ? zone : account;
  const units = dataset.unit === MINUTE ? 30 : 3;
  for (let to = Math.floor((NOW - 10 * MINUTE) / dataset.unit) * dataset.unit, attempt = 0; attempt < 50; attempt++, to -= units * dataset.unit) {
    const window: Window = { from: to - units * dataset.unit, to };
    const response = await fetch(sim.url, {
      method: "POST",
      headers: { authorization: "Bearer source-json", "content-type": "application/json" },
      body: JSON.stringify({ query: dataset.query(new Set()), variables: queryVariables(dataset.scope, [owner], window, dataset.timeType, 10_000) }),
    });
    const body = (await response.json()) as any;
    assert.ok(body.data, `${dataset.name}: ${JSON.stringify(body.errors)}`);
    const rows = dataset.rowsOf(body.data.viewer[dataset.scope === "zone" ? "zones" : "accounts"][0]);
    if (rows.length === 0) continue;
    const flat = dataset.flatten(rows, owner, window, { topN: 5 });
    return [...flat.entries, ...flat.totals];
  }
  return assert.fail(`${dataset.name}: the simulator answered no rows`);
}

/** The golden fixtures' answers, flattened as datasets-golden.test.ts does. */
function recorded(dataset: Dataset): ExportDocument[] {
  const dir = join(fixturesDir, dataset.name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".response.json"))
    .flatMap((f) => {
      const fixture = JSON.parse(readFileSync(join(dir, f), "utf8"));
      const owner: Owner = fixture.owner ?? { scope: "zone", ...fixture.zone };
      const window = { from: Date.parse(fixture.window.from), to: Date.parse(fixture.window.to) };
      const flat = dataset.flatten(dataset.rowsOf(fixture.ownerObject ?? fixture.zoneObject), owner, window, { topN: fixture.topN ?? 100 });
      return [...flat.entries, ...flat.totals];
    });
}

describe("sourceJson: the documents of every dataset", () => {
  let sim: Simulator;
  const tunnels = [
    { id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa", name: "web", connections: 4, colos: ["FRA", "AMS"] },
    { id: "0e4ad9a5-4fbd-4a39-8b0a-2f6a1c7f1d10", name: 'db "primary" – Zürich', schedule: [{ status: "down" as const, minutes: 1 }] },
  ];
  before(async () => {
    sim = await startSimulator({ now: () => NOW, tunnels: { [account.id]: tunnels } });
  });
  after(() => sim.close());
  const covered = new Set<string>();

  for (const dataset of datasets) {
    it(`${dataset.name}: from the simulator's answer and the golden fixtures`, async () => {
      const docs = [...(await simulated(sim, dataset)), ...recorded(dataset)];
      check(docs);
      covered.add(dataset.name);
    });
  }

  it("tunnels: from the simulator's tunnel list", async () => {
    const config = { restUrl: sim.restUrl, auth: { kind: "token", token: "t" }, timeoutSeconds: 10, maxRetrySeconds: 30, restBudget: 1200 };
    const listed = await listTunnels(createRestClient(config as unknown as CloudflareConfig), account.id, []);
    const { entries, totals } = flattenTunnels(listed, account, NOW);
    assert.ok(
      entries.some((d) => Array.isArray(d.fields["cloudflare.tunnel.colos"])),
      "a keyword with several values",
    );
    check([...entries, ...totals]);
    covered.add("tunnels");
  });

  it("covers every dataset the exporter knows", () => assert.deepEqual([...covered].sort(), [...DATASET_NAMES].sort()));

  it("a declared dataset, from the simulator's answer", async () => {
    const yaml = [
      "customDatasets:",
      "  - name: cache_by_prefix",
      "    node: httpRequestsAdaptiveGroups",
      "    dimensions: [cacheStatus, clientRequestHTTPHost, { field: clientRequestPath, pathPrefix: 1 }]",
      "    metrics: [count, sum.edgeResponseBytes, quantiles.edgeTimeToFirstByteMsP95]",
    ].join("\n");
    const config = loadConfig({
      flags: { config: "c.yaml" },
      env: { CF_ZONES: `${zone.id}=${zone.name}`, CF_API_TOKEN: "cf-token-0001" },
      readFile: () => yaml,
    });
    const declared = datasetsOf(config).find((d) => d.name === "cache_by_prefix")!;
    check(await simulated(sim, declared));
  });

  it("run records", () => {
    const config = loadConfig({ flags: {}, env: { CF_API_TOKEN: "cf-token-0001", CF_ZONES: `${zone.id}=${zone.name}` } });
    const report: RunResult["reports"][number] = {
      owner: zone,
      dataset: "http_requests",
      status: "ok",
      windows: 1,
      documents: 9,
      queries: 1,
      newest: NOW - MINUTE,
    };
    const result: RunResult = {
      outcome: "failed",
      gate: { allowed: true, reason: "no gate configured" },
      reports: [report, { ...report, status: "failed", error: 'a "quoted"\nerror' }],
      ...{ windows: 2, requests: 2, queries: 2, documents: 18, bulkRetries: 0, startedAt: NOW - 4_000, durationMs: 4_000 },
    };
    check(runDocuments({ result, command: "run", exitCode: 1, config, endedAt: NOW, id: "r1" }));
  });
});

describe("sourceJson: values and name sequences", () => {
  it("escapes strings as JSON does: quotes, backslashes, control characters, unicode, lone surrogates", () => {
    for (const text of [
      'a "b" c',
      "back\\slash",
      "tab\tnew\nline\r\u0000\u001f\u007f",
      "Zürich 東京 🚀",
      "\u2028\u2029",
      "lone \ud800 and \udfff",
      "",
      "</script>",
    ])
      same({ "@timestamp": "2026-11-20T08:00:00.000Z", "cloudflare.key": text, "cloudflare.requests": 1 });
  });

  it("writes numbers as JSON does: non-finite ones as null, -0 as 0, exponents", () => {
    for (const n of [0, -0, 1, -1, 0.1 + 0.2, 1e21, 1.5e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, NaN, Infinity, -Infinity])
      same({ "cloudflare.key": "n", "cloudflare.metrics.value": n, "cloudflare.metrics.count": 2 });
  });

  it("booleans and arrays of strings, empty ones too", () => {
    for (const colos of [[], ["FRA"], ["FRA", "AMS"], ['q"uote', "\n"]])
      same({ "cloudflare.sampled": true, "cloudflare.tunnel.colos": colos, "cloudflare.up": false });
  });

  it("a name sequence seen for the first time, then again with other values", () => {
    const first = { "zz.first.time": "a", "zz.first.count": 1, "aa.other": true };
    same(first);
    same({ "zz.first.time": "b\n", "zz.first.count": NaN, "aa.other": false });
    same({ "zz.first.time": "c", "zz.first.count": 3, "aa.other": true });
  });

  it("the same names in another order, fewer names, more names: each its own layout", () => {
    const shapes: Fields[] = [
      { "b.x": 1, a: "2", "b.y": 3 },
      { a: "2", "b.y": 3, "b.x": 1 },
      { "b.y": 3, "b.x": 1, a: "2" },
      { "b.x": 1, a: "2" },
      { "b.x": 1, a: "2", "b.y": 3, "c.d.e": "4" },
    ];
    // Alternating, so that each layout is reached after another one was taken last.
    for (let round = 0; round < 3; round++) for (const fields of shapes) same(fields);
    assert.notEqual(sourceJson(shapes[0]!), sourceJson(shapes[1]!), "key order follows the names' order");
  });

  it("integer-like keys first, as JavaScript objects order them", () => {
    same({ "http.status.text": "x", "http.status.404": 1, "http.status.200": 2, "10": "top" });
    same({ "http.status.text": "y", "http.status.404": 3, "http.status.200": 4, "10": "top" });
  });

  it("an empty document, and a value JSON leaves out", () => {
    same({});
    same({ a: 1, "b.c": undefined as unknown as string });
    same({ a: 2, "b.c": "now set" });
  });

  it("a name that is also another's group: as toSource, the later value wins or the write fails", () => {
    same({ "a.b": 1, a: 2 });
    assert.throws(() => toSource({ a: 1, "a.b": 2 }), TypeError);
    assert.throws(() => sourceJson({ a: 1, "a.b": 2 }), TypeError);
  });
});
