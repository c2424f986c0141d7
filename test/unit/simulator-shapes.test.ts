/**
 * The simulator's switchable shapes of real answers (simulator/shapes.ts): repeated map names and partial maps in the
 * rollups, repeated rows in the Adaptive nodes, integers above 2^53, padded bodies. Each switch is tested on and off;
 * ground truth must follow what is served.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dayTotals, finalMinute, hourTotals, startSimulator, type AdaptiveName, type Simulator, type TrafficData } from "../../simulator/index.js";
import { nodeModel } from "../../simulator/model.js";
import { simulatorSchema } from "../../simulator/schema.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse("2026-03-10T12:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const tag = (i: number): string => `${i.toString(16).padStart(2, "0")}${"5a5e".repeat(7)}`;
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const MAPS = `countryMap { clientCountryName requests bytes threats } responseStatusMap { edgeResponseStatus requests }
  contentTypeMap { edgeResponseContentTypeName requests bytes } browserMap { uaBrowserFamily pageViews }
  clientSSLMap { clientSSLProtocol requests } clientHTTPVersionMap { clientHTTPProtocol requests }
  ipClassMap { ipType requests } threatPathingMap { threatPathingName requests }`;
const FULL = (time: string): string => `dimensions { ${time} } uniq { uniques } avg { bytes edgeRequestBytes sampleInterval }
  sum { requests bytes cachedRequests cachedBytes encryptedRequests encryptedBytes edgeRequestBytes pageViews threats ${MAPS} }`;

/** Each map: its key field and its figures, the first being the one that adds up to `total` of the row's sum. */
const MAP_SPECS = {
  countryMap: { key: "clientCountryName", figures: { requests: "requests", bytes: "bytes", threats: "threats" } },
  responseStatusMap: { key: "edgeResponseStatus", figures: { requests: "requests" } },
  contentTypeMap: { key: "edgeResponseContentTypeName", figures: { requests: "requests", bytes: "bytes" } },
  browserMap: { key: "uaBrowserFamily", figures: { pageViews: "pageViews" } },
  clientSSLMap: { key: "clientSSLProtocol", figures: { requests: "requests" } },
  clientHTTPVersionMap: { key: "clientHTTPProtocol", figures: { requests: "requests" } },
  ipClassMap: { key: "ipType", figures: { requests: "requests" } },
  threatPathingMap: { key: "threatPathingName", figures: { requests: "threats" } },
} as const;
type MapName = keyof typeof MAP_SPECS;
const MAP_NAMES = Object.keys(MAP_SPECS) as MapName[];
type Entry = Record<string, string | number>;
const entriesOf = (d: TrafficData, map: MapName): Entry[] => (d.sum as unknown as Record<MapName, Entry[]>)[map];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function post(sim: Simulator, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(sim.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer t" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** A rollup window for some zones, in the exporter's style. */
function rollupQuery(node: string, selection: string, time: "datetime" | "date" = "datetime"): string {
  const type = time === "date" ? "Date" : "Time";
  return `query ($zones: [string!], $from: ${type}!, $to: ${type}!) { viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
    ${node}(filter: { ${time}_geq: $from, ${time}_lt: $to }, limit: 10000) { ${selection} } } } }`;
}

/** Rows of a rollup, per zone in tag order, split into the unit start and the data (what ground truth returns). */
async function rollupRows(
  sim: Simulator,
  node: string,
  zones: readonly string[],
  from: number,
  to: number,
  time: "datetime" | "date" = "datetime",
): Promise<{ zone: string; start: number; data: TrafficData }[]> {
  const dates = time === "date";
  const a = await post(sim, rollupQuery(node, FULL(time), time), {
    zones,
    from: dates ? iso(from).slice(0, 10) : iso(from),
    to: dates ? iso(to).slice(0, 10) : iso(to),
  });
  assert.equal(a.json.errors, null, JSON.stringify(a.json.errors));
  return a.json.data.viewer.zones.flatMap((z: any) =>
    z[node].map(({ dimensions, ...data }: any) => ({ zone: z.zoneTag, start: Date.parse(dimensions[time]), data: data as TrafficData })),
  );
}

/** Names listed more than once in a map. */
function repeatedNames(d: TrafficData, map: MapName): string[] {
  const seen = new Map<string, number>();
  for (const e of entriesOf(d, map)) seen.set(String(e[MAP_SPECS[map].key]), (seen.get(String(e[MAP_SPECS[map].key])) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** The map with entries of one name merged (figures added), sorted by name: what an exporter must store. */
function merged(d: TrafficData, map: MapName): Entry[] {
  const { key, figures } = MAP_SPECS[map];
  const byKey = new Map<string | number, Entry>();
  for (const e of entriesOf(d, map)) {
    const m = byKey.get(e[key]!);
    if (!m) byKey.set(e[key]!, { ...e });
    else for (const f of Object.keys(figures)) m[f] = (m[f] as number) + (e[f] as number);
  }
  return [...byKey.values()].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
}

/** How much of each of its totals a map's entries cover. */
function coverage(d: TrafficData, map: MapName): { figure: string; entries: number; total: number }[] {
  return Object.entries(MAP_SPECS[map].figures).map(([figure, total]) => ({
    figure,
    entries: sum(entriesOf(d, map).map((e) => e[figure] as number)),
    total: (d.sum as unknown as Record<string, number>)[total]!,
  }));
}

/** The row without its maps: totals, uniq, avg. */
function withoutMaps(d: TrafficData): unknown {
  const s: Record<string, unknown> = { ...d.sum };
  for (const m of MAP_NAMES) delete s[m];
  return { ...d, sum: s };
}

describe("simulator shapes: rollup maps", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
  });
  const zones = [tag(1), tag(2)];
  const from = NOW - 2 * HOUR;
  const to = from + 30 * MINUTE;

  it("repeatedMapNames off: every name once, served rows and ground truth are the plain model", async () => {
    assert.equal(sim.options.repeatedMapNames, false, "off by default");
    const rows = await rollupRows(sim, "httpRequests1mGroups", zones, from, to);
    assert.ok(rows.length >= 50);
    for (const { zone, start, data } of rows) {
      for (const map of MAP_NAMES) assert.deepEqual(repeatedNames(data, map), [], `${map} ${iso(start)}`);
      assert.deepEqual(data, finalMinute(zone, start));
      assert.deepEqual(sim.groundTruth.minute(zone, start), finalMinute(zone, start));
    }
  });

  it("repeatedMapNames: names repeat as slices that add up, served rows equal ground truth, merged they are the model", async () => {
    sim.options.repeatedMapNames = true;
    try {
      const rows = await rollupRows(sim, "httpRequests1mGroups", zones, from, to);
      const repeats: Record<string, number> = {};
      for (const { zone, start, data } of rows) {
        const where = `${zone} ${iso(start)}`;
        const model = finalMinute(zone, start)!;
        assert.deepEqual(sim.groundTruth.minute(zone, start), data, `${where}: ground truth is what is served`);
        assert.deepEqual(sim.groundTruth.observed(zone, start), data, `${where}: observed too (settled minute)`);
        assert.deepEqual(withoutMaps(data), withoutMaps(model), `${where}: totals, uniq, avg unchanged`);
        for (const map of MAP_NAMES) {
          for (const c of coverage(data, map)) assert.equal(c.entries, c.total, `${where}: ${map}.${c.figure} adds up`);
          assert.deepEqual(merged(data, map), merged(model, map), `${where}: ${map} merged by name is the model's`);
          const main = Object.keys(MAP_SPECS[map].figures)[0]!;
          assert.ok(
            entriesOf(data, map).every((e) => (e[main] as number) > 0),
            `${where}: ${map} has no empty slice`,
          );
          if (repeatedNames(data, map).length > 0) repeats[map] = (repeats[map] ?? 0) + 1;
        }
        const pair = repeatedNames(data, "contentTypeMap")[0];
        if (pair !== undefined) {
          const figures = entriesOf(data, "contentTypeMap").filter((e) => e["edgeResponseContentTypeName"] === pair);
          assert.equal(figures.length, 2, `${where}: a name repeats once`);
        }
      }
      assert.ok((repeats["contentTypeMap"] ?? 0) >= rows.length * 0.9, `contentTypeMap repeats in ${repeats["contentTypeMap"]} of ${rows.length} rows`);
      assert.ok((repeats["responseStatusMap"] ?? 0) > 0 && (repeats["countryMap"] ?? 0) > 0, JSON.stringify(repeats));
      for (const map of ["browserMap", "clientSSLMap", "clientHTTPVersionMap", "ipClassMap", "threatPathingMap"] as const) {
        assert.equal(repeats[map], undefined, `${map} keeps one entry per name`);
      }
      const again = await rollupRows(sim, "httpRequests1mGroups", zones, from, to);
      assert.deepEqual(again, rows, "the same answer every time");
    } finally {
      sim.options.repeatedMapNames = false;
    }
  });

  it("repeatedMapNames: hour and day rows repeat names too, and a 1m query grouped by hour gets the hour row", async () => {
    sim.options.repeatedMapNames = true;
    try {
      const hours = await rollupRows(sim, "httpRequests1hGroups", zones, NOW - 6 * HOUR, NOW);
      assert.equal(hours.length, 12);
      for (const { zone, start, data } of hours) {
        assert.deepEqual(sim.groundTruth.hour(zone, start), data);
        assert.ok(repeatedNames(data, "contentTypeMap").length > 0, `hour ${iso(start)} repeats a content type`);
        for (const map of MAP_NAMES) assert.deepEqual(merged(data, map), merged(hourTotals(zone, start)!, map));
      }
      const byHour = await post(sim, rollupQuery("httpRequests1mGroups", FULL("datetimeHour")), {
        zones: [tag(1)],
        from: iso(NOW - 2 * HOUR),
        to: iso(NOW - HOUR),
      });
      const { dimensions, ...hourRow } = byHour.json.data.viewer.zones[0].httpRequests1mGroups[0];
      assert.equal(dimensions.datetimeHour, iso(NOW - 2 * HOUR));
      assert.deepEqual(hourRow, sim.groundTruth.hour(tag(1), NOW - 2 * HOUR));
      const dayStart = Date.parse("2026-03-07T00:00:00Z");
      const days = await rollupRows(sim, "httpRequests1dGroups", [tag(3)], dayStart, dayStart + 2 * DAY, "date");
      assert.equal(days.length, 2);
      for (const { zone, start, data } of days) {
        assert.deepEqual(sim.groundTruth.day(zone, start), data);
        assert.ok(repeatedNames(data, "contentTypeMap").length > 0);
        for (const map of MAP_NAMES) assert.deepEqual(merged(data, map), merged(dayTotals(zone, start)!, map));
      }
    } finally {
      sim.options.repeatedMapNames = false;
    }
    assert.deepEqual(sim.groundTruth.hour(tag(1), NOW - HOUR), hourTotals(tag(1), NOW - HOUR), "off again: the model");
  });

  it("partialMaps: a map covers about its share of the total, never more, the totals and the other maps stay", async () => {
    sim.options.partialMaps = { countryMap: 0.95, browserMap: 0.5 };
    try {
      const rows = await rollupRows(sim, "httpRequests1mGroups", zones, from, to);
      for (const { zone, start, data } of rows) {
        const where = `${zone} ${iso(start)}`;
        const model = finalMinute(zone, start)!;
        assert.deepEqual(sim.groundTruth.minute(zone, start), data, `${where}: ground truth is what is served`);
        assert.deepEqual(withoutMaps(data), withoutMaps(model), `${where}: totals unchanged`);
        const [requests, bytes, threats] = coverage(data, "countryMap");
        assert.equal(requests!.entries, Math.floor(0.95 * requests!.total), `${where}: countryMap covers 95 % of requests`);
        assert.ok(requests!.entries < requests!.total);
        assert.ok(bytes!.entries <= bytes!.total && threats!.entries <= threats!.total, `${where}: no figure above its total`);
        assert.ok(bytes!.entries >= 0.8 * bytes!.total, `${where}: bytes shrink with requests (${bytes!.entries} of ${bytes!.total})`);
        const [views] = coverage(data, "browserMap");
        assert.equal(views!.entries, Math.floor(0.5 * views!.total), `${where}: browserMap covers half the page views`);
        for (const map of MAP_NAMES.filter((m) => m !== "countryMap" && m !== "browserMap")) {
          assert.deepEqual(entriesOf(data, map), entriesOf(model, map), `${where}: ${map} is whole`);
        }
        // The model's entries, largest first, each kept whole or cut, none invented.
        const original = new Map(entriesOf(model, "countryMap").map((e) => [e["clientCountryName"], e]));
        for (const e of entriesOf(data, "countryMap")) {
          const o = original.get(e["clientCountryName"])!;
          assert.ok(o && (e["requests"] as number) > 0 && (e["requests"] as number) <= (o["requests"] as number), where);
        }
      }
      sim.options.partialMaps = { countryMap: 0, contentTypeMap: 1 };
      const [first] = await rollupRows(sim, "httpRequests1mGroups", [tag(1)], from, from + MINUTE);
      assert.deepEqual(entriesOf(first!.data, "countryMap"), [], "share 0: no entry");
      assert.deepEqual(first!.data, { ...finalMinute(tag(1), from)!, sum: { ...finalMinute(tag(1), from)!.sum, countryMap: [] } }, "share 1: the map is whole");
      // Together with repeated names: still the share, still adding up per name.
      sim.options.partialMaps = { contentTypeMap: 0.9 };
      sim.options.repeatedMapNames = true;
      for (const { zone, start, data } of await rollupRows(sim, "httpRequests1mGroups", zones, from, to)) {
        assert.deepEqual(sim.groundTruth.minute(zone, start), data);
        const [requests] = coverage(data, "contentTypeMap");
        assert.equal(requests!.entries, Math.floor(0.9 * requests!.total));
      }
    } finally {
      sim.options.partialMaps = {};
      sim.options.repeatedMapNames = false;
    }
    const [plain] = await rollupRows(sim, "httpRequests1mGroups", [tag(1)], from, from + MINUTE);
    assert.deepEqual(plain!.data, finalMinute(tag(1), from), "off again: whole maps");
  });
});

/** Every integer literal of a JSON text that a JavaScript number cannot hold exactly. */
const unsafeIntegers = (text: string): string[] =>
  (text.match(/(?<![\d."])-?\d{16,}(?![\d."eE])/g) ?? []).filter((n) => !Number.isSafeInteger(Number(n)) || BigInt(n) !== BigInt(Number(n)));

describe("simulator shapes: integers above 2^53 and padded bodies", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
  });
  const zones = [tag(4), tag(5)];
  const variables = { zones, from: iso(NOW - HOUR), to: iso(NOW) };

  it("hugeNumbers: the first row of every rollup answer carries 9007199254740993 as a literal; the rest is as before", async () => {
    const plain = await post(sim, rollupQuery("httpRequests1mGroups", FULL("datetime")), variables);
    assert.deepEqual(unsafeIntegers(plain.text), [], "off: every integer is safe");
    sim.options.hugeNumbers = true;
    try {
      const a = await post(sim, rollupQuery("httpRequests1mGroups", FULL("datetime")), variables);
      assert.deepEqual(unsafeIntegers(a.text), ["9007199254740993", "9007199254740993"], "one per zone");
      assert.equal(a.text.split('"bytes":9007199254740993').length, 3, "as the first rows' sum.bytes");
      const expected = structuredClone(plain.json);
      for (const z of expected.data.viewer.zones) z.httpRequests1mGroups[0].sum.bytes = 2 ** 53; // what JSON.parse makes of it
      assert.deepEqual(a.json, expected);
      const hourly = await post(sim, rollupQuery("httpRequests1hGroups", "dimensions { datetime } sum { requests }"), {
        zones: [tag(4)],
        from: iso(NOW - 3 * HOUR),
        to: iso(NOW),
      });
      assert.deepEqual(unsafeIntegers(hourly.text), ["9007199254740993"], "without sum.bytes, another integer");
      assert.equal(hourly.json.data.viewer.zones[0].httpRequests1hGroups[0].sum.requests, 2 ** 53);
      const daily = await post(sim, rollupQuery("httpRequests1dGroups", "dimensions { date } b: sum { x: bytes }", "date"), {
        zones: [tag(4)],
        from: iso(NOW - 2 * DAY).slice(0, 10),
        to: iso(NOW).slice(0, 10),
      });
      assert.match(daily.text, /"x":9007199254740993/, "under aliases too");
      const adaptive = await post(
        sim,
        `{ viewer { zones(filter: { zoneTag: "${tag(4)}" }) { httpRequestsAdaptiveGroups(
        filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 100) { count sum { edgeResponseBytes } } } } }`,
      );
      assert.equal(adaptive.json.errors, null);
      assert.deepEqual(unsafeIntegers(adaptive.text), [], "Adaptive answers are not touched");
    } finally {
      sim.options.hugeNumbers = false;
    }
  });

  it("padBodyToBytes: a successful answer grows to the size, valid JSON, streamed without a content-length", async () => {
    const plain = await post(sim, rollupQuery("httpRequests1mGroups", FULL("datetime")), variables);
    assert.equal(plain.headers.get("content-length"), String(Buffer.byteLength(plain.text)), "off: as before");
    sim.options.padBodyToBytes = 3 * 1024 * 1024 + 7;
    try {
      const a = await post(sim, rollupQuery("httpRequests1mGroups", FULL("datetime")), variables);
      assert.equal(a.status, 200);
      assert.ok(Buffer.byteLength(a.text) >= 3 * 1024 * 1024 + 7 && Buffer.byteLength(a.text) < 3 * 1024 * 1024 + 64 * 1024);
      assert.equal(a.headers.get("content-length"), null);
      assert.equal(a.headers.get("transfer-encoding"), "chunked");
      assert.deepEqual(a.json, plain.json);
      assert.match(a.text, / {1000}}$/, "whitespace before the final brace");
      const error = await post(sim, `{ viewer { zones(filter: { zoneTag: "${tag(4)}" }) { nope } } }`);
      assert.ok(error.text.length < 1000, "errors are not padded");
    } finally {
      sim.options.padBodyToBytes = 0;
    }
  });

  it("padBodyToBytes: a client that stops reading costs the simulator a few chunks, not the whole body", async () => {
    sim.options.padBodyToBytes = 512 * 1024 * 1024;
    const rss = process.memoryUsage().rss;
    try {
      const abort = new AbortController();
      const res = await fetch(sim.url, {
        method: "POST",
        signal: abort.signal,
        headers: { "content-type": "application/json", authorization: "Bearer t" },
        body: JSON.stringify({ query: rollupQuery("httpRequests1mGroups", FULL("datetime")), variables }),
      });
      let received = 0;
      const reader = res.body!.getReader();
      while (received < 4 * 1024 * 1024) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value.length;
      }
      abort.abort();
      await reader.cancel().catch(() => undefined);
      assert.ok(received >= 4 * 1024 * 1024, "the padding streams in");
      const grown = process.memoryUsage().rss - rss;
      assert.ok(grown < 256 * 1024 * 1024, `the simulator did not build the body in memory (rss grew ${grown} bytes)`);
    } finally {
      sim.options.padBodyToBytes = 0;
    }
    const next = await post(sim, rollupQuery("httpRequests1mGroups", "sum { requests }"), variables);
    assert.equal(next.json.errors, null, "the simulator still answers");
  });
});

describe("simulator shapes: repeated group rows", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
  });

  /** Every aggregate the node has, plus the dimensions. */
  const selection = (node: AdaptiveName, groupBy: readonly string[]): string => {
    const m = nodeModel(simulatorSchema(), node);
    const parts = m.count ? ["count"] : [];
    for (const [section, leaves] of m.sections) parts.push(`${section} { ${leaves.map((l) => l.name).join(" ")} }`);
    return [...parts, `dimensions { ${groupBy.join(" ")} }`].join(" ");
  };
  const rowsOf = async (node: AdaptiveName, owner: string, groupBy: readonly string[], limit = 10_000): Promise<any[]> => {
    const scope =
      node === "workersInvocationsAdaptive" || node === "r2StorageAdaptiveGroups"
        ? `accounts(filter: { accountTag: "${owner}" })`
        : `zones(filter: { zoneTag: "${owner}" })`;
    const a = await post(
      sim,
      `{ viewer { ${scope} { ${node}(filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" },
      limit: ${limit}) { ${selection(node, groupBy)} } } } }`,
    );
    assert.equal(a.json.errors, null, JSON.stringify(a.json.errors));
    return a.json.data.viewer[node === "workersInvocationsAdaptive" || node === "r2StorageAdaptiveGroups" ? "accounts" : "zones"][0][node];
  };
  /** Rows with equal dimensions merged: count and sums added, every other figure the same in each (checked). */
  const merge = (rows: readonly any[]): { rows: any[]; repeated: number } => {
    const out: any[] = [];
    let repeated = 0;
    for (const row of rows) {
      const last = out[out.length - 1];
      if (!last || JSON.stringify(last.dimensions) !== JSON.stringify(row.dimensions)) {
        out.push(structuredClone(row));
        continue;
      }
      repeated++;
      const { count, sum: s, ...rest } = row;
      const { count: lastCount, sum: lastSum, ...lastRest } = last;
      assert.deepEqual(rest, lastRest, "non-additive figures are the original's in both halves");
      if (count !== undefined) last.count = lastCount + count;
      for (const [k, v] of Object.entries(s ?? {})) if (typeof v === "number") last.sum[k] += v;
    }
    return { rows: out, repeated };
  };
  /** A tag with a few groups in the hour before NOW (sparse nodes have none for many tags). */
  const ownerWithData = (node: AdaptiveName, groupBy: readonly string[]): string => {
    for (let i = 1; i < 40; i++) if (sim.groundTruth.groups(node, tag(i), NOW - HOUR, NOW, groupBy).length >= 3) return tag(i);
    throw new Error(`no tag with ${node} groups`);
  };
  const CASES: [AdaptiveName, string[]][] = [
    ["firewallEventsAdaptiveGroups", ["datetimeMinute", "action", "source"]],
    ["httpRequestsAdaptiveGroups", ["datetimeFiveMinutes", "cacheStatus"]],
    ["workersInvocationsAdaptive", ["datetimeFiveMinutes", "scriptName"]],
    ["r2StorageAdaptiveGroups", ["datetimeMinute", "bucketName", "storageClass"]],
  ];

  for (const [node, groupBy] of CASES) {
    it(`repeatedGroupRows: ${node} rows repeat side by side; merged they are the ground truth`, async () => {
      const owner = ownerWithData(node, groupBy);
      const truth = sim.groundTruth.groups(node, owner, NOW - HOUR, NOW, groupBy);
      assert.ok(truth.length >= 3, `${truth.length} groups`);
      assert.deepEqual(await rowsOf(node, owner, groupBy), truth, "off: one row per group");
      sim.options.repeatedGroupRows = true;
      try {
        const rows = await rowsOf(node, owner, groupBy);
        const { rows: mergedRows, repeated } = merge(rows);
        assert.ok(repeated > 0 && repeated < truth.length, `${repeated} of ${truth.length} rows repeated`);
        assert.deepEqual(mergedRows, truth, "merged exactly (floats too)");
        assert.deepEqual(sim.groundTruth.groups(node, owner, NOW - HOUR, NOW, groupBy), truth, "ground truth stays merged");
        const additive = rows.filter((r) => r.count !== undefined || Object.values(r.sum ?? {}).some((v) => typeof v === "number"));
        assert.ok(
          additive.every((r) => r.count === undefined || r.count >= 1),
          "no half has count 0",
        );
        assert.deepEqual(await rowsOf(node, owner, groupBy), rows, "the same answer every time");
        const page = await rowsOf(node, owner, groupBy, 5);
        assert.deepEqual(page, rows.slice(0, 5), "a limit cuts the split rows");
      } finally {
        sim.options.repeatedGroupRows = false;
      }
    });
  }
});
