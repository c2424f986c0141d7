/**
 * The Cloudflare simulator over real HTTP: ground truth that adds up, Cloudflare's limits and messages, faults, late
 * data and the settings node.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { finalMinute, hourTotals, observedMinute, startSimulator, type Simulator, type SimulatorOptions, type TrafficData } from "../../simulator/index.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The simulator's clock in every test: a minute boundary. */
const NOW = Date.parse("2026-03-10T12:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const tag = (i: number): string => `${i.toString(16).padStart(2, "0")}${"c0ffee".repeat(5)}`;

const FULL_ROW = `dimensions { datetime } uniq { uniques } avg { bytes edgeRequestBytes sampleInterval }
  sum { requests bytes cachedRequests cachedBytes encryptedRequests encryptedBytes edgeRequestBytes pageViews threats
    countryMap { clientCountryName requests bytes threats } responseStatusMap { edgeResponseStatus requests }
    contentTypeMap { edgeResponseContentTypeName requests bytes } browserMap { uaBrowserFamily pageViews }
    clientSSLMap { clientSSLProtocol requests } clientHTTPVersionMap { clientHTTPProtocol requests }
    ipClassMap { ipType requests } threatPathingMap { threatPathingName requests } }`;

/** The exporter-style query: a window of one dataset for up to 10 zones. */
const query = (dataset: string, row = "dimensions { datetime } sum { requests }", extra = ""): string => `
  query ($zones: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
    viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
      ${dataset}(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit${extra}) { ${row} } } } }`;

interface Answer {
  status: number;
  text: string;
  json: any;
}

async function post(sim: Simulator, body: unknown, headers: Record<string, string> = { authorization: "Bearer t" }, url = sim.url): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

function window(dataset: string, zones: string[], from: number, to: number, limit = 10_000, row?: string, extra?: string) {
  return { query: query(dataset, row, extra), variables: { zones, from: iso(from), to: iso(to), limit } };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Every map of a row adds up to the row's totals, and the totals are coherent among themselves. */
function assertAddsUp(d: TrafficData, where: string): void {
  const s = d.sum;
  assert.ok(s.requests > 0, `${where}: a row has requests`);
  assert.equal(sum(s.responseStatusMap.map((e) => e.requests)), s.requests, `${where}: responseStatusMap`);
  assert.equal(sum(s.countryMap.map((e) => e.requests)), s.requests, `${where}: countryMap requests`);
  assert.equal(sum(s.countryMap.map((e) => e.bytes)), s.bytes, `${where}: countryMap bytes`);
  assert.equal(sum(s.countryMap.map((e) => e.threats)), s.threats, `${where}: countryMap threats`);
  assert.equal(sum(s.contentTypeMap.map((e) => e.requests)), s.requests, `${where}: contentTypeMap requests`);
  assert.equal(sum(s.contentTypeMap.map((e) => e.bytes)), s.bytes, `${where}: contentTypeMap bytes`);
  assert.equal(sum(s.browserMap.map((e) => e.pageViews)), s.pageViews, `${where}: browserMap`);
  assert.equal(sum(s.clientSSLMap.map((e) => e.requests)), s.requests, `${where}: clientSSLMap`);
  assert.equal(sum(s.clientHTTPVersionMap.map((e) => e.requests)), s.requests, `${where}: clientHTTPVersionMap`);
  assert.equal(sum(s.ipClassMap.map((e) => e.requests)), s.requests, `${where}: ipClassMap`);
  assert.equal(sum(s.threatPathingMap.map((e) => e.requests)), s.threats, `${where}: threatPathingMap`);
  const plain = s.clientSSLMap.find((e) => e.clientSSLProtocol === "none")?.requests ?? 0;
  assert.equal(s.encryptedRequests, s.requests - plain, `${where}: encrypted = not "none"`);
  assert.ok(s.cachedRequests <= s.requests && s.cachedBytes <= s.bytes, `${where}: cached within totals`);
  assert.ok(s.pageViews <= s.requests && s.encryptedBytes <= s.bytes, `${where}: page views, encrypted bytes`);
  assert.ok(d.uniq.uniques > 0 && d.uniq.uniques <= s.requests, `${where}: 0 < uniques <= requests`);
  for (const map of [s.countryMap, s.responseStatusMap, s.contentTypeMap, s.clientSSLMap, s.ipClassMap]) {
    assert.ok(
      map.every((e) => "requests" in e && e.requests > 0),
      `${where}: no empty map entries`,
    );
  }
}

/** A seeded PRNG, so a failure names a case that replays. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
}

describe("ground truth (simulator/traffic.ts)", () => {
  it("builds every minute from cells whose maps add up to the totals, with realistic sizes", () => {
    const random = prng(7);
    let empty = 0;
    const cases = 5000;
    for (let i = 0; i < cases; i++) {
      const zone = tag(Math.floor(random() * 200));
      const minute = NOW - Math.floor(random() * 60 * 24 * 30) * MINUTE;
      const d = finalMinute(zone, minute);
      if (!d) {
        empty++;
        continue;
      }
      const where = `${zone} ${iso(minute)}`;
      assertAddsUp(d, where);
      assert.ok(d.sum.requests >= 100 && d.sum.requests <= 10_000, `${where}: ${d.sum.requests} requests`);
      assert.ok(d.sum.countryMap.length >= 5 && d.sum.countryMap.length <= 25, `${where}: countries`);
      assert.ok(d.sum.responseStatusMap.length >= 3 && d.sum.responseStatusMap.length <= 8, `${where}: statuses`);
      assert.deepEqual(finalMinute(zone, minute), d, `${where}: deterministic`);
    }
    assert.ok(empty > cases * 0.003 && empty < cases * 0.03, `about 1 % of minutes without traffic, got ${empty}/${cases}`);
  });

  it("follows a daily shape: a zone's busiest hour has clearly more traffic than its quietest", () => {
    const day = Date.parse("2026-03-09T00:00:00Z");
    const hours = Array.from({ length: 24 }, (_, h) => hourTotals(tag(3), day + h * HOUR)!.sum.requests);
    assert.ok(Math.max(...hours) > 1.8 * Math.min(...hours), `hourly requests ${hours.join(", ")}`);
  });

  it("lets a young minute grow until it is lateMinutes old, still adding up", () => {
    const minute = NOW - MINUTE;
    const final = finalMinute(tag(1), minute)!;
    const young = observedMinute(tag(1), minute, NOW, 5)!; // 1 minute old: 1/5 of the way
    assertAddsUp(young, "young minute");
    // A fifth of every cell, floored: at most a fifth of the final minute, and not much less.
    assert.ok(
      young.sum.requests <= final.sum.requests / 5 && young.sum.requests > final.sum.requests / 6,
      `young ${young.sum.requests} vs final ${final.sum.requests}`,
    );
    const older = observedMinute(tag(1), minute, NOW + 2 * MINUTE, 5)!;
    assertAddsUp(older, "older minute");
    assert.ok(older.sum.requests > young.sum.requests && older.sum.requests < final.sum.requests);
    assert.deepEqual(observedMinute(tag(1), minute, minute + 5 * MINUTE, 5), final, "settled once lateMinutes old");
    assert.equal(observedMinute(tag(1), minute, minute + 59_999, 0), null, "a minute has no row before it ends");
  });

  it("sums an hour's 60 final minutes into hourTotals", () => {
    const hour = Date.parse("2026-03-09T17:00:00Z");
    const minutes = Array.from({ length: 60 }, (_, i) => finalMinute(tag(2), hour + i * MINUTE)).filter((d) => d !== null);
    const total = hourTotals(tag(2), hour)!;
    for (const key of [
      "requests",
      "bytes",
      "cachedRequests",
      "cachedBytes",
      "encryptedRequests",
      "encryptedBytes",
      "edgeRequestBytes",
      "pageViews",
      "threats",
    ] as const) {
      assert.equal(total.sum[key], sum(minutes.map((d) => d.sum[key])), key);
    }
    const us = (d: TrafficData): number => d.sum.countryMap.find((e) => e.clientCountryName === "US")?.requests ?? 0;
    assert.equal(us(total), sum(minutes.map(us)), "maps are merged by key");
    assertAddsUp(total, "hour");
  });
});

describe("simulator over HTTP", () => {
  let sim: Simulator;
  const options: SimulatorOptions = { now: () => NOW };
  before(async () => {
    sim = await startSimulator(options);
  });
  after(async () => {
    await sim.close();
  });

  it("serves the ground truth per minute, every row adding up, in time order", async () => {
    const from = NOW - 2 * HOUR;
    const a = await post(sim, window("httpRequests1mGroups", [tag(5)], from, from + HOUR, 10_000, FULL_ROW));
    assert.equal(a.status, 200);
    assert.equal(a.json.errors, null);
    const rows = a.json.data.viewer.zones[0].httpRequests1mGroups as (TrafficData & { dimensions: { datetime: string } })[];
    const expected = Array.from({ length: 60 }, (_, i) => from + i * MINUTE).filter((m) => finalMinute(tag(5), m) !== null);
    assert.deepEqual(
      rows.map((r) => r.dimensions.datetime),
      expected.map(iso),
    );
    for (const r of rows) {
      const { dimensions, ...data } = r;
      assertAddsUp(data, dimensions.datetime);
      assert.deepEqual(data, sim.groundTruth.minute(tag(5), Date.parse(dimensions.datetime)));
    }
  });

  it("answers 10 zones in one query, sorted by tag, and counts zones x nodes as queries", async () => {
    sim.reset();
    const zones = Array.from({ length: 10 }, (_, i) => tag(9 - i));
    const a = await post(sim, window("httpRequests1mGroups", zones, NOW - 10 * MINUTE, NOW));
    assert.equal(a.status, 200);
    assert.deepEqual(
      a.json.data.viewer.zones.map((z: { zoneTag: string }) => z.zoneTag),
      [...zones].sort(),
    );
    assert.ok(a.json.data.viewer.zones.every((z: { httpRequests1mGroups: unknown[] }) => z.httpRequests1mGroups.length >= 8));
    assert.equal(sim.stats.queries, 10);
    assert.equal(sim.stats.requests, 1);
    assert.deepEqual(sim.stats.statuses, { 200: 1 });
  });

  it("refuses 11 zones with Cloudflare's message and data null", async () => {
    const zones = Array.from({ length: 11 }, (_, i) => tag(i));
    const a = await post(sim, window("httpRequests1mGroups", zones, NOW - 10 * MINUTE, NOW));
    assert.equal(a.status, 200);
    assert.equal(a.json.data, null);
    assert.equal(a.json.errors[0].message, "too many zones requested");
    assert.deepEqual(a.json.errors[0].path, ["viewer", "zones"]);
  });

  it("enforces maxDuration, notOlderThan and maxPageSize with Cloudflare's messages and the node's path", async () => {
    const threeDays = 3 * 24 * HOUR;
    const ok = await post(sim, window("httpRequests1mGroups", [tag(1)], NOW - threeDays, NOW, 10_000, "dimensions { datetime }"));
    assert.equal(ok.json.errors, null, "exactly maxDuration is allowed");
    const wide = await post(sim, window("httpRequests1mGroups", [tag(1)], NOW - threeDays - MINUTE, NOW));
    assert.equal(wide.json.data, null);
    assert.match(wide.json.errors[0].message, /^query time range is too large\b.*259200s/);
    assert.deepEqual(wide.json.errors[0].path, ["viewer", "zones", "0", "httpRequests1mGroups"]);
    const old = await post(sim, window("httpRequests1mGroups", [tag(1)], NOW - 7 * 24 * HOUR - MINUTE, NOW - 7 * 24 * HOUR + HOUR));
    assert.equal(old.json.errors[0].message, "cannot request data older than 604800s");
    for (const limit of [10_001, 0]) {
      const bad = await post(sim, window("httpRequests1mGroups", [tag(1)], NOW - HOUR, NOW, limit));
      assert.equal(bad.json.data, null);
      assert.equal(bad.json.errors[0].message, "limit must be positive number and not greater than 10000");
    }
    const hourly = await post(sim, window("httpRequests1hGroups", [tag(1)], NOW - 30 * 24 * HOUR - HOUR, NOW));
    assert.match(hourly.json.errors[0].message, /^query time range is too large\b.*2592000s/);
  });

  it("cuts the rows at limit, exactly like a full page", async () => {
    const from = NOW - 3 * HOUR;
    const all = await post(sim, window("httpRequests1mGroups", [tag(4)], from, from + HOUR));
    const rows = all.json.data.viewer.zones[0].httpRequests1mGroups;
    const page = await post(sim, window("httpRequests1mGroups", [tag(4)], from, from + HOUR, 25));
    assert.equal(page.json.data.viewer.zones[0].httpRequests1mGroups.length, 25);
    assert.deepEqual(page.json.data.viewer.zones[0].httpRequests1mGroups, rows.slice(0, 25));
    const top = await post(sim, window("httpRequests1mGroups", [tag(4)], from, from + HOUR, 3, undefined, ", orderBy: [sum_requests_DESC]"));
    const largest = [...rows].sort((a, b) => b.sum.requests - a.sum.requests).slice(0, 3);
    assert.deepEqual(
      top.json.data.viewer.zones[0].httpRequests1mGroups.map((r: { sum: { requests: number } }) => r.sum.requests),
      largest.map((r: { sum: { requests: number } }) => r.sum.requests),
    );
  });

  it("groups by the selected dimensions: datetimeHour rows are hour totals, no dimension gives one total row", async () => {
    const from = NOW - 3 * HOUR;
    const byHour = await post(sim, window("httpRequests1mGroups", [tag(6)], from, NOW, 100, "dimensions { datetimeHour } sum { requests }"));
    const hours = byHour.json.data.viewer.zones[0].httpRequests1mGroups;
    assert.deepEqual(
      hours.map((r: { dimensions: { datetimeHour: string } }) => r.dimensions.datetimeHour),
      [from, from + HOUR, from + 2 * HOUR].map(iso),
    );
    assert.deepEqual(
      hours.map((r: { sum: { requests: number } }) => r.sum.requests),
      [0, 1, 2].map((h) => hourTotals(tag(6), from + h * HOUR)!.sum.requests),
    );
    const total = await post(sim, window("httpRequests1mGroups", [tag(6)], from, NOW, 100, "sum { requests }"));
    assert.deepEqual(total.json.data.viewer.zones[0].httpRequests1mGroups, [
      { sum: { requests: sum(hours.map((r: { sum: { requests: number } }) => r.sum.requests)) } },
    ]);
  });

  it("answers httpRequests1hGroups with the hour totals", async () => {
    const from = NOW - 5 * HOUR;
    const a = await post(sim, window("httpRequests1hGroups", [tag(8)], from, NOW, 100, FULL_ROW));
    const rows = a.json.data.viewer.zones[0].httpRequests1hGroups as (TrafficData & { dimensions: { datetime: string } })[];
    assert.equal(rows.length, 5);
    for (const { dimensions, ...data } of rows) assert.deepEqual(data, hourTotals(tag(8), Date.parse(dimensions.datetime)));
  });

  it("has no rows for minutes that have not ended at the simulator's now", async () => {
    const a = await post(sim, window("httpRequests1mGroups", [tag(2)], NOW - 5 * MINUTE, NOW + 5 * MINUTE));
    const times = a.json.data.viewer.zones[0].httpRequests1mGroups.map((r: { dimensions: { datetime: string } }) => Date.parse(r.dimensions.datetime));
    assert.ok(times.length > 0 && times.every((t: number) => t + MINUTE <= NOW), times.map(iso).join(", "));
  });

  it("accepts variables declared with GraphQL's built-in scalars, a trailing slash and the global key", async () => {
    const body = {
      query: `query ($z: [String!], $l: Int!, $t: Time!) { viewer { zones(filter: { zoneTag_in: $z }) {
        httpRequests1mGroups(limit: $l, filter: { datetime: $t }) { sum { requests } } } } }`,
      variables: { z: [tag(3)], l: 5, t: iso(NOW - 10 * MINUTE) },
    };
    const a = await post(sim, body, { "x-auth-email": "a@example.com", "x-auth-key": "k" }, `${sim.url}/`);
    assert.equal(a.status, 200);
    assert.equal(a.json.data.viewer.zones[0].httpRequests1mGroups[0].sum.requests, finalMinute(tag(3), NOW - 10 * MINUTE)!.sum.requests);
    const elsewhere = await post(sim, body, { authorization: "Bearer t" }, sim.url.replace("/graphql", "/graphiql"));
    assert.equal(elsewhere.status, 404);
  });

  it("reports unknown fields the way Cloudflare does, as HTTP 200 with data null", async () => {
    const a = await post(sim, { query: `{ viewer { zones(filter: { zoneTag: "${tag(1)}" }) { nope } } }` });
    assert.equal(a.status, 200);
    assert.deepEqual(Object.keys(a.json), ["data", "errors"]);
    assert.equal(a.json.data, null);
    assert.equal(a.json.errors[0].message, 'unknown field "nope"');
    assert.equal(a.json.errors[0].path, null);
    assert.ok(!Number.isNaN(Date.parse(a.json.errors[0].extensions.timestamp)));
    const syntax = await post(sim, { query: "{ viewer { zones( } }" });
    assert.equal(syntax.json.errors[0].message, "query contains error, please review it and retry");
  });

  it("answers the settings node from the options, Enterprise by default", async () => {
    const q = `{ viewer { zones(filter: { zoneTag: "${tag(1)}" }) { settings {
      httpRequests1mGroups { enabled maxDuration maxNumberOfFields maxPageSize notOlderThan availableFields }
      httpRequests1hGroups { enabled maxDuration maxPageSize notOlderThan } } } } }`;
    const a = await post(sim, { query: q });
    const s = a.json.data.viewer.zones[0].settings;
    const { availableFields, ...limits } = s.httpRequests1mGroups;
    assert.deepEqual(limits, { enabled: true, maxDuration: 259_200, maxNumberOfFields: 30, maxPageSize: 10_000, notOlderThan: 604_800 });
    assert.ok(availableFields.includes("sum_requests") && availableFields.includes("sum_countryMap_clientCountryName"));
    assert.deepEqual(s.httpRequests1hGroups, { enabled: true, maxDuration: 2_592_000, maxPageSize: 10_000, notOlderThan: 7_776_000 });
    sim.options.settings.httpRequests1mGroups = { ...sim.options.settings.httpRequests1mGroups, maxPageSize: 500 };
    try {
      const b = await post(sim, { query: q });
      assert.equal(b.json.data.viewer.zones[0].settings.httpRequests1mGroups.maxPageSize, 500);
      const c = await post(sim, window("httpRequests1mGroups", [tag(1)], NOW - HOUR, NOW, 501));
      assert.equal(c.json.errors[0].message, "limit must be positive number and not greater than 500");
    } finally {
      sim.options.settings.httpRequests1mGroups = { ...sim.options.settings.httpRequests1mGroups, maxPageSize: 10_000 };
    }
  });

  it("refuses a denied dataset for that zone with the authz error, failing the whole query", async () => {
    sim.options.denied = { [tag(2)]: ["httpRequests1mGroups"] };
    try {
      const a = await post(sim, window("httpRequests1mGroups", [tag(2), tag(1)], NOW - HOUR, NOW));
      assert.equal(a.json.data, null);
      assert.equal(a.json.errors.length, 1);
      assert.deepEqual(a.json.errors[0], {
        message: `zone '${tag(2)}' does not have access to the path`,
        path: ["viewer", "zones", "1", "httpRequests1mGroups"],
        extensions: { code: "authz", timestamp: a.json.errors[0].extensions.timestamp },
      });
      const settings = await post(sim, {
        query: `{ viewer { zones(filter: { zoneTag: "${tag(2)}" }) { settings { httpRequests1mGroups { enabled availableFields } } } } }`,
      });
      assert.deepEqual(settings.json.data.viewer.zones[0].settings.httpRequests1mGroups, { enabled: false, availableFields: [] });
      const hourly = await post(sim, window("httpRequests1hGroups", [tag(2)], NOW - 2 * HOUR, NOW));
      assert.equal(hourly.json.errors, null, "the other dataset is still served");
    } finally {
      sim.options.denied = {};
    }
  });

  it("checks credentials: a token list, 200 + Unauthorized by default, 401 when documented", async () => {
    const body = window("httpRequests1mGroups", [tag(1)], NOW - HOUR, NOW);
    const none = await post(sim, body, {});
    assert.equal(none.status, 200);
    assert.deepEqual(
      none.json.errors.map((e: { message: string }) => e.message),
      ["Unauthorized"],
    );
    assert.equal(none.json.data, null);
    sim.options.tokens = ["right"];
    sim.options.statusCodes = "documented";
    try {
      assert.equal((await post(sim, body, { authorization: "Bearer wrong" })).status, 401);
      assert.equal((await post(sim, body, { "x-auth-email": "a@example.com", "x-auth-key": "k" })).status, 401);
      const right = await post(sim, body, { authorization: "Bearer right" });
      assert.equal(right.status, 200);
      assert.equal(right.json.errors, null);
      const invalid = await post(sim, { query: `{ viewer { zones(filter: { zoneTag: "x" }) { nope } } }` }, { authorization: "Bearer right" });
      assert.equal(invalid.status, 400, "documented status of a parse error");
    } finally {
      sim.options.tokens = undefined;
      sim.options.statusCodes = "observed";
    }
  });

  it("logs every request with its query, variables and status", async () => {
    sim.reset();
    const body = window("httpRequests1mGroups", [tag(1)], NOW - HOUR, NOW);
    await post(sim, body);
    await post(sim, body, {});
    assert.deepEqual(
      sim.stats.log.map((e) => [e.query, e.variables, e.status]),
      [
        [body.query, body.variables, 200],
        [body.query, body.variables, 200],
      ],
    );
    assert.equal(sim.stats.requests, 2);
    assert.equal(sim.stats.queries, 1, "the refused request is not executed, so not counted");
  });
});

describe("simulator faults and budget", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW, seed: 42 });
  });
  after(async () => {
    await sim.close();
  });
  const body = window("httpRequests1mGroups", [tag(1)], NOW - HOUR, NOW);

  it("injects each fault kind as Cloudflare would answer it", async () => {
    sim.options.failureRate = 1;
    try {
      sim.options.failureKinds = ["budget200"];
      const b200 = await post(sim, body);
      assert.equal(b200.status, 200);
      assert.equal(b200.json.data, null);
      assert.deepEqual(
        b200.json.errors.map((e: { message: string; path: unknown; extensions: { code: string } }) => [e.message, e.path, e.extensions.code]),
        [["rate limiter budget depleted, try again after 5 minutes", null, "budget"]],
      );
      sim.options.failureKinds = ["http429"];
      const b429 = await post(sim, body);
      assert.equal(b429.status, 429);
      assert.equal(b429.json.errors[0].extensions.code, "budget");
      sim.options.failureKinds = ["http503"];
      const busy = await post(sim, body);
      assert.equal(busy.status, 503);
      assert.equal(busy.json.errors[0].message, "too many queries in progress, please try again later");
      sim.options.failureKinds = ["http500"];
      assert.equal((await post(sim, body)).status, 500);
      sim.options.failureKinds = ["truncated"];
      const cut = await post(sim, body);
      assert.equal(cut.status, 200);
      assert.ok(cut.text.startsWith('{"data":{"viewer"'), "a real answer, cut");
      assert.throws(() => JSON.parse(cut.text), SyntaxError);
      assert.deepEqual(sim.stats.faults, { budget200: 1, http429: 1, http503: 1, http500: 1, truncated: 1 });
      assert.deepEqual(
        sim.stats.log.map((e) => [e.query, e.status]),
        [200, 429, 503, 500, 200].map((s) => [body.query, s]),
      );
    } finally {
      sim.options.failureRate = 0;
    }
    assert.equal((await post(sim, body)).json.errors, null, "faults switch off at run time");
  });

  it("fails a seeded share of requests, the same ones for the same seed", async () => {
    const faulty: SimulatorOptions = { now: () => NOW, seed: 9, failureRate: 0.3, failureKinds: ["http503"] };
    const [one, two] = [await startSimulator(faulty), await startSimulator(faulty)];
    try {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 40; i++) {
        a.push((await post(one, body)).status);
        b.push((await post(two, body)).status);
      }
      assert.deepEqual(a, b);
      const failed = a.filter((s) => s === 503).length;
      assert.ok(failed >= 4 && failed <= 24, `${failed} of 40 failed`);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("delays answers by latencyMs", async () => {
    sim.options.latencyMs = 150;
    try {
      const t0 = performance.now();
      await post(sim, body);
      assert.ok(performance.now() - t0 >= 140);
    } finally {
      sim.options.latencyMs = 0;
    }
  });

  it("enforces the query budget over a sliding 5 minutes, as HTTP 200 or 429", async () => {
    sim.reset();
    sim.options.budgetPerFiveMinutes = 25;
    try {
      const ten = window(
        "httpRequests1mGroups",
        Array.from({ length: 10 }, (_, i) => tag(i)),
        NOW - 5 * MINUTE,
        NOW,
      );
      assert.equal((await post(sim, ten)).json.errors, null);
      const budget = await post(sim, { query: `{ cost viewer { budget zones(filter: { zoneTag: "${tag(1)}" }) { zoneTag } } }` });
      assert.deepEqual(budget.json.data, { cost: 0, viewer: { budget: 15, zones: [{ zoneTag: tag(1) }] } });
      assert.equal((await post(sim, ten)).json.errors, null);
      const over = await post(sim, ten);
      assert.equal(over.status, 200);
      assert.equal(over.json.errors[0].message, "rate limiter budget depleted, try again after 5 minutes");
      assert.equal(over.json.errors[0].extensions.code, "budget");
      sim.options.statusCodes = "documented";
      assert.equal((await post(sim, ten)).status, 429);
      assert.equal(sim.stats.budgetRejections, 2);
      assert.equal(sim.stats.queries, 20);
      sim.reset();
      assert.equal((await post(sim, ten)).json.errors, null, "reset empties the window");
    } finally {
      sim.options.budgetPerFiveMinutes = 300;
      sim.options.statusCodes = "observed";
    }
  });
});

describe("simulator late data", () => {
  let clock = NOW;
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => clock, lateMinutes: 5 });
  });
  after(async () => {
    await sim.close();
  });

  it("serves a young minute smaller than final, adding up, and final once lateMinutes old", async () => {
    const minute = NOW - MINUTE;
    const read = async (): Promise<TrafficData> => {
      const a = await post(sim, window("httpRequests1mGroups", [tag(7)], minute, minute + MINUTE, 10, FULL_ROW));
      const { dimensions, ...data } = a.json.data.viewer.zones[0].httpRequests1mGroups[0];
      assert.equal(dimensions.datetime, iso(minute));
      return data as TrafficData;
    };
    const final = sim.groundTruth.minute(tag(7), minute)!;
    clock = NOW;
    const young = await read();
    assertAddsUp(young, "young");
    assert.ok(young.sum.requests < final.sum.requests, `${young.sum.requests} < ${final.sum.requests}`);
    assert.deepEqual(young, sim.groundTruth.observed(tag(7), minute));
    clock = minute + 5 * MINUTE;
    assert.deepEqual(await read(), final);
  });
});
