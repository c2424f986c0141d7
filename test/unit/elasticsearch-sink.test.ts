/**
 * What the Elasticsearch sink sends, against a fake cluster at the wire: the lifecycle path, which the
 * integration-test Elasticsearch cannot exercise (it has no ILM), and the write order that makes a stored total
 * mean a complete minute. Checks what is sent, not how.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { toSource } from "../../src/datasets/document.js";
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
/** When set, creating an index with `index.mode: time_series` is refused, as a cluster without the mode would. */
let refuseTimeSeries = false;
/** Indices that exist before the run: their settings and mapping as `GET /<index>` answers them. */
let existing: Record<string, { settings: Record<string, unknown>; mappings: Record<string, unknown> }> = {};

/** The fake's stand-in for the `_id` a time-series index derives from the dimensions and the time. */
const derivedId = (source: { "@timestamp": string; cloudflare: { breakdown: string; key?: string } }) =>
  `tsid:${source.cloudflare.breakdown}|${source.cloudflare.key ?? ""}|${source["@timestamp"]}`;

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
      const index = /^\/(cf-[^/]+)$/.exec(path)?.[1];
      if (index && req.method === "PUT") {
        if (existing[index]) {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: { type: "resource_already_exists_exception", reason: `index [${index}] already exists` }, status: 400 }));
        }
        if (refuseTimeSeries && body.includes("time_series")) {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: { type: "illegal_argument_exception", reason: "unknown setting [index.mode]" }, status: 400 }));
        }
        return res.end(JSON.stringify({ acknowledged: true, index }));
      }
      if (index && req.method === "GET") return res.end(JSON.stringify({ [index]: { aliases: {}, ...existing[index] } }));
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
        const lines = body
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const action = (lines[i] as { index: { _id?: string } }).index;
          const source = lines[i + 1] as Parameters<typeof derivedId>[0];
          items.push(
            failEntries && source.cloudflare.breakdown !== "total"
              ? { index: { status: 400, error: { type: "mapper_parsing_exception", reason: "injected" } } }
              : { index: { status: 201, result: "created", _id: action._id ?? derivedId(source) } },
          );
        }
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
    indexMode: "time_series" as const,
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
      const settings = JSON.parse(created[0]!.body).settings as Record<string, unknown>;
      assert.equal(settings["index.lifecycle.origination_date"], Date.parse(end));
      // A time-series index covering exactly the month its name stands for.
      assert.equal(settings["index.mode"], "time_series");
      assert.equal(settings["index.time_series.end_time"], end.replace("Z", ".000Z"));
      assert.equal(
        Date.parse(settings["index.time_series.start_time"] as string),
        Date.parse(name.endsWith("11") ? "2026-11-01T00:00:00Z" : "2026-12-01T00:00:00Z"),
      );
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
    // The ids a time-series index gave the entries when they were first written: the one still returned, and one not.
    const kept = derivedId(toSource([...flat.entries][0]!.fields) as Parameters<typeof derivedId>[0]);
    const gone = "tsid:country|FR|2026-11-20T08:00:00.000Z";
    storedEntries = [
      [kept, "cf-http_requests-2026.11"],
      [gone, "cf-http_requests-2026.11"],
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
      [{ delete: { _index: "cf-http_requests-2026.11", _id: gone } }],
    );
    assert.match(bulks[2]!, /"total"/);
  });
});

describe("index modes", () => {
  const config = {
    url: "",
    auth: { kind: "none" as const },
    caFile: undefined,
    tlsVerify: true,
    indexPrefix: "cf",
    indexPeriod: "month" as const,
    indexMode: "time_series" as const,
    retentionDays: 90,
  };
  const zone = { scope: "zone" as const, id: "z4", name: "z4.example" };
  const window = { from: Date.parse("2026-10-31T23:59:00Z"), to: Date.parse("2026-11-01T00:01:00Z") };
  /** The `_bulk` actions sent to one index. */
  const actionsFor = (index: string) =>
    seen
      .filter((x) => x.path.endsWith("/_bulk"))
      .flatMap((x) =>
        x.body
          .trim()
          .split("\n")
          .filter((_, i) => i % 2 === 0)
          .map((l) => (JSON.parse(l) as { index: { _index: string; _id?: string } }).index),
      )
      .filter((a) => a._index === index);

  async function writeTwoMonths(indexMode: "time_series" | "standard", warnings: string[] = []): Promise<void> {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, indexMode, url }, undefined, undefined, (m) => warnings.push(m));
    await sink.ensure([httpRequests]);
    await sink.write({ dataset: "http_requests", ownerId: zone.id, scope: zone.scope, window, ...httpRequests.flatten([], zone, window, { topN: 100 }) });
    await sink.close();
  }

  it("time-series indices get no _id from the exporter (Elasticsearch derives it); standard ones get the exporter's", async () => {
    await writeTwoMonths("time_series");
    assert.ok(actionsFor("cf-http_requests-2026.11").every((a) => a._id === undefined));
    await writeTwoMonths("standard");
    const created = seen.find((x) => x.method === "PUT" && x.path === "/cf-http_requests-2026.11")!;
    assert.equal((JSON.parse(created.body).settings as Record<string, unknown>)["index.mode"], undefined);
    assert.deepEqual(
      actionsFor("cf-http_requests-2026.11").map((a) => a._id),
      ["http_requests|z4|2026-11-01T00:00|total|"],
    );
  });

  it("an index made before (standard) keeps the exporter's ids and gets only the fields it lacks", async () => {
    existing = {
      "cf-http_requests-2026.10": {
        settings: { index: { number_of_shards: "1" } },
        mappings: { dynamic: "strict", properties: { "@timestamp": { type: "date" }, cloudflare: { properties: { requests: { type: "long" } } } } },
      },
    };
    try {
      await writeTwoMonths("time_series");
    } finally {
      existing = {};
    }
    assert.deepEqual(
      actionsFor("cf-http_requests-2026.10").map((a) => a._id),
      ["http_requests|z4|2026-10-31T23:59|total|"],
    );
    assert.ok(
      actionsFor("cf-http_requests-2026.11").every((a) => a._id === undefined),
      "the new month is a time-series index",
    );
    const update = seen.find((x) => x.method === "PUT" && x.path === "/cf-http_requests-2026.10/_mapping");
    assert.ok(update, "missing fields added");
    const properties = JSON.parse(update.body).properties as Record<string, { properties?: Record<string, unknown> }>;
    assert.equal("@timestamp" in properties, false, "a field the index has is left alone");
    assert.equal("requests" in properties.cloudflare!.properties!, false);
    assert.ok("key" in properties.cloudflare!.properties!, "a field it lacks is added");
    assert.equal(seen.filter((x) => x.method === "GET" && x.path === "/cf-http_requests-2026.10").length, 1, "read once");
  });

  it("a cluster that refuses time-series indices gets standard ones, with one warning", async () => {
    refuseTimeSeries = true;
    const warnings: string[] = [];
    try {
      await writeTwoMonths("time_series", warnings);
    } finally {
      refuseTimeSeries = false;
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /refused a time-series index .*unknown setting \[index.mode\].*standard indices instead.*ES_INDEX_MODE=standard/);
    for (const index of ["cf-http_requests-2026.10", "cf-http_requests-2026.11"]) {
      assert.ok(actionsFor(index).length > 0 && actionsFor(index).every((a) => a._id?.startsWith("http_requests|z4|")), `${index} gets our ids`);
    }
  });
});
