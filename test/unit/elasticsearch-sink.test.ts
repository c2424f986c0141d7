/**
 * What the Elasticsearch sink sends, against a fake cluster at the wire: the lifecycle path, which the
 * integration-test Elasticsearch cannot exercise (it has no ILM), and the write order that makes a stored total
 * mean a complete minute. Checks what is sent, not how.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { elasticsearchSink } from "../../src/sinks/elasticsearch/sink.js";

interface Seen {
  method: string;
  path: string;
  body: string;
}

/** Entry ids (and their index) the fake cluster reports as already stored for any window. */
let storedEntries: [string, string][] = [];
let server: Server;
let url = "";
const seen: Seen[] = [];
/** When set, bulk items of breakdown entries fail (a mapping error, say). */
let failEntries = false;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      seen.push({ method: req.method ?? "", path, body });
      // Every 2xx answer of a real cluster carries this header; the client refuses answers without it.
      res.setHeader("x-elastic-product", "Elasticsearch");
      res.setHeader("content-type", "application/json");
      if (path === "/_ilm/status") return res.end(JSON.stringify({ operation_mode: "RUNNING" }));
      if (path.endsWith("/_search"))
        return res.end(JSON.stringify({ took: 1, hits: { hits: storedEntries.map(([id, index]) => ({ _id: id, _index: index, sort: [0] })) } }));
      if (path.endsWith("/_bulk")) {
        if (body.includes('"delete"')) {
          const items = body
            .trim()
            .split("\n")
            .map(() => ({ delete: { status: 200, result: "deleted" } }));
          return res.end(JSON.stringify({ took: 1, errors: false, items }));
        }
        const sources = body
          .trim()
          .split("\n")
          .filter((_, i) => i % 2 === 1)
          .map((l) => JSON.parse(l) as { cloudflare: { breakdown: string } });
        const items = sources.map((s) =>
          failEntries && s.cloudflare.breakdown !== "total"
            ? { index: { status: 400, error: { type: "mapper_parsing_exception", reason: "injected" } } }
            : { index: { status: 201, result: "created" } },
        );
        return res.end(JSON.stringify({ took: 1, errors: failEntries, items }));
      }
      res.end(JSON.stringify({ acknowledged: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe("Elasticsearch with ILM", () => {
  const config = {
    url: "",
    auth: { kind: "none" as const },
    caFile: undefined,
    tlsVerify: true,
    indexPrefix: "cf",
    indexPeriod: "month" as const,
    retentionDays: 90,
  };

  it("puts a delete-after-retention policy and names it in the template", async () => {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, url });
    const notes = await sink.ensure([httpRequests]);
    await sink.close();
    assert.match(notes[0]!, /deletes indices 90 days after the period they cover/);
    const policy = seen.find((s) => s.method === "PUT" && s.path === "/_ilm/policy/cf-retention");
    assert.ok(policy, "policy written");
    assert.deepEqual(JSON.parse(policy.body).policy.phases.delete, { min_age: "90d", actions: { delete: {} } });
    const template = seen.find((s) => s.method === "PUT" && s.path === "/_index_template/cf-http_requests");
    assert.ok(template, "index template written");
    const body = JSON.parse(template.body);
    assert.deepEqual(body.index_patterns, ["cf-http_requests-*"]);
    assert.equal(body.template.settings["index.lifecycle.name"], "cf-retention");
    const component = seen.find((s) => s.path === "/_component_template/cf-http_requests-mappings");
    assert.equal(JSON.parse(component!.body).template.mappings.dynamic, "strict");
  });

  it("creates each index once, with the lifecycle clock at the end of the period it covers", async () => {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, url });
    await sink.ensure([httpRequests]);
    const zone = { scope: "zone" as const, id: "z1", name: "z1.example" };
    // 30 Nov 23:58 to 1 Dec 00:02: two monthly indices.
    const window = { from: Date.parse("2026-11-30T23:58:00Z"), to: Date.parse("2026-12-01T00:02:00Z") };
    const flat = httpRequests.flatten([], zone, window, { topN: 100 });
    const outcome = await sink.write({ dataset: "http_requests", ownerId: zone.id, scope: zone.scope, window, ...flat });
    await sink.close();
    assert.equal(outcome.written, 4);
    const creations = (name: string) => seen.filter((s) => s.method === "PUT" && s.path === `/${name}`);
    for (const [name, end] of [
      ["cf-http_requests-2026.11", "2026-12-01T00:00:00Z"],
      ["cf-http_requests-2026.12", "2027-01-01T00:00:00Z"],
    ] as const) {
      const created = creations(name);
      assert.equal(created.length, 1, `${name} created once`);
      assert.equal(JSON.parse(created[0]!.body).settings["index.lifecycle.origination_date"], Date.parse(end));
    }
  });

  it("bootstrap also creates the current period's index", async () => {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, url });
    await sink.ensure([httpRequests]);
    await sink.close();
    const month = new Date().toISOString().slice(0, 7).replace("-", ".");
    assert.ok(seen.some((s) => s.method === "PUT" && s.path === `/cf-http_requests-${month}`));
  });

  it("writes a window's breakdown entries before its totals, and no total when an entry failed", async () => {
    const zone = { scope: "zone" as const, id: "z2", name: "z2.example" };
    const window = { from: Date.parse("2026-11-20T08:00:00Z"), to: Date.parse("2026-11-20T08:03:00Z") };
    const row = (minute: string) => ({
      dimensions: { datetime: minute },
      uniq: { uniques: 1 },
      sum: {
        requests: 2,
        bytes: 10,
        cachedRequests: 0,
        cachedBytes: 0,
        encryptedRequests: 2,
        encryptedBytes: 10,
        pageViews: 1,
        threats: 0,
        edgeRequestBytes: 5,
        countryMap: [{ clientCountryName: "DE", requests: 2, bytes: 10, threats: 0 }],
        responseStatusMap: [{ edgeResponseStatus: 200, requests: 2 }],
        // Every map adds up to the totals, as Cloudflare's do (a shortfall would add an `__unattributed__` entry).
        contentTypeMap: [{ edgeResponseContentTypeName: "html", requests: 2, bytes: 10 }],
        browserMap: [{ uaBrowserFamily: "Chrome", pageViews: 1 }],
        clientSSLMap: [{ clientSSLProtocol: "TLSv1.3", requests: 2 }],
        clientHTTPVersionMap: [{ clientHTTPProtocol: "HTTP/2", requests: 2 }],
        ipClassMap: [{ ipType: "noRecord", requests: 2 }],
        threatPathingMap: [],
      },
    });
    const rows = [row("2026-11-20T08:00:00Z"), row("2026-11-20T08:02:00Z")];
    const bulkBodies = () =>
      seen
        .filter((s) => s.path.endsWith("/_bulk"))
        .map((s) =>
          s.body
            .trim()
            .split("\n")
            .filter((_, i) => i % 2 === 1)
            .map((l) => (JSON.parse(l) as { cloudflare: { breakdown: string } }).cloudflare.breakdown),
        );

    seen.length = 0;
    failEntries = false;
    const sink = elasticsearchSink({ ...config, url });
    await sink.ensure([httpRequests]);
    const ok = await sink.write({
      dataset: "http_requests",
      ownerId: zone.id,
      scope: zone.scope,
      window,
      ...httpRequests.flatten(rows, zone, window, { topN: 100 }),
    });
    // Two minutes of 7 entries each, then 3 totals (one minute had no row: a zero total).
    assert.deepEqual(ok, { written: 17, failed: 0, reasons: [], retried: 0 });
    const order = bulkBodies().flat();
    assert.equal(order.lastIndexOf("country") < order.indexOf("total"), true, `entries before totals: ${order.join(",")}`);

    seen.length = 0;
    failEntries = true;
    const failed = await sink.write({
      dataset: "http_requests",
      ownerId: zone.id,
      scope: zone.scope,
      window,
      ...httpRequests.flatten(rows, zone, window, { topN: 100 }),
    });
    await sink.close();
    failEntries = false;
    assert.equal(failed.failed, 14);
    assert.match(failed.reasons[0]!, /400 mapper_parsing_exception: injected/);
    assert.deepEqual(
      bulkBodies()
        .flat()
        .filter((b) => b === "total"),
      [],
      "no total was sent",
    );
  });

  it("deletes the window's stored entries Cloudflare no longer returns, after the new entries and before the totals", async () => {
    const zone = { scope: "zone" as const, id: "z3", name: "z3.example" };
    const window = { from: Date.parse("2026-11-20T08:00:00Z"), to: Date.parse("2026-11-20T08:01:00Z") };
    const rows = [
      {
        dimensions: { datetime: "2026-11-20T08:00:00Z" },
        uniq: { uniques: 1 },
        sum: {
          requests: 0,
          bytes: 0,
          cachedRequests: 0,
          cachedBytes: 0,
          encryptedRequests: 0,
          encryptedBytes: 0,
          pageViews: 0,
          threats: 0,
          edgeRequestBytes: 0,
          countryMap: [{ clientCountryName: "DE", requests: 0, bytes: 0, threats: 0 }],
          responseStatusMap: [],
          contentTypeMap: [],
          browserMap: [],
          clientSSLMap: [],
          clientHTTPVersionMap: [],
          ipClassMap: [],
          threatPathingMap: [],
        },
      },
    ];
    const flat = httpRequests.flatten(rows, zone, window, { topN: 100 });
    const kept = [...flat.entries][0]!.id;
    storedEntries = [
      [kept, "cf-http_requests-2026.11"],
      ["http_requests|z3|2026-11-20T08:00|country|FR", "cf-http_requests-2026.11"],
    ];
    seen.length = 0;
    try {
      const sink = elasticsearchSink({ ...config, url });
      await sink.ensure([httpRequests]);
      seen.length = 0;
      await sink.write({ dataset: "http_requests", ownerId: zone.id, scope: zone.scope, window, ...flat });
      await sink.close();
    } finally {
      storedEntries = [];
    }
    const bulks = seen.filter((x) => x.path.endsWith("/_bulk")).map((x) => x.body);
    assert.equal(bulks.length, 3, "entries, the deletion, totals");
    assert.match(bulks[0]!, /"country"/);
    assert.deepEqual(
      bulks[1]!
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
      [{ delete: { _index: "cf-http_requests-2026.11", _id: "http_requests|z3|2026-11-20T08:00|country|FR" } }],
    );
    assert.match(bulks[2]!, /"total"/);
  });
});
