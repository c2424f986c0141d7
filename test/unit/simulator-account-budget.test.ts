/**
 * The simulator's account-based rate limiting over real HTTP: with `X-Rate-Limit-Type: account-based` every zone and
 * account has a budget of its own (`ownerBudgetPerFiveMinutes`, `ownerBudgets`) and the per-user budget is left
 * alone; a list of zones is refused in that mode; without the header the per-user budget works as before.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startSimulator, type Simulator } from "../../simulator/index.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const NOW = Date.parse("2026-03-10T12:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const tag = (i: number): string => `${i.toString(16).padStart(2, "0")}${"acc7ba".repeat(5)}`;
const [ZONE_A, ZONE_B, ACCOUNT_X, ACCOUNT_Y] = [tag(1), tag(2), tag(0xa1), tag(0xa2)] as [string, string, string, string];

const ACCOUNT_BASED = { "x-rate-limit-type": "account-based" };
const LIMITS_PAGE =
  "Please try again after 5 minutes. Refer to this page for more details about rate limits: https://developers.cloudflare.com/analytics/graphql-api/limits/";
const ZONE_LIST = "a list of zones at viewer level is not allowed with account-based rate limiting";
const PER_USER = "rate limiter budget depleted, try again after 5 minutes";

interface Answer {
  status: number;
  json: any;
}

async function post(sim: Simulator, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(sim.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer t", ...headers },
    body: JSON.stringify({ query, variables: { from: iso(NOW - HOUR), to: iso(NOW) } }),
  });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

const ROLLUP = "httpRequests1mGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { sum { requests } }";
const HOURLY = "hourly: httpRequests1hGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 10) { sum { requests } }";
const WORKERS = "workersInvocationsAdaptive(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 100) { sum { requests } }";

/** A zone query: `filter` is the zones filter's body, `nodes` the dataset nodes under it. */
const zones = (filter: string, nodes = ROLLUP): string => `query ($from: Time!, $to: Time!) { viewer { zones(filter: { ${filter} }) { zoneTag ${nodes} } } }`;
const zone = (zoneTag: string, nodes = ROLLUP): string => zones(`zoneTag: "${zoneTag}"`, nodes);
const account = (accountTag: string, nodes = WORKERS): string =>
  `query ($from: Time!, $to: Time!) { viewer { accounts(filter: { accountTag: "${accountTag}" }) { accountTag ${nodes} } } }`;

const ok = (a: Answer, what: string): void => assert.equal(a.json.errors, null, `${what}: ${JSON.stringify(a.json.errors)}`);

/** The one error of a refused answer: message, path, extensions.code; data is null. */
function refusal(a: Answer): [string, unknown, unknown] {
  assert.equal(a.json.data, null);
  assert.equal(a.json.errors.length, 1);
  const [e] = a.json.errors;
  assert.match(e.extensions.timestamp, /^\d{4}-\d\d-\d\dT/);
  return [e.message, e.path, e.extensions.code];
}

describe("simulator account-based rate limiting", () => {
  let clock = NOW;
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => clock, budgetClock: "simulated" });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    clock = NOW;
    sim.reset();
    Object.assign(sim.options, { budgetPerFiveMinutes: 300, ownerBudgetPerFiveMinutes: 300, ownerBudgets: {}, statusCodes: "observed" });
  });

  it("defaults to 300 per owner and no overrides", () => {
    assert.equal(sim.options.ownerBudgetPerFiveMinutes, 300);
    assert.deepEqual(sim.options.ownerBudgets, {});
    assert.equal(sim.stats.ownerBudgetPeak, null);
  });

  it("without the header keeps the per-user budget: every zone draws on the same 3, and no owner is charged", async () => {
    sim.options.budgetPerFiveMinutes = 3;
    sim.options.ownerBudgetPerFiveMinutes = 1; // would refuse the second request for A if it applied
    ok(await post(sim, zone(ZONE_A)), "A 1");
    ok(await post(sim, zone(ZONE_A)), "A 2");
    ok(await post(sim, zone(ZONE_B)), "B 1");
    assert.deepEqual(refusal(await post(sim, zone(ZONE_B))), [PER_USER, null, "budget"]);
    // Any other value of the header is not the opt-in.
    assert.deepEqual(refusal(await post(sim, zone(ZONE_B), { "x-rate-limit-type": "user-based" }))[0], PER_USER);
    assert.equal(sim.stats.budgetRejections, 2);
    assert.equal(sim.stats.ownerBudgetRejections, 0);
    assert.equal(sim.stats.accountBasedRequests, 0);
    assert.equal(sim.stats.queries, 3);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 0);
    assert.equal(sim.stats.ownerBudgetPeak, null);
  });

  it("with the header gives each zone its own budget, names the zone that ran out, and leaves the per-user budget alone", async () => {
    sim.options.ownerBudgetPerFiveMinutes = 3;
    sim.options.budgetPerFiveMinutes = 1; // would refuse the second request if it applied
    for (let i = 1; i <= 3; i++) ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), `A ${i}`);
    const over = await post(sim, zone(ZONE_A), ACCOUNT_BASED);
    assert.equal(over.status, 200);
    assert.deepEqual(refusal(over), [`Zone ${ZONE_A} has exceeded its rate limit. ${LIMITS_PAGE}`, null, "budget"]);
    sim.options.statusCodes = "documented";
    assert.equal((await post(sim, zone(ZONE_A), ACCOUNT_BASED)).status, 429);
    sim.options.statusCodes = "observed";
    ok(await post(sim, zone(ZONE_B), ACCOUNT_BASED), "B still has its own budget");
    // The header is matched without regard to case or surrounding spaces.
    ok(await post(sim, zone(ZONE_B), { "X-Rate-Limit-Type": " Account-Based " }), "B again");

    assert.equal(sim.stats.ownerBudgetRejections, 2);
    assert.equal(sim.stats.budgetRejections, 0);
    assert.equal(sim.stats.accountBasedRequests, 7);
    assert.equal(sim.stats.queries, 5);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 3);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_B), 2);
    assert.deepEqual(sim.stats.ownerBudgetPeak, { scope: "zone", tag: ZONE_A, queries: 3 });

    // viewer { budget } answers the per-user figure, which account-based requests do not spend.
    const budget = await post(sim, `{ viewer { budget } }`, ACCOUNT_BASED);
    assert.deepEqual(budget.json.data, { viewer: { budget: 1 } });
    // And the per-user budget still applies, apart, to requests without the header.
    ok(await post(sim, zone(ZONE_A)), "per-user budget untouched");
    assert.equal(refusal(await post(sim, zone(ZONE_A)))[0], PER_USER);
  });

  it("charges each owner the dataset nodes it is queried with, on the simulated clock's sliding 5 minutes", async () => {
    sim.options.ownerBudgetPerFiveMinutes = 3;
    ok(await post(sim, zone(ZONE_A, `${ROLLUP} ${HOURLY}`), ACCOUNT_BASED), "2 nodes");
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 2);
    clock = NOW + 2 * MINUTE;
    assert.match(refusal(await post(sim, zone(ZONE_A, `${ROLLUP} ${HOURLY}`), ACCOUNT_BASED))[0], /^Zone /, "2 + 2 > 3");
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "2 + 1 fits");
    // A zone named twice (two fields, one zone) is one owner, charged for both fields.
    const twice = `query ($from: Time!, $to: Time!) { viewer { a: zones(filter: { zoneTag: "${ZONE_B}" }) { ${ROLLUP} }
      b: zones(filter: { zoneTag_in: ["${ZONE_B}"] }) { ${ROLLUP} } } }`;
    ok(await post(sim, twice, ACCOUNT_BASED), "B in two fields");
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_B), 2);
    // The first charge leaves the window 5 minutes after it was made; the second stays.
    clock = NOW + 5 * MINUTE;
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 1);
    ok(await post(sim, zone(ZONE_A, `${ROLLUP} ${HOURLY}`), ACCOUNT_BASED), "room again");
    assert.deepEqual(sim.stats.ownerBudgetPeak, { scope: "zone", tag: ZONE_A, queries: 3 });
    // A request without dataset nodes charges nothing.
    ok(await post(sim, `{ viewer { zones(filter: { zoneTag: "${ZONE_A}" }) { zoneTag } } }`, ACCOUNT_BASED), "no nodes");
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 3);
  });

  it("charges account-scoped queries to the account, with per-tag budgets", async () => {
    sim.options.ownerBudgetPerFiveMinutes = 3;
    sim.options.ownerBudgets = { [ACCOUNT_Y]: 1 };
    for (let i = 1; i <= 3; i++) ok(await post(sim, account(ACCOUNT_X), ACCOUNT_BASED), `X ${i}`);
    const over = await post(sim, account(ACCOUNT_X), ACCOUNT_BASED);
    assert.deepEqual(refusal(over), [`Account ${ACCOUNT_X} has exceeded its rate limit. ${LIMITS_PAGE}`, null, "budget"]);
    ok(await post(sim, account(ACCOUNT_Y), ACCOUNT_BASED), "Y 1");
    assert.match(refusal(await post(sim, account(ACCOUNT_Y), ACCOUNT_BASED))[0], new RegExp(`^Account ${ACCOUNT_Y} has exceeded`), "Y's own 1");
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "a zone is not its account");
    assert.equal(sim.ownerBudgetUsed("account", ACCOUNT_X), 3);
    assert.equal(sim.ownerBudgetUsed("account", ACCOUNT_Y), 1);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 1);
    assert.equal(sim.stats.ownerBudgetRejections, 2);
  });

  it("refuses uncharged: no owner of a refused request is charged", async () => {
    sim.options.ownerBudgetPerFiveMinutes = 2;
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "A 1");
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "A 2");
    const both = `query ($from: Time!, $to: Time!) { viewer { accounts(filter: { accountTag: "${ACCOUNT_X}" }) { ${WORKERS} }
      zones(filter: { zoneTag: "${ZONE_A}" }) { ${ROLLUP} } } }`;
    for (let i = 0; i < 3; i++) assert.match(refusal(await post(sim, both, ACCOUNT_BASED))[0], new RegExp(`^Zone ${ZONE_A} `));
    assert.equal(sim.ownerBudgetUsed("account", ACCOUNT_X), 0, "the account of a refused request is not charged");
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 2);
    assert.equal(sim.stats.queries, 2);
    ok(
      await post(
        sim,
        account(ACCOUNT_X, `${WORKERS} r2: r2OperationsAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: 10) { sum { requests } }`),
        ACCOUNT_BASED,
      ),
      "X has all of its 2",
    );
  });

  it("refuses a list of zones with the header, uncharged, and accepts it without", async () => {
    const list = zones(`zoneTag_in: ["${ZONE_A}", "${ZONE_B}"]`);
    const refused = await post(sim, list, ACCOUNT_BASED);
    assert.equal(refused.status, 200);
    assert.deepEqual(refusal(refused), [ZONE_LIST, null, undefined]);
    sim.options.statusCodes = "documented";
    assert.equal((await post(sim, list, ACCOUNT_BASED)).status, 400);
    sim.options.statusCodes = "observed";
    // Two zones fields naming one zone each are a list too (our model is strict here).
    const aliased = `query ($from: Time!, $to: Time!) { viewer { a: zones(filter: { zoneTag: "${ZONE_A}" }) { ${ROLLUP} }
      b: zones(filter: { zoneTag: "${ZONE_B}" }) { ${ROLLUP} } } }`;
    assert.equal(refusal(await post(sim, aliased, ACCOUNT_BASED))[0], ZONE_LIST);
    // Even beyond maxZonesPerQuery the mode's refusal is the one given.
    const eleven = zones(`zoneTag_in: [${Array.from({ length: 11 }, (_, i) => `"${tag(0x10 + i)}"`).join(", ")}]`);
    assert.equal(refusal(await post(sim, eleven, ACCOUNT_BASED))[0], ZONE_LIST);
    assert.equal(sim.stats.zoneListRejections, 4);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 0);
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_B), 0);
    assert.equal(sim.stats.queries, 0);

    ok(await post(sim, zones(`zoneTag_in: ["${ZONE_A}"]`), ACCOUNT_BASED), "one zone in zoneTag_in");
    ok(await post(sim, zones(`zoneTag: "${ZONE_B}"`), ACCOUNT_BASED), "one zone in zoneTag");
    const answer = await post(sim, list);
    ok(answer, "without the header a list is fine");
    assert.deepEqual(
      answer.json.data.viewer.zones.map((z: { zoneTag: string }) => z.zoneTag),
      [ZONE_A, ZONE_B],
    );
    assert.equal(sim.stats.queries, 4);
  });

  it("reset empties every owner's window and the peak", async () => {
    sim.options.ownerBudgetPerFiveMinutes = 1;
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "A");
    assert.equal(refusal(await post(sim, zone(ZONE_A), ACCOUNT_BASED))[2], "budget");
    sim.reset();
    assert.equal(sim.ownerBudgetUsed("zone", ZONE_A), 0);
    assert.equal(sim.stats.ownerBudgetPeak, null);
    assert.equal(sim.stats.ownerBudgetRejections, 0);
    ok(await post(sim, zone(ZONE_A), ACCOUNT_BASED), "A after reset");
  });
});
