/**
 * The simulator's switchable documented errors (Cloudflare's errors page): a request with too many owners x nodes, a
 * request asking for too many owner-minutes, a node selection over `maxNumberOfFields`; and `availableFields`
 * answered empty while refusals keep working. Each is off by default and tested off and on.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSimulator, type Simulator } from "../../simulator/index.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse("2026-03-10T12:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const tag = (i: number): string => `${i.toString(16).padStart(2, "0")}${"1e4175".repeat(5)}`;

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

/** The exporter's httpRequests1mGroups query as of this commit (src/datasets/http-rollup.ts): 30 leaf fields. */
const EXPORTER_1M = `query HttpRequests1mGroups($zoneTags: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag_in: $zoneTags }, limit: 10) {
      zoneTag
      httpRequests1mGroups(limit: $limit, filter: { datetime_geq: $from, datetime_lt: $to }, orderBy: [datetime_ASC]) {
        dimensions { datetime }
        uniq { uniques }
        sum {
          requests bytes cachedRequests cachedBytes encryptedRequests encryptedBytes pageViews threats edgeRequestBytes
          countryMap { clientCountryName requests bytes threats }
          responseStatusMap { edgeResponseStatus requests }
          contentTypeMap { edgeResponseContentTypeName requests bytes }
          browserMap { uaBrowserFamily pageViews }
          clientSSLMap { clientSSLProtocol requests }
          clientHTTPVersionMap { clientHTTPProtocol requests }
          ipClassMap { ipType requests }
          threatPathingMap { threatPathingName requests }
        }
      }
    }
  }
}`;

/** Zones x two rollup nodes over [from, to) (the hourly one over whole hours). */
const twoNodes = `query ($zones: [string!], $from: Time!, $to: Time!, $hourFrom: Time!) { viewer { zones(filter: { zoneTag_in: $zones }) {
  httpRequests1mGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 10000) { sum { requests } }
  hourly: httpRequests1hGroups(filter: { datetime_geq: $hourFrom, datetime_lt: $to }, limit: 100) { sum { requests } } } } }`;

describe("simulator documented errors: request size", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(async () => {
    await sim.close();
  });
  const three = [tag(1), tag(2), tag(3)];
  const vars = { zones: three, from: iso(NOW - HOUR), to: iso(NOW), hourFrom: iso(NOW - 3 * HOUR) };

  it("maxQueriesPerRequest: more owners x nodes than allowed is refused uncharged, 429 when documented", async () => {
    assert.equal(sim.options.maxQueriesPerRequest, undefined, "off by default");
    sim.reset();
    assert.equal((await post(sim, twoNodes, vars)).json.errors, null, "off: 3 zones x 2 nodes pass");
    assert.equal(sim.stats.queries, 6);
    sim.options.maxQueriesPerRequest = 5;
    try {
      const refused = await post(sim, twoNodes, vars);
      assert.equal(refused.status, 200, "observed: HTTP 200 with errors");
      assert.equal(refused.json.data, null);
      assert.deepEqual(
        refused.json.errors.map((e: any) => [e.message, e.path]),
        [["in combination, your request queries too many nodes, zones and accounts", null]],
      );
      assert.equal(sim.stats.queries, 6, "not charged to the budget");
      const budget = await post(sim, `{ viewer { budget } }`);
      assert.equal(budget.json.data.viewer.budget, 300 - 6);
      sim.options.statusCodes = "documented";
      assert.equal((await post(sim, twoNodes, vars)).status, 429);
      assert.equal((await post(sim, twoNodes, { ...vars, zones: three.slice(0, 2) })).json.errors, null, "4 queries pass");
      sim.options.maxQueriesPerRequest = 6;
      assert.equal((await post(sim, twoNodes, vars)).json.errors, null, "exactly the limit passes");
    } finally {
      sim.options.maxQueriesPerRequest = undefined;
      sim.options.statusCodes = "observed";
    }
  });

  it("maxOwnerMinutesPerRequest: owners x minutes of each node, summed; more is refused uncharged, 429 when documented", async () => {
    assert.equal(sim.options.maxOwnerMinutesPerRequest, undefined, "off by default");
    // 3 zones x 60 minutes (1m node) + 3 zones x 180 minutes (1h node) = 720 owner-minutes.
    sim.options.maxOwnerMinutesPerRequest = 720;
    try {
      sim.reset();
      assert.equal((await post(sim, twoNodes, vars)).json.errors, null, "exactly the limit passes");
      sim.options.maxOwnerMinutesPerRequest = 719;
      const refused = await post(sim, twoNodes, vars);
      assert.equal(refused.status, 200);
      assert.equal(refused.json.data, null);
      assert.deepEqual(
        refused.json.errors.map((e: any) => [e.message, e.path]),
        [["query consumed excessive resources, please try running smaller queries which consume fewer resources", null]],
      );
      assert.equal(sim.stats.queries, 6, "the refused request is not charged");
      sim.options.statusCodes = "documented";
      assert.equal((await post(sim, twoNodes, vars)).status, 429);
      assert.equal(
        (await post(sim, twoNodes, { ...vars, from: iso(NOW - HOUR + MINUTE) })).json.errors,
        null,
        "one minute less in the 1m node: 3 owner-minutes less",
      );
      // A day rollup counts its days' minutes; an account counts as one owner.
      sim.options.maxOwnerMinutesPerRequest = 2 * 1440 - 1;
      const day = iso(NOW - 3 * DAY).slice(0, 10);
      const days = await post(
        sim,
        `{ viewer { zones(filter: { zoneTag: "${tag(1)}" }) {
        httpRequests1dGroups(filter: { date_geq: "${day}", date_lt: "${iso(NOW - DAY).slice(0, 10)}" }, limit: 10) { sum { requests } } } } }`,
      );
      assert.equal(days.status, 429, "two days are 2,880 owner-minutes");
      const account = await post(
        sim,
        `{ viewer { accounts(filter: { accountTag: "${tag(9)}" }) {
        workersInvocationsAdaptive(filter: { datetime_geq: "${iso(NOW - 2 * DAY)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { sum { requests } } } } }`,
      );
      assert.equal(account.status, 429, "one account over two days");
      sim.options.maxOwnerMinutesPerRequest = 2 * 1440;
      assert.equal(
        (
          await post(
            sim,
            `{ viewer { accounts(filter: { accountTag: "${tag(9)}" }) {
        workersInvocationsAdaptive(filter: { datetime_geq: "${iso(NOW - 2 * DAY)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { sum { requests } } } } }`,
          )
        ).json.errors,
        null,
      );
    } finally {
      sim.options.maxOwnerMinutesPerRequest = undefined;
      sim.options.statusCodes = "observed";
    }
    assert.equal((await post(sim, twoNodes, vars)).json.errors, null, "off again");
  });
});

describe("simulator documented errors: fields", () => {
  const FREE = tag(0x21);
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW, plans: { [FREE]: "free" } });
  });
  after(async () => {
    await sim.close();
  });
  const exporterVars = { zoneTags: [tag(1)], from: iso(NOW - HOUR), to: iso(NOW), limit: 10_000 };
  const setCap = (cap: number): void => {
    sim.options.settings.httpRequests1mGroups = { ...sim.options.settings.httpRequests1mGroups, maxNumberOfFields: cap };
  };

  it("enforceFieldCap: the exporter's 30-field 1m query passes a cap of 30 and is refused by 29, 400 when documented", async () => {
    assert.equal(sim.options.enforceFieldCap, false, "off by default");
    setCap(29);
    try {
      assert.equal((await post(sim, EXPORTER_1M, exporterVars)).json.errors, null, "off: the cap is only reported");
      sim.options.enforceFieldCap = true;
      const refused = await post(sim, EXPORTER_1M, exporterVars);
      assert.equal(refused.status, 200);
      assert.equal(refused.json.data, null);
      assert.deepEqual(
        refused.json.errors.map((e: any) => [e.message, e.path]),
        [["number of fields can't be more than 29", ["viewer", "zones", "0", "httpRequests1mGroups"]]],
      );
      sim.options.statusCodes = "documented";
      assert.equal((await post(sim, EXPORTER_1M, exporterVars)).status, 400);
      setCap(30);
      const ok = await post(sim, EXPORTER_1M, exporterVars);
      assert.equal(ok.status, 200);
      assert.equal(ok.json.errors, null, "30 fields pass a cap of 30");
      const settings = await post(sim, `{ viewer { zones(filter: { zoneTag: "${tag(1)}" }) { settings { httpRequests1mGroups { maxNumberOfFields } } } } }`);
      assert.equal(settings.json.data.viewer.zones[0].settings.httpRequests1mGroups.maxNumberOfFields, 30, "the cap is the reported one");
    } finally {
      setCap(30);
      sim.options.enforceFieldCap = false;
      sim.options.statusCodes = "observed";
    }
  });

  it("enforceFieldCap: counts the leaves of one node (count, confidence and every section), not __typename", async () => {
    const window = `datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}"`;
    // 1 count + 1 sum + 1 quantile + 2 dimensions + 2 confidence leaves = 7; the other node and __typename do not count.
    const q = `{ viewer { zones(filter: { zoneTag: "${tag(2)}" }) {
      httpRequestsAdaptiveGroups(filter: { ${window} }, limit: 10) { __typename count sum { edgeResponseBytes }
        quantiles { edgeResponseBytesP50 } dimensions { datetimeMinute clientCountryName }
        confidence(level: 0.95) { count { estimate isValid } } }
      httpRequests1mGroups(filter: { ${window} }, limit: 100) { sum { requests bytes cachedRequests cachedBytes pageViews threats visits: pageViews } } } } }`;
    const node = sim.options.settings.httpRequestsAdaptiveGroups;
    sim.options.enforceFieldCap = true;
    try {
      sim.options.settings.httpRequestsAdaptiveGroups = { ...node, maxNumberOfFields: 7 };
      setCap(7);
      assert.equal((await post(sim, q)).json.errors, null, "7 and 7 leaves pass caps of 7");
      sim.options.settings.httpRequestsAdaptiveGroups = { ...node, maxNumberOfFields: 6 };
      const refused = await post(sim, q);
      assert.deepEqual(
        refused.json.errors.map((e: any) => [e.message, e.path]),
        [["number of fields can't be more than 6", ["viewer", "zones", "0", "httpRequestsAdaptiveGroups"]]],
      );
      sim.options.settings.httpRequestsAdaptiveGroups = node;
      setCap(6);
      assert.equal((await post(sim, q)).json.errors[0].message, "number of fields can't be more than 6", "an alias is one more field");
    } finally {
      sim.options.settings.httpRequestsAdaptiveGroups = node;
      setCap(30);
      sim.options.enforceFieldCap = false;
    }
  });

  it("hideAvailableFields: availableFields is empty, and refused fields still fail with their lower-case name", async () => {
    const settingsQuery = `{ viewer { zones(filter: { zoneTag: "${FREE}" }) { settings {
      httpRequestsAdaptiveGroups { enabled availableFields } httpRequests1hGroups { enabled availableFields } } } } }`;
    const refusedQuery = `{ viewer { zones(filter: { zoneTag: "${FREE}" }) { httpRequestsAdaptiveGroups(
      filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { count avg { originResponseDurationMs } } } } }`;
    const before = await post(sim, settingsQuery);
    const listed = before.json.data.viewer.zones[0].settings;
    assert.ok(listed.httpRequestsAdaptiveGroups.availableFields.includes("count"), "off: the fields are listed");
    assert.ok(listed.httpRequests1hGroups.availableFields.includes("sum_requests"));
    const refusedBefore = await post(sim, refusedQuery);
    sim.options.hideAvailableFields = true;
    try {
      const hidden = await post(sim, settingsQuery);
      assert.deepEqual(hidden.json.data.viewer.zones[0].settings, {
        httpRequestsAdaptiveGroups: { enabled: true, availableFields: [] },
        httpRequests1hGroups: { enabled: true, availableFields: [] },
      });
      const refused = await post(sim, refusedQuery);
      assert.equal(refused.json.data, null);
      assert.deepEqual(refused.json.errors[0], {
        message: `zone '${FREE}' does not have access to the field 'originresponsedurationms' from the path`,
        path: ["viewer", "zones", "0", "httpRequestsAdaptiveGroups"],
        extensions: { code: "authz", timestamp: refused.json.errors[0].extensions.timestamp },
      });
      assert.deepEqual(
        { ...refused.json.errors[0], extensions: {} },
        { ...refusedBefore.json.errors[0], extensions: {} },
        "the same refusal as with the list shown",
      );
      const allowed = await post(
        sim,
        `{ viewer { zones(filter: { zoneTag: "${FREE}" }) { httpRequestsAdaptiveGroups(
        filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { count } } } }`,
      );
      assert.equal(allowed.json.errors, null, "allowed fields are served");
    } finally {
      sim.options.hideAvailableFields = false;
    }
  });
});

describe("simulator idle owners (idleTags)", () => {
  let sim: Simulator;
  const IDLE = tag(7);
  const BUSY = tag(8);
  before(async () => {
    sim = await startSimulator({ now: () => NOW, idleTags: [IDLE] });
  });
  after(() => sim.close());

  it("answers empty lists for an idle zone's rollups and Adaptive nodes, next to a busy zone's rows; ground truth agrees", async () => {
    const query = `{ viewer { zones(filter: { zoneTag_in: ["${IDLE}", "${BUSY}"] }) { zoneTag
      httpRequests1mGroups(filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 100) { sum { requests } }
      httpRequestsAdaptiveGroups(filter: { datetime_geq: "${iso(NOW - HOUR)}", datetime_lt: "${iso(NOW)}" }, limit: 100) { count } } } }`;
    const answer = await post(sim, query);
    assert.equal(answer.json.errors, null);
    const zones = Object.fromEntries(answer.json.data.viewer.zones.map((z: any) => [z.zoneTag, z]));
    assert.deepEqual([zones[IDLE].httpRequests1mGroups, zones[IDLE].httpRequestsAdaptiveGroups], [[], []]);
    assert.ok(zones[BUSY].httpRequests1mGroups.length > 0 && zones[BUSY].httpRequestsAdaptiveGroups.length > 0, "the busy zone has rows");
    assert.equal(sim.groundTruth.minute(IDLE, NOW - HOUR), null);
    assert.deepEqual(sim.groundTruth.groups("httpRequestsAdaptiveGroups", IDLE, NOW - HOUR, NOW), []);
    assert.notEqual(sim.groundTruth.minute(BUSY, NOW - HOUR), null);
  });

  it("checks an idle zone's query as any other: a window wider than maxDuration is still refused", async () => {
    const answer = await post(
      sim,
      `{ viewer { zones(filter: { zoneTag: "${IDLE}" }) { httpRequestsAdaptiveGroups(
        filter: { datetime_geq: "${iso(NOW - 5 * DAY)}", datetime_lt: "${iso(NOW)}" }, limit: 10) { count } } } }`,
    );
    assert.equal(answer.json.data, null);
    assert.match(answer.json.errors[0].message, /query time range is too large/);
  });
});
