/**
 * The simulator's REST endpoints (`GET /client/v4/accounts`, `/client/v4/zones`): Cloudflare's envelope and
 * pagination, the filters, authentication as REST answers it, its own rate limit with the documented headers, the
 * listing modes and injected faults; and its GraphQL side answering for the zones it lists.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startSimulator, type RestZone, type Simulator } from "../../simulator/index.js";

const TOKEN = "sim-token-0123456789";
const ACME = { id: "acc00000000000000000000000000001", name: "Acme Corp" };
const zones: RestZone[] = [
  ...Array.from({ length: 12 }, (_, i) => ({ id: `zone${String(i).padStart(28, "0")}`, name: `z${i}.example`, account: ACME })),
  { id: "pend0000000000000000000000000001", name: "pending.example", status: "pending", account: { id: "acc00000000000000000000000000002", name: "Other" } },
];

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ zones, accounts: [ACME], plans: { [zones[1]!.id]: "free" } });
});
after(() => sim.close());
beforeEach(() => {
  Object.assign(sim.options, { tokens: undefined, restFaults: [], restBudgetPerFiveMinutes: 1200, accountsListing: "ok", zonesListing: "ok" });
  sim.reset();
});

async function get(path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(`${sim.restUrl}${path}`, { headers });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

describe("simulator: REST lists", () => {
  it("serves the REST API beside GraphQL, on the same origin", () => {
    assert.equal(sim.restUrl, sim.url.replace(/\/graphql$/, ""));
  });

  it("zones in Cloudflare's envelope, paged by page and per_page, with result_info", async () => {
    const { status, body } = await get("/zones?page=2&per_page=5");
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ["errors", "messages", "result", "result_info", "success"]);
    assert.equal(body.success, true);
    assert.deepEqual(
      body.result.map((z: { name: string }) => z.name),
      ["z5.example", "z6.example", "z7.example", "z8.example", "z9.example"],
    );
    assert.deepEqual(body.result_info, { page: 2, per_page: 5, count: 5, total_count: 13, total_pages: 3 });
    const zone = body.result[0];
    for (const field of ["id", "name", "status", "paused", "type", "account", "plan", "name_servers", "meta", "owner", "permissions", "activated_on"]) {
      assert.ok(field in zone, `a zone has ${field}`);
    }
    assert.deepEqual(zone.account, ACME);
  });

  it("the plan of a zone follows the simulator's plans option", async () => {
    const { body } = await get("/zones?per_page=5");
    assert.deepEqual(
      body.result.slice(0, 2).map((z: { plan: { legacy_id: string } }) => z.plan.legacy_id),
      ["enterprise", "free"],
    );
  });

  it("filters by status and account.id; the default page is 20 long; a page past the end is empty", async () => {
    assert.equal((await get("/zones?status=active&per_page=50")).body.result.length, 12);
    assert.deepEqual((await get("/zones?status=pending")).body.result_info, { page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 });
    assert.equal((await get(`/zones?account.id=${ACME.id}`)).body.result_info.total_count, 12);
    assert.deepEqual((await get("/zones?page=9&per_page=50")).body.result, []);
  });

  it("refuses per_page outside 5 to 50 and a page below 1", async () => {
    for (const query of ["per_page=51", "per_page=4", "page=0"]) {
      const { status, body } = await get(`/zones?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.success, false);
      assert.equal(body.errors[0].code, 1004);
    }
  });

  it("accounts, in the same envelope", async () => {
    const { body } = await get("/accounts?per_page=50");
    assert.deepEqual(
      body.result.map((a: { id: string; name: string }) => ({ id: a.id, name: a.name })),
      [ACME],
    );
    assert.equal(body.result_info.total_pages, 1);
  });
});

describe("simulator: REST authentication", () => {
  const code = async (headers: Record<string, string>) => {
    const { status, body } = await get("/zones", headers);
    return [status, body.errors?.map((e: { code: number; error_chain?: { code: number }[] }) => [e.code, ...(e.error_chain ?? []).map((c) => c.code)])];
  };

  it("no credentials: 400, 9106", async () => assert.deepEqual(await code({}), [400, [[9106]]]));
  it("an Authorization header that is no bearer token: 400, 6003 with 6111", async () =>
    assert.deepEqual(await code({ authorization: "Token abc" }), [400, [[6003, 6111]]]));
  it("a token put into X-Auth-Key: 400, 6003 with 6103", async () =>
    assert.deepEqual(await code({ "x-auth-email": "a@example.com", "x-auth-key": TOKEN }), [400, [[6003, 6103]]]));
  it("a global key (37 hex characters) with its e-mail passes", async () =>
    assert.deepEqual(await code({ "x-auth-email": "a@example.com", "x-auth-key": "0123456789abcdef0123456789abcdef01234" }), [200, []]));
  it("with a token list, another token: 400, 1000", async () => {
    sim.options.tokens = ["only-this-token-123"];
    assert.deepEqual(await code({ authorization: `Bearer ${TOKEN}` }), [400, [[1000]]]);
    assert.deepEqual(await code({ authorization: "Bearer only-this-token-123" }), [200, []]);
  });
  it("listing modes: forbidden (403, 9109) and an account-owned token on /accounts (400, 1001)", async () => {
    sim.options.zonesListing = "forbidden";
    sim.options.accountsListing = "account-token";
    assert.deepEqual(await code({ authorization: `Bearer ${TOKEN}` }), [403, [[9109]]]);
    const { status, body } = await get("/accounts");
    assert.deepEqual([status, body.errors[0].code], [400, 1001]);
  });
});

describe("simulator: REST rate limit and faults", () => {
  it("counts requests per 5 minutes: Ratelimit headers on every answer, then 429 with code 10100 and retry-after", async () => {
    sim.options.restBudgetPerFiveMinutes = 2;
    const first = await get("/zones");
    assert.equal(first.headers.get("ratelimit-policy"), '"default";q=2;w=300');
    assert.match(first.headers.get("ratelimit")!, /^"default";r=1;t=\d+$/);
    const second = await get("/accounts");
    assert.match(second.headers.get("ratelimit")!, /^"default";r=0;t=(29\d|300)$/);
    const third = await get("/zones");
    assert.equal(third.status, 429);
    assert.deepEqual(third.body.errors[0], {
      code: 10100,
      message: "More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed",
    });
    assert.ok(Number(third.headers.get("retry-after")) > 290);
    assert.equal(sim.stats.rest.budgetRejections, 1);
    assert.deepEqual(sim.stats.rest.statuses, { 200: 2, 429: 1 });
  });

  it("a fault for one page, a given number of times; reset() forgets what was used", async () => {
    sim.options.restFaults = [{ path: "/zones", page: 2, kind: "http500", times: 1 }];
    assert.equal((await get("/zones?page=1&per_page=5")).status, 200);
    assert.equal((await get("/zones?page=2&per_page=5")).status, 500);
    assert.equal((await get("/zones?page=2&per_page=5")).status, 200);
    sim.reset();
    assert.equal((await get("/zones?page=2&per_page=5")).status, 500);
    assert.equal(sim.stats.rest.faults, 1);
  });

  it("fault kinds: 503 envelope, 429 with retry-after, a proxy's HTML 502, a body cut short", async () => {
    sim.options.restFaults = [
      { path: "/accounts", kind: "http503", times: 1 },
      { path: "/accounts", kind: "http429", times: 1, retryAfter: 7 },
      { path: "/accounts", kind: "html502", times: 1 },
      { path: "/accounts", kind: "truncated", times: 1 },
    ];
    const unavailable = await get("/accounts");
    assert.deepEqual([unavailable.status, unavailable.body.success], [503, false]);
    const limited = await get("/accounts");
    assert.deepEqual([limited.status, limited.headers.get("retry-after")], [429, "7"]);
    const proxy = await get("/accounts");
    assert.deepEqual([proxy.status, proxy.headers.get("content-type")], [502, "text/html"]);
    const cut = await get("/accounts");
    assert.equal(cut.status, 200);
    assert.equal(typeof cut.body, "string", "not JSON");
  });

  it("REST requests are logged apart from GraphQL's and do not spend its query budget", async () => {
    await get("/zones?per_page=5");
    assert.deepEqual(
      sim.stats.rest.log.map((e) => [e.path, e.query, e.status]),
      [["/zones", "per_page=5", 200]],
    );
    assert.equal(sim.stats.requests, 0);
    assert.equal(sim.stats.queries, 0);
  });
});

describe("simulator: GraphQL for listed zones", () => {
  it("answers settings for a zone id it lists, with the plan it lists it under", async () => {
    const response = await fetch(sim.url, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        query: `query { viewer { zones(filter: { zoneTag_in: ["${zones[0]!.id}", "${zones[1]!.id}"] }) { zoneTag settings { httpRequests1mGroups { enabled } } } } }`,
      }),
    });
    const body = (await response.json()) as { data: { viewer: { zones: { zoneTag: string; settings: { httpRequests1mGroups: { enabled: boolean } } }[] } } };
    assert.deepEqual(
      body.data.viewer.zones.map((z) => [z.zoneTag, z.settings.httpRequests1mGroups.enabled]),
      [
        [zones[0]!.id, true],
        [zones[1]!.id, false],
      ],
      "enterprise has per-minute rollups, free does not",
    );
  });
});
