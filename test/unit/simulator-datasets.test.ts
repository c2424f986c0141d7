/**
 * The simulator's datasets beyond the minute and hour rollups: httpRequests1dGroups, the adaptive (sampled) zone nodes,
 * the account scope, plans and refused fields, and the ground truth the exporter's tests compare with.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ACCOUNT_DATASETS,
  DATASETS,
  PLAN_SETTINGS,
  ROLLUPS,
  ZONE_DATASETS,
  adaptiveEventList,
  adaptiveGroups,
  dayTotals,
  finalMinute,
  hourTotals,
  startSimulator,
  type AdaptiveName,
  type Simulator,
  type TrafficData,
} from "../../simulator/index.js";
import { isInteger, nodeModel, type NodeModel } from "../../simulator/model.js";
import { simulatorSchema } from "../../simulator/schema.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse("2026-03-10T12:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const tag = (i: number): string => `${i.toString(16).padStart(2, "0")}${"c0ffee".repeat(5)}`;
const ADAPTIVE = DATASETS.filter((d) => !(ROLLUPS as readonly string[]).includes(d)) as AdaptiveName[];
const model = (node: AdaptiveName): NodeModel => nodeModel(simulatorSchema(), node);
const isAccount = (node: string): boolean => (ACCOUNT_DATASETS as readonly string[]).includes(node);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

interface Answer {
  status: number;
  json: any;
}

async function post(sim: Simulator, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(sim.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer t" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

/** A query of one node for one zone or account, in the exporter's style (declaring the variables `args` uses). */
function nodeQuery(node: string, owner: string, selection: string, args = "filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit"): string {
  const scope = isAccount(node) ? `accounts(filter: { accountTag: "${owner}" }) { accountTag` : `zones(filter: { zoneTag_in: ["${owner}"] }) { zoneTag`;
  const declared = [
    ["$from", "Time!"],
    ["$to", "Time!"],
    ["$limit", "uint64!"],
  ]
    .filter(([v]) => args.includes(v!))
    .map(([v, t]) => `${v}: ${t}`);
  return `query (${declared.join(", ")}) { viewer { ${scope} ${node}(${args}) { ${selection} } } } }`;
}

/** Filter and limit arguments: the given conditions plus the `$from`..`$to` window. */
function windowArgs(filter: Record<string, unknown>, limit = "$limit", extra = ""): string {
  const conditions = Object.entries(filter).map(([k, v]) => `${k}: ${literal(v)}`);
  return `filter: { ${[...conditions, "datetime_geq: $from", "datetime_lt: $to"].join(", ")} }, limit: ${limit}${extra}`;
}

async function rowsOf(sim: Simulator, node: string, owner: string, selection: string, from: number, to: number, args?: string, limit = 10_000): Promise<any[]> {
  const a = await post(sim, nodeQuery(node, owner, selection, args), { from: iso(from), to: iso(to), limit });
  assert.equal(a.json.errors, null, JSON.stringify(a.json.errors));
  const scope = a.json.data.viewer[isAccount(node) ? "accounts" : "zones"];
  return scope[0][node];
}

/** Every aggregate of a node plus the given dimensions, built from the schema. */
function fullSelection(m: NodeModel, groupBy: readonly string[]): string {
  const parts = m.count ? ["count"] : [];
  for (const [section, leaves] of m.sections) parts.push(`${section} { ${leaves.map((l) => l.name).join(" ")} }`);
  if (groupBy.length > 0) parts.push(`dimensions { ${groupBy.join(" ")} }`);
  return parts.join(" ");
}

/** A tag that has events for the node in the hour before NOW (sparse nodes have none for many tags). */
function ownerWithData(node: AdaptiveName, start = 0): string {
  for (let i = start; i < start + 40; i++) {
    if (adaptiveEventList(node, tag(i), NOW - HOUR, NOW).length > 0) return tag(i);
  }
  throw new Error(`no tag with ${node} events`);
}

/** Per node: a realistic grouping (time first, then what an exporter would keep) and a filter. */
const GROUPING: Record<AdaptiveName, { groupBy: string[]; filter: Record<string, unknown> }> = {
  httpRequestsAdaptiveGroups: { groupBy: ["datetimeMinute", "clientRequestHTTPHost", "cacheStatus"], filter: { requestSource: "eyeball" } },
  httpRequestsOverviewAdaptiveGroups: { groupBy: ["datetimeMinute", "clientCountryName"], filter: { edgeResponseStatus_geq: 200 } },
  firewallEventsAdaptiveGroups: { groupBy: ["datetimeMinute", "action", "source", "ruleId", "description"], filter: { action_neq: "skip" } },
  healthCheckEventsAdaptiveGroups: { groupBy: ["datetimeFiveMinutes", "healthCheckName", "region", "healthStatus"], filter: {} },
  loadBalancingRequestsAdaptiveGroups: { groupBy: ["datetimeMinute", "lbName", "selectedPoolName"], filter: { proxied: 1 } },
  dnsAnalyticsAdaptiveGroups: { groupBy: ["datetimeMinute", "queryType", "responseCode"], filter: { queryType_in: ["A", "AAAA", "HTTPS", "TXT"] } },
  workersInvocationsAdaptive: { groupBy: ["datetimeMinute", "scriptName", "status"], filter: {} },
  r2OperationsAdaptiveGroups: { groupBy: ["datetimeMinute", "bucketName", "actionType"], filter: { actionType_like: "%Object" } },
  r2StorageAdaptiveGroups: { groupBy: ["datetimeHour", "bucketName", "storageClass"], filter: {} },
  logpushHealthAdaptiveGroups: { groupBy: ["datetimeMinute", "jobId", "destinationType", "success"], filter: {} },
};

/** The filter in GraphQL literal syntax. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(", ")} }`;
  }
  return JSON.stringify(value);
}

/** Every integer-typed aggregate of the rows is an integer, every time dimension an ISO instant or date. */
function assertTyped(m: NodeModel, rows: readonly Record<string, any>[]): void {
  for (const row of rows) {
    if (m.count) assert.ok(Number.isSafeInteger(row["count"]), `${m.node}: count ${row["count"]}`);
    for (const [section, leaves] of m.sections) {
      for (const leaf of leaves) {
        const v = row[section]?.[leaf.name];
        if (leaf.list) assert.ok(Array.isArray(v), `${m.node}.${section}.${leaf.name} is a list`);
        else if (leaf.scalar === "Time") assert.match(v, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        else if (isInteger(leaf.scalar)) assert.ok(Number.isSafeInteger(v), `${m.node}.${section}.${leaf.name} = ${v} is an integer`);
        else assert.ok(typeof v === "number" && Number.isFinite(v), `${m.node}.${section}.${leaf.name} = ${v}`);
      }
    }
  }
}

describe("simulator datasets over HTTP", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
  });

  for (const node of ADAPTIVE) {
    it(`${node}: the GraphQL answer equals the ground truth, with realistic values`, async () => {
      const m = model(node);
      const { groupBy, filter } = GROUPING[node];
      const owner = ownerWithData(node);
      const from = NOW - HOUR;
      const rows = await rowsOf(sim, node, owner, fullSelection(m, groupBy), from, NOW, windowArgs(filter));
      assert.ok(rows.length > 0, "the hour has rows");
      assert.deepEqual(rows, sim.groundTruth.groups(node, owner, from, NOW, groupBy, filter));
      assertTyped(m, rows);
      // The same grouping from the raw events: counts and sums are Σ sampleInterval and Σ value x sampleInterval.
      const events = sim.groundTruth.events(node, owner, from, NOW);
      const total = adaptiveGroups(node, owner, from, NOW, [], {}, { now: NOW })[0]!;
      if (m.count) assert.equal(total.count, sum(events.map((e) => e.sampleInterval)));
      for (const leaf of m.sections.get("sum") ?? []) {
        if (leaf.list) continue;
        const expected = sum(events.map((e) => e.metrics[leaf.name]! * e.sampleInterval));
        const got = total.sum![leaf.name] as number;
        assert.ok(Math.abs(got - expected) <= 1e-6 * Math.max(1, expected), `sum.${leaf.name}: ${got} != ${expected}`);
      }
      if (m.sections.get("avg")?.some((l) => l.name === "sampleInterval")) {
        assert.equal(total.avg!["sampleInterval"], sum(events.map((e) => e.sampleInterval)) / events.length);
      }
      // Every number the node offers is simulated: none of its sums, averages, maxima or 99th percentiles is 0.
      const zeros: string[] = [];
      for (const section of ["sum", "avg", "max", "min", "quantiles"] as const) {
        for (const leaf of m.sections.get(section) ?? []) {
          if (leaf.list || (section === "quantiles" && !/P99\d*$/.test(leaf.name))) continue;
          const v = (total[section] as Record<string, unknown>)[leaf.name];
          if (v === 0) zeros.push(`${section}.${leaf.name}`);
        }
      }
      assert.deepEqual(zeros, []);
    });
  }

  it("answers every zone and account node in one realistic request each, counting scopes x nodes", async () => {
    sim.reset();
    const from = iso(NOW - 10 * MINUTE);
    const to = iso(NOW);
    const zoneNodes = (ZONE_DATASETS.filter((n) => !(ROLLUPS as readonly string[]).includes(n)) as AdaptiveName[]).map(
      (n) =>
        `${n}(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { ${model(n).count ? "count" : "sum { requests }"} dimensions { datetimeMinute } }`,
    );
    const zones = await post(
      sim,
      `query ($zones: [string!], $from: Time!, $to: Time!) { viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
      ${zoneNodes.join("\n")} } } }`,
      { zones: [tag(1), tag(2), tag(3)], from, to },
    );
    assert.equal(zones.json.errors, null, JSON.stringify(zones.json.errors));
    assert.equal(sim.stats.queries, 3 * zoneNodes.length);
    const account = await post(
      sim,
      `query ($a: string!, $from: Time!, $to: Time!) { viewer { accounts(filter: { accountTag: $a }) { accountTag
      workersInvocationsAdaptive(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { sum { requests errors } dimensions { scriptName } }
      r2OperationsAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { sum { requests } dimensions { actionType } }
      r2StorageAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100, orderBy: [datetime_DESC]) { max { payloadSize } dimensions { bucketName datetime } }
      logpushHealthAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { count dimensions { jobId } } } } }`,
      { a: tag(8), from, to },
    );
    assert.equal(account.json.errors, null, JSON.stringify(account.json.errors));
    assert.equal(account.json.data.viewer.accounts[0].accountTag, tag(8));
    assert.ok(account.json.data.viewer.accounts[0].workersInvocationsAdaptive.length > 0);
    assert.equal(sim.stats.queries, 3 * zoneNodes.length + 4, "an account query counts 1 account x 4 nodes");
  });

  it("filters on dimensions with every operator, AND and OR", async () => {
    const node = "firewallEventsAdaptiveGroups";
    const owner = ownerWithData(node);
    const from = NOW - HOUR;
    const all = sim.groundTruth.groups(node, owner, from, NOW, ["action", "clientRequestHTTPHost", "edgeResponseStatus"]);
    const count = (rows: readonly { count?: number }[]): number => sum(rows.map((r) => r.count!));
    const where = (pred: (d: Record<string, any>) => boolean): number => count(all.filter((r) => pred(r.dimensions)));
    const check = async (filter: Record<string, unknown>, expected: number): Promise<void> => {
      const rows = await rowsOf(sim, node, owner, "count", from, NOW, windowArgs(filter, "10"));
      assert.equal(rows[0]?.count ?? 0, expected, JSON.stringify(filter));
    };
    const host = all.map((r) => r.dimensions["clientRequestHTTPHost"] as string).sort()[0]!;
    await check(
      { action: "block" },
      where((d) => d["action"] === "block"),
    );
    await check(
      { action_neq: "block" },
      where((d) => d["action"] !== "block"),
    );
    await check(
      { action_in: ["block", "log"] },
      where((d) => ["block", "log"].includes(d["action"])),
    );
    await check(
      { action_notin: ["block", "log"] },
      where((d) => !["block", "log"].includes(d["action"])),
    );
    await check(
      { clientRequestHTTPHost_like: "api.%" },
      where((d) => d["clientRequestHTTPHost"].startsWith("api.")),
    );
    await check({ clientRequestHTTPHost_notlike: "%.example" }, 0);
    await check(
      { clientRequestHTTPHost_gt: host },
      where((d) => d["clientRequestHTTPHost"] > host),
    );
    await check(
      { edgeResponseStatus_geq: 400, edgeResponseStatus_lt: 500 },
      where((d) => d["edgeResponseStatus"] >= 400 && d["edgeResponseStatus"] < 500),
    );
    await check(
      { OR: [{ action: "log" }, { edgeResponseStatus: 429 }] },
      where((d) => d["action"] === "log" || d["edgeResponseStatus"] === 429),
    );
    await check(
      { AND: [{ action_neq: "log" }, { edgeResponseStatus_in: [403, 429] }] },
      where((d) => d["action"] !== "log" && [403, 429].includes(d["edgeResponseStatus"])),
    );
    await check({ attackSignatureCategories_isempty: true }, count(all));
    await check({ attackSignatureCategories_has: "sqli" }, 0);
    // uint8 lists are Cloudflare's `bytes` scalar: base64 of the byte values ("AQ==" is [1]).
    const logpush = ownerWithData("logpushHealthAdaptiveGroups");
    const jobs = sim.groundTruth.groups("logpushHealthAdaptiveGroups", logpush, from, NOW, ["success"]);
    const ok = jobs.find((r) => r.dimensions["success"] === 1)?.count ?? 0;
    const rows = await rowsOf(sim, "logpushHealthAdaptiveGroups", logpush, "count", from, NOW, windowArgs({ success_in: "AQ==" }));
    assert.equal(rows[0]?.count ?? 0, ok);
  });

  it("groups by floored time fields, gives one total row without dimensions, orders and cuts like Cloudflare", async () => {
    const node = "httpRequestsAdaptiveGroups";
    const owner = tag(4);
    const from = NOW - HOUR;
    const minutes = await rowsOf(sim, node, owner, "count sum { edgeResponseBytes } dimensions { datetimeMinute }", from, NOW);
    const fives = await rowsOf(sim, node, owner, "count dimensions { datetimeFiveMinutes }", from, NOW);
    assert.equal(fives.length, 12);
    for (const five of fives) {
      const start = Date.parse(five.dimensions.datetimeFiveMinutes);
      const inside = minutes.filter((r) => Date.parse(r.dimensions.datetimeMinute) - start < 5 * MINUTE && Date.parse(r.dimensions.datetimeMinute) >= start);
      assert.equal(five.count, sum(inside.map((r) => r.count)));
    }
    const [total] = await rowsOf(sim, node, owner, "count sum { edgeResponseBytes }", from, NOW);
    const [overview] = await rowsOf(sim, "httpRequestsOverviewAdaptiveGroups", owner, "sum { requests bytes }", from, NOW);
    assert.deepEqual(overview.sum, { requests: total.count, bytes: total.sum.edgeResponseBytes }, "the two HTTP nodes sample the same requests");
    assert.deepEqual(total, { count: sum(minutes.map((r) => r.count)), sum: { edgeResponseBytes: sum(minutes.map((r) => r.sum.edgeResponseBytes)) } });
    // Default order: by the group-by fields; an explicit time order is the same; limit cuts that order.
    assert.deepEqual(
      minutes.map((r) => r.dimensions.datetimeMinute),
      [...minutes.map((r) => r.dimensions.datetimeMinute)].sort(),
    );
    const explicit = await rowsOf(
      sim,
      node,
      owner,
      "count sum { edgeResponseBytes } dimensions { datetimeMinute }",
      from,
      NOW,
      "filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit, orderBy: [datetimeMinute_ASC]",
    );
    assert.deepEqual(explicit, minutes);
    const page = await rowsOf(sim, node, owner, "count sum { edgeResponseBytes } dimensions { datetimeMinute }", from, NOW, undefined, 7);
    assert.deepEqual(page, minutes.slice(0, 7));
    // count_DESC, ties broken by the group-by fields (ascending).
    const hosts = await rowsOf(
      sim,
      node,
      owner,
      "count dimensions { clientRequestHTTPHost }",
      from,
      NOW,
      "filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit, orderBy: [count_DESC]",
    );
    const sorted = [...hosts].sort((a, b) => b.count - a.count || (a.dimensions.clientRequestHTTPHost < b.dimensions.clientRequestHTTPHost ? -1 : 1));
    assert.deepEqual(hosts, sorted);
    const top = await rowsOf(sim, node, owner, "count dimensions { clientRequestHTTPHost }", from, NOW, windowArgs({}, "3", ", orderBy: [count_DESC]"));
    assert.deepEqual(top, hosts.slice(0, 3));
    const bySize = await rowsOf(
      sim,
      node,
      owner,
      "sum { edgeResponseBytes } dimensions { datetimeMinute }",
      from,
      NOW,
      windowArgs({}, "5", ", orderBy: [sum_edgeResponseBytes_DESC]"),
    );
    assert.deepEqual(
      bySize.map((r) => r.sum.edgeResponseBytes),
      minutes
        .map((r) => r.sum.edgeResponseBytes)
        .sort((a, b) => b - a)
        .slice(0, 5),
    );
    // Aliases, a quantile order and confidence with its argument.
    const [q] = await rowsOf(
      sim,
      node,
      owner,
      `n: count p95: quantiles { ttfb: edgeTimeToFirstByteMsP95 }
      c95: confidence(level: 0.95) { count { estimate lower upper sampleSize isValid } }
      c99: confidence(level: 0.99) { level count { lower upper } }`,
      from,
      NOW,
    );
    assert.equal(q.c95.count.estimate, q.n);
    assert.ok(q.c95.count.lower <= q.n && q.c95.count.upper >= q.n && q.c95.count.isValid);
    assert.ok(q.c99.count.upper - q.c99.count.lower >= q.c95.count.upper - q.c95.count.lower, "a higher level is wider");
    assert.equal(q.c99.level, 0.99);
    assert.ok(q.p95.ttfb > 0);
  });

  it("is sampled like ABR: per minute the count is a multiple of the sample interval, 1, 10 or 100", async () => {
    for (const node of [
      "httpRequestsAdaptiveGroups",
      "firewallEventsAdaptiveGroups",
      "loadBalancingRequestsAdaptiveGroups",
      "dnsAnalyticsAdaptiveGroups",
    ] as const) {
      const owner = ownerWithData(node);
      const rows = await rowsOf(sim, node, owner, "count avg { sampleInterval } dimensions { datetimeMinute }", NOW - HOUR, NOW);
      for (const r of rows) {
        assert.ok([1, 10, 100].includes(r.avg.sampleInterval), `${node}: ${r.avg.sampleInterval}`);
        assert.equal(r.count % r.avg.sampleInterval, 0);
      }
      if (node === "loadBalancingRequestsAdaptiveGroups")
        assert.ok(
          rows.every((r) => r.count % 10 === 0),
          "load balancing counts come in tens",
        );
    }
  });

  it("serves httpRequests1dGroups as the sum of each day's minutes", async () => {
    const day = Date.parse("2026-03-08T00:00:00Z");
    const rows = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${tag(5)}" }) {
      httpRequests1dGroups(filter: { date_geq: "2026-03-08", date_lt: "2026-03-10" }, limit: 10) {
        dimensions { date } uniq { uniques } avg { bytes edgeRequestBytes sampleInterval }
        sum { requests bytes cachedRequests cachedBytes encryptedRequests encryptedBytes edgeRequestBytes pageViews threats
          countryMap { clientCountryName requests bytes threats } responseStatusMap { edgeResponseStatus requests }
          contentTypeMap { edgeResponseContentTypeName requests bytes } browserMap { uaBrowserFamily pageViews }
          clientSSLMap { clientSSLProtocol requests } clientHTTPVersionMap { clientHTTPProtocol requests }
          ipClassMap { ipType requests } threatPathingMap { threatPathingName requests } } } } } }`,
    );
    assert.equal(rows.json.errors, null);
    const days = rows.json.data.viewer.zones[0].httpRequests1dGroups as (TrafficData & { dimensions: { date: string } })[];
    assert.deepEqual(
      days.map((d) => d.dimensions.date),
      ["2026-03-08", "2026-03-09"],
    );
    for (const { dimensions, ...data } of days) assert.deepEqual(data, sim.groundTruth.day(tag(5), Date.parse(dimensions.date)));
    const total = dayTotals(tag(5), day)!;
    const hours = Array.from({ length: 24 }, (_, h) => hourTotals(tag(5), day + h * HOUR)).filter((h) => h !== null);
    for (const key of ["requests", "bytes", "cachedRequests", "encryptedBytes", "pageViews", "threats"] as const) {
      assert.equal(total.sum[key], sum(hours.map((h) => h.sum[key])), key);
    }
    const minutes = Array.from({ length: 1440 }, (_, i) => finalMinute(tag(5), day + i * MINUTE)).filter((m) => m !== null);
    assert.equal(total.sum.requests, sum(minutes.map((m) => m.sum.requests)));
    assert.equal(sum(total.sum.countryMap.map((e) => e.requests)), total.sum.requests, "maps add up");
    // Today is still growing: served, and smaller than a whole day.
    const today = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${tag(5)}" }) {
      httpRequests1dGroups(filter: { date: "2026-03-10" }, limit: 1) { sum { requests } } } } }`,
    );
    const half = today.json.data.viewer.zones[0].httpRequests1dGroups[0].sum.requests;
    assert.ok(half > 0 && half < total.sum.requests * 0.75, `${half} so far today`);
    const settings = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${tag(5)}" }) { settings { httpRequests1dGroups { notOlderThan maxDuration } } } } }`,
    );
    assert.deepEqual(settings.json.data.viewer.zones[0].settings.httpRequests1dGroups, { notOlderThan: 31_536_000, maxDuration: 31_536_000 });
  });

  it("allows exactly one account per query", async () => {
    sim.reset();
    const two = await post(
      sim,
      `{ viewer { a: accounts(filter: { accountTag: "${tag(1)}" }) { accountTag }
      b: accounts(filter: { accountTag: "${tag(2)}" }) { accountTag } } }`,
    );
    assert.equal(two.json.data, null);
    assert.equal(two.json.errors[0].message, "too many accounts requested");
    const none = await post(sim, "{ viewer { accounts { accountTag } } }");
    assert.equal(none.json.errors[0].message, "empty account filters not allowed");
    const same = await post(
      sim,
      `{ viewer { a: accounts(filter: { accountTag: "${tag(1)}" }) { accountTag }
      b: accounts(filter: { accountTag: "${tag(1)}" }) { accountTag } } }`,
    );
    assert.equal(same.json.errors, null, "the same account twice is one account");
    assert.equal(sim.stats.queries, 0, "refused requests cost nothing; settings-only ones count no node");
  });

  it("lets a young minute grow like the rollups do (lateMinutes)", async () => {
    const late = await startSimulator({ now: () => NOW, lateMinutes: 5 });
    try {
      const node = "firewallEventsAdaptiveGroups";
      const owner = ownerWithData(node);
      const minute = NOW - 2 * MINUTE; // 2 of 5 minutes old: 40 % of its events
      const final = adaptiveGroups(node, owner, minute, minute + MINUTE)[0]?.count ?? 0;
      const young = late.groundTruth.groups(node, owner, minute, minute + MINUTE)[0]?.count ?? 0;
      assert.ok(young < final, `${young} < ${final}`);
      const rows = await rowsOf(late, node, owner, "count", minute, minute + MINUTE);
      assert.equal(rows[0]?.count ?? 0, young);
      const youngEvents = late.groundTruth.events(node, owner, minute, minute + MINUTE);
      const finalEvents = adaptiveEventList(node, owner, minute, minute + MINUTE);
      assert.deepEqual(youngEvents, finalEvents.slice(0, youngEvents.length), "a young minute shows its first events");
    } finally {
      await late.close();
    }
  });
});

describe("simulator plans, settings and refused fields", () => {
  const FREE = tag(0x21);
  const PRO = tag(0x22);
  const ACCOUNT = tag(0x23);
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      now: () => NOW,
      plans: { [FREE]: "free", [PRO]: "pro", [ACCOUNT]: "free" },
      refusedFields: { [PRO]: ["dimensions_description"] },
      settings: { httpRequests1mGroups: { notOlderThan: 6 * 3600 } },
    });
  });
  after(async () => {
    await sim.close();
  });

  const settingsOf = async (owner: string, nodes: readonly string[], account = false): Promise<Record<string, any>> => {
    const scope = account ? `accounts(filter: { accountTag: "${owner}" })` : `zones(filter: { zoneTag: "${owner}" })`;
    const a = await post(
      sim,
      `{ viewer { ${scope} { settings { ${nodes
        .map((n) => `${n} { enabled maxDuration maxNumberOfFields maxPageSize notOlderThan availableFields }`)
        .join(" ")} } } } }`,
    );
    assert.equal(a.json.errors, null, JSON.stringify(a.json.errors));
    return a.json.data.viewer[account ? "accounts" : "zones"][0].settings;
  };

  it("reports each plan's limits per node, Enterprise by default, with the settings option applied on top", async () => {
    const free = await settingsOf(FREE, ZONE_DATASETS);
    assert.equal(free["httpRequests1mGroups"].enabled, false);
    assert.deepEqual(free["httpRequests1mGroups"].availableFields, []);
    for (const node of ["firewallEventsAdaptiveGroups", "healthCheckEventsAdaptiveGroups", "loadBalancingRequestsAdaptiveGroups"]) {
      assert.equal(free[node].enabled, false, node);
    }
    const limits = (s: any) => [s.notOlderThan, s.maxDuration];
    assert.deepEqual(limits(free["httpRequestsAdaptiveGroups"]), [8 * 86_400, 86_400]);
    assert.deepEqual(limits(free["httpRequestsOverviewAdaptiveGroups"]), [32 * 86_400, 32 * 86_400]);
    assert.deepEqual(limits(free["httpRequests1hGroups"]), [73 * 3600, 3 * 86_400]);
    assert.deepEqual(limits(free["httpRequests1dGroups"]), [365 * 86_400, 365 * 86_400]);
    assert.deepEqual(limits(free["dnsAnalyticsAdaptiveGroups"]), [8 * 86_400, 7 * 86_400]);
    const account = await settingsOf(ACCOUNT, ACCOUNT_DATASETS, true);
    for (const node of ["workersInvocationsAdaptive", "r2OperationsAdaptiveGroups", "r2StorageAdaptiveGroups"]) {
      assert.equal(account[node].notOlderThan, 90 * 86_400, node);
    }
    const pro = await settingsOf(PRO, ["httpRequests1mGroups", "firewallEventsAdaptiveGroups"]);
    // The option's 6-hour notOlderThan differs from Enterprise's default, so it applies to every plan, and windows
    // shrink with it (Cloudflare's never reach further back than its history).
    assert.deepEqual(limits(pro["httpRequests1mGroups"]), [6 * 3600, 6 * 3600]);
    assert.deepEqual(limits(pro["firewallEventsAdaptiveGroups"]), [3 * 86_400, 3 * 86_400]);
    const enterprise = await settingsOf(tag(0x24), ZONE_DATASETS);
    for (const node of ZONE_DATASETS) {
      const { availableFields, ...rest } = enterprise[node];
      assert.deepEqual(
        rest,
        { ...PLAN_SETTINGS.enterprise[node], ...(node === "httpRequests1mGroups" ? { notOlderThan: 6 * 3600, maxDuration: 6 * 3600 } : {}) },
        node,
      );
      assert.deepEqual(availableFields, model(node as AdaptiveName).leafPaths, `${node}: every field for Enterprise`);
    }
  });

  it("leaves refused fields out of availableFields and fails a query that selects, filters or orders by one", async () => {
    const free = await settingsOf(FREE, ["httpRequestsAdaptiveGroups", "httpRequestsOverviewAdaptiveGroups"]);
    const fields: string[] = free["httpRequestsAdaptiveGroups"].availableFields;
    for (const refused of [
      "quantiles_originResponseDurationMsP95",
      "sum_edgeTimeToFirstByteMs",
      "dimensions_clientAsn",
      "dimensions_clientASNDescription",
      "dimensions_botScore",
      "dimensions_botManagementDecision",
      "sum_botDetectionIdArray",
      "dimensions_fraudAttack",
      "avg_originResponseDurationMs",
    ]) {
      assert.ok(!fields.includes(refused), refused);
    }
    for (const allowed of [
      "count",
      "sum_edgeResponseBytes",
      "dimensions_clientCountryName",
      "quantiles_edgeResponseBytesP50",
      "dimensions_verifiedBotCategory",
    ]) {
      assert.ok(fields.includes(allowed), allowed);
    }
    const window = `datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}"`;
    const refusedQueries = [
      [`httpRequestsAdaptiveGroups(filter: { ${window} }, limit: 10) { count quantiles { originResponseDurationMsP95 } }`, "originresponsedurationmsp95"],
      [`httpRequestsAdaptiveGroups(filter: { ${window}, clientAsn: "15169" }, limit: 10) { count }`, "clientasn"],
      [`httpRequestsAdaptiveGroups(filter: { ${window} }, limit: 10, orderBy: [botScore_ASC]) { count }`, "botscore"],
      [`httpRequestsAdaptiveGroups(filter: { ${window} }, limit: 10) { x: avg { y: edgeTimeToFirstByteMs } }`, "edgetimetofirstbytems"],
    ] as const;
    for (const [selection, field] of refusedQueries) {
      const a = await post(sim, `{ viewer { zones(filter: { zoneTag: "${FREE}" }) { ${selection} } } }`);
      assert.equal(a.json.data, null);
      assert.deepEqual(a.json.errors[0], {
        message: `zone '${FREE}' does not have access to the field '${field}' from the path`,
        path: ["viewer", "zones", "0", "httpRequestsAdaptiveGroups"],
        extensions: { code: "authz", timestamp: a.json.errors[0].extensions.timestamp },
      });
    }
    const ok = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${FREE}" }) {
      httpRequestsAdaptiveGroups(filter: { ${window} }, limit: 10) { count sum { edgeResponseBytes } dimensions { clientCountryName } } } } }`,
    );
    assert.equal(ok.json.errors, null, "the fields the plan allows are served");
    const disabled = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${FREE}" }) {
      firewallEventsAdaptiveGroups(filter: { ${window} }, limit: 10) { count } } } }`,
    );
    assert.equal(disabled.json.errors[0].message, `zone '${FREE}' does not have access to the path`);
    // refusedFields: a token that may not read rulesets gets no rule descriptions, whatever the plan.
    const pro = await settingsOf(PRO, ["firewallEventsAdaptiveGroups"]);
    assert.ok(!pro["firewallEventsAdaptiveGroups"].availableFields.includes("dimensions_description"));
    assert.ok(pro["firewallEventsAdaptiveGroups"].availableFields.includes("dimensions_ruleId"));
    const description = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${PRO}" }) {
      firewallEventsAdaptiveGroups(filter: { ${window} }, limit: 10) { count dimensions { ruleId description } } } } }`,
    );
    assert.equal(description.json.errors[0].message, `zone '${PRO}' does not have access to the field 'description' from the path`);
  });

  it("denies nodes per tag for accounts as for zones", async () => {
    sim.options.denied = { [ACCOUNT]: ["r2OperationsAdaptiveGroups"] };
    try {
      const a = await post(
        sim,
        `{ viewer { accounts(filter: { accountTag: "${ACCOUNT}" }) {
        r2OperationsAdaptiveGroups(filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { sum { requests } } } } }`,
      );
      assert.deepEqual(a.json.errors[0], {
        message: `account '${ACCOUNT}' does not have access to the path`,
        path: ["viewer", "accounts", "0", "r2OperationsAdaptiveGroups"],
        extensions: { code: "authz", timestamp: a.json.errors[0].extensions.timestamp },
      });
      const settings = await settingsOf(ACCOUNT, ["r2OperationsAdaptiveGroups", "r2StorageAdaptiveGroups"], true);
      assert.equal(settings["r2OperationsAdaptiveGroups"].enabled, false);
      assert.equal(settings["r2StorageAdaptiveGroups"].enabled, true);
    } finally {
      sim.options.denied = {};
    }
  });

  it("enforces each node's window and retention", async () => {
    const free = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${FREE}" }) {
      httpRequestsAdaptiveGroups(filter: { datetime_geq: "${iso(NOW - DAY - MINUTE)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { count } } } }`,
    );
    assert.equal(free.json.errors[0].message, "query time range is too large. Time range can't be wider than 86400s");
    const old = await post(
      sim,
      `{ viewer { accounts(filter: { accountTag: "${ACCOUNT}" }) {
      workersInvocationsAdaptive(filter: { datetime_geq: "${iso(NOW - 91 * DAY)}", datetime_lt: "${iso(NOW - 90 * DAY)}" }, limit: 10) { sum { requests } } } } }`,
    );
    assert.equal(old.json.errors[0].message, "cannot request data older than 7776000s");
    assert.deepEqual(old.json.errors[0].path, ["viewer", "accounts", "0", "workersInvocationsAdaptive"]);
  });
});

describe("simulator adaptive ground truth", () => {
  it("is deterministic and the same from the exported function and a running simulator", async () => {
    const a = adaptiveGroups("firewallEventsAdaptiveGroups", tag(3), NOW - HOUR, NOW, ["datetimeMinute", "ruleId"]);
    const b = adaptiveGroups("firewallEventsAdaptiveGroups", tag(3), NOW - HOUR, NOW, ["datetimeMinute", "ruleId"]);
    assert.deepEqual(a, b);
    const sim = await startSimulator({ now: () => NOW + DAY });
    try {
      assert.deepEqual(sim.groundTruth.groups("firewallEventsAdaptiveGroups", tag(3), NOW - HOUR, NOW, ["datetimeMinute", "ruleId"]), a);
    } finally {
      await sim.close();
    }
    assert.notDeepEqual(
      adaptiveGroups("firewallEventsAdaptiveGroups", tag(4), NOW - HOUR, NOW, ["datetimeMinute", "ruleId"]),
      a,
      "another zone has other events",
    );
  });

  it("has realistic, bounded cardinality: many hosts, rules and scripts over a week, few per minute, quiet minutes", () => {
    const week = NOW - 7 * DAY;
    const distinct = (node: AdaptiveName, owner: string, field: string, from: number): number => adaptiveGroups(node, owner, from, NOW, [field]).length;
    const rules = [1, 2, 3].map((i) => adaptiveGroups("firewallEventsAdaptiveGroups", tag(i), week, NOW, ["ruleId", "description"]));
    const ruleCounts = rules.map((rows) => new Set(rows.map((r) => r.dimensions["ruleId"])).size);
    assert.ok(
      ruleCounts.every((n) => n >= 20 && n <= 200),
      `rule ids per zone over a week: ${ruleCounts.join(", ")}`,
    );
    assert.deepEqual(
      rules.map((rows) => rows.length),
      ruleCounts,
      "a rule id has one description",
    );
    const hosts = [1, 2, 3].map((i) => distinct("httpRequestsAdaptiveGroups", tag(i), "clientRequestHTTPHost", NOW - 6 * HOUR));
    assert.ok(sum(hosts) >= 20 && hosts.every((n) => n >= 4 && n <= 200), `hosts per zone over 6 hours: ${hosts.join(", ")}`);
    const scripts = [1, 2, 3, 4, 5].map((i) => distinct("workersInvocationsAdaptive", tag(i), "scriptName", NOW - 6 * HOUR));
    assert.ok(scripts.every((n) => n >= 3 && n <= 60) && Math.max(...scripts) >= 10, `scripts per account over 6 hours: ${scripts.join(", ")}`);
    const minutes = adaptiveGroups("firewallEventsAdaptiveGroups", tag(1), NOW - DAY, NOW, ["datetimeMinute"]);
    assert.ok(minutes.length < 1440, "some minutes have no firewall event");
    assert.ok(
      minutes.every((r) => r.count! / (r.avg!["sampleInterval"] as number) <= 60),
      "at most 60 sampled events a minute",
    );
    const sparse = Array.from({ length: 16 }, (_, i) => adaptiveEventList("healthCheckEventsAdaptiveGroups", tag(i), NOW - HOUR, NOW).length);
    assert.ok(sparse.includes(0) && sparse.some((n) => n > 0) && Math.max(...sparse) <= 60 * 12, `health check events an hour: ${sparse.join(", ")}`);
  });

  it("keeps each event's fields coherent", () => {
    const events = adaptiveEventList("httpRequestsAdaptiveGroups", tag(2), NOW - 30 * MINUTE, NOW);
    for (const e of events) {
      const d = e.dimensions;
      if (["hit", "stale", "updating", "revalidated"].includes(d["cacheStatus"] as string)) {
        assert.equal(d["originResponseDurationMs"], 0);
        assert.equal(d["originResponseStatus"], 0);
      }
      if (d["clientRequestScheme"] === "http") assert.equal(d["clientSSLProtocol"], "none");
      assert.equal(e.metrics["status4xx"], (d["edgeResponseStatus"] as number) >= 400 && (d["edgeResponseStatus"] as number) < 500 ? 1 : 0);
      assert.equal(d["sampleInterval"], e.sampleInterval);
      assert.ok(String(d["clientRequestHTTPHost"]).endsWith(".example"));
    }
    const storage = adaptiveGroups("r2StorageAdaptiveGroups", tag(3), NOW - 2 * HOUR, NOW, ["datetimeHour", "bucketName", "storageClass"]);
    const lastMinute = adaptiveGroups("r2StorageAdaptiveGroups", tag(3), NOW - MINUTE, NOW, ["bucketName", "storageClass"]);
    assert.ok(storage.length > 0 && lastMinute.length > 0);
    for (const row of lastMinute) {
      const hour = storage.find(
        (r) =>
          r.dimensions["datetimeHour"] === iso(NOW - HOUR) &&
          r.dimensions["bucketName"] === row.dimensions["bucketName"] &&
          r.dimensions["storageClass"] === row.dimensions["storageClass"],
      )!;
      assert.equal(hour.max!["payloadSize"], row.max!["payloadSize"], "a growing gauge's max is its latest value");
      const earlier = storage.find(
        (r) =>
          r.dimensions["datetimeHour"] === iso(NOW - 2 * HOUR) &&
          r.dimensions["bucketName"] === row.dimensions["bucketName"] &&
          r.dimensions["storageClass"] === row.dimensions["storageClass"],
      )!;
      assert.ok((earlier.max!["payloadSize"] as number) <= (hour.max!["payloadSize"] as number));
    }
  });

  it("generates a week of firewall events for three zones quickly", (t) => {
    const t0 = performance.now();
    let rows = 0;
    for (const i of [1, 2, 3]) {
      rows += adaptiveGroups("firewallEventsAdaptiveGroups", tag(i), NOW - 7 * DAY, NOW, ["datetimeMinute", "action", "source"]).length;
    }
    const ms = performance.now() - t0;
    t.diagnostic(`7 days x 3 zones of firewallEventsAdaptiveGroups by minute, action, source: ${rows} rows in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 20_000, `${ms} ms`); // generous: the machine may be busy; about 1 s when it is not
  });
});
