/**
 * Discovery of zones and accounts: the filters (pure), and the REST client and listing against the simulator's REST
 * endpoints (our fake Cloudflare, at the wire): pagination, what is retried and what is not, the rate limit and its
 * headers, refused permissions, the CA and the answer-size cap.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startSimulator, type RestZone, type Simulator } from "../../simulator/index.js";
import type { RetryNotice, TimeLimit } from "../../src/cloudflare/client.js";
import { applyFilters, describeDiscovery, discoverOwners, globMatcher, type ListedZone } from "../../src/cloudflare/discovery.js";
import { CloudflareError, restError } from "../../src/cloudflare/errors.js";
import { rateLimitWaitMs } from "../../src/cloudflare/rest.js";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { RunClock } from "../../src/deadline.js";
import type { CloudflareConfig } from "../../src/config/types.js";
import { startAuthFront } from "../support/auth-front.js";
import { fixturesDir } from "../support/paths.js";
import { startScriptedServer } from "../support/scripted-server.js";

const TOKEN = "test-token-0123456789";
const hex = (prefix: string, n: number): string => `${prefix}${String(n).padStart(32 - prefix.length, "0")}`;
const PROD = { id: hex("a1", 1), name: "Production" };
const SANDBOX = { id: hex("a2", 2), name: "Sandbox Corp" };
const zoneList = (count: number, account = PROD, prefix = "z"): RestZone[] =>
  Array.from({ length: count }, (_, i) => ({ id: hex(prefix, i), name: `site${i}.example.com`, account }));

/** The configuration an exporter pointed at `sim` loads (the REST URL derived from CF_API_URL), with `env` on top. */
function configFor(sim: Simulator, env: Record<string, string> = {}): CloudflareConfig {
  return loadConfig({ flags: {}, env: { CF_API_URL: sim.url, CF_API_TOKEN: TOKEN, CF_MAX_RETRY_SECONDS: "20", ...env } }).cloudflare;
}

const limit = (ms: number): TimeLimit & { stop(): void } => {
  const controller = new AbortController();
  const endsAt = Date.now() + ms;
  return { remainingMs: () => Math.max(0, endsAt - Date.now()), signal: controller.signal, stop: () => controller.abort(new Error("stopped")) };
};

describe("discovery filters", () => {
  const zone = (name: string, account = PROD, status = "active"): ListedZone => ({ id: hex("f", name.length * 7 + name.charCodeAt(0)), name, status, account });
  const zones = [zone("shop.example.com"), zone("blog.example.com"), zone("staging.example.com"), zone("api.example.org", SANDBOX)];
  const accounts = [PROD, SANDBOX];
  const none = { zonesInclude: undefined, zonesExclude: undefined, accountsInclude: undefined, accountsExclude: undefined };
  const names = (r: { zones: { name: string }[] }) => r.zones.map((z) => z.name);

  it("a glob matches a whole id or name, in any case; * any run, ? one character; other characters literally", () => {
    assert.equal(globMatcher("*.example.com")("Shop.Example.COM"), true);
    assert.equal(globMatcher("*.example.com")("example.com"), false);
    assert.equal(globMatcher("shop.example.co?")("shop.example.com"), true);
    assert.equal(globMatcher("shop.example.com")("shopxexample.com"), false, "a dot is a dot");
    assert.equal(globMatcher("shop")("shop.example.com"), false, "whole names only");
    assert.equal(globMatcher("(a|b)+")("(a|b)+"), true);
  });

  it("without filters, everything", () => {
    assert.deepEqual(
      names(applyFilters(zones, accounts, none)),
      zones.map((z) => z.name),
    );
  });

  it("include by name pattern and by id; exclude wins over include", () => {
    const shop = zones[0]!;
    assert.deepEqual(names(applyFilters(zones, accounts, { ...none, zonesInclude: ["*.example.com"], zonesExclude: ["staging.*"] })), [
      "shop.example.com",
      "blog.example.com",
    ]);
    assert.deepEqual(names(applyFilters(zones, accounts, { ...none, zonesInclude: [shop.id.toUpperCase()] })), ["shop.example.com"]);
  });

  it("an account filter narrows the accounts and their zones; zone filters leave accounts alone", () => {
    const onlySandbox = applyFilters(zones, accounts, { ...none, accountsInclude: ["sandbox*"] });
    assert.deepEqual(names(onlySandbox), ["api.example.org"]);
    assert.deepEqual(onlySandbox.accounts, [SANDBOX]);
    const notSandbox = applyFilters(zones, accounts, { ...none, accountsExclude: [SANDBOX.id] });
    assert.deepEqual(names(notSandbox), ["shop.example.com", "blog.example.com", "staging.example.com"]);
    assert.deepEqual(applyFilters(zones, accounts, { ...none, zonesInclude: ["shop.*"] }).accounts, accounts);
  });

  it("an include list that matches nothing: a configuration error naming the setting and the names seen, abridged", () => {
    const many = Array.from({ length: 25 }, (_, i) => zone(`site${i}.example.net`));
    const error = assertThrows(() => applyFilters(many, accounts, { ...none, zonesInclude: ["shop.example.net", "*.example.org"] }));
    assert.equal(error.key, "CF_ZONES_INCLUDE");
    assert.match(
      error.message,
      /matches none of the 25 zones the credentials can read: site0\.example\.net, site1\.example\.net, .*site9\.example\.net, … \(25 in all\)/,
    );
    assert.doesNotMatch(error.message, /site10\./);
    assert.match(error.fix, /remove CF_ZONES_INCLUDE/);
  });

  it("filters that leave nothing at all: a configuration error; one include pattern of several matching nothing: a warning", () => {
    const error = assertThrows(() => applyFilters(zones, accounts, { ...none, zonesExclude: ["*"], accountsExclude: ["*"] }));
    assert.match(
      error.message,
      /CF_ZONES_EXCLUDE, CF_ACCOUNTS_EXCLUDE .*leave nothing to export of the 4 zones \(shop\.example\.com, .*\) and 2 accounts \(Production, Sandbox Corp\)/,
    );
    const partly = applyFilters(zones, accounts, { ...none, zonesInclude: ["shop.example.com", "gone.example.com"] });
    assert.deepEqual(names(partly), ["shop.example.com"]);
    assert.deepEqual(partly.warnings, ["CF_ZONES_INCLUDE: gone.example.com matches no zone the credentials can read (deleted or renamed?)"]);
  });

  it("the account filter matches accounts the zones name even when they were not listed", () => {
    assert.deepEqual(names(applyFilters(zones, [], { ...none, accountsInclude: ["Sandbox Corp"] })), ["api.example.org"]);
  });
});

function assertThrows(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  return assert.fail("expected a ConfigError");
}

describe("discovery against the simulator's REST API", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());
  const serve = (options: Partial<Simulator["options"]>) => {
    Object.assign(
      sim.options,
      { accounts: [], zones: [], accountsListing: "ok", zonesListing: "ok", restFaults: [], restBudgetPerFiveMinutes: 1200, tokens: undefined, latencyMs: 0 },
      options,
    );
    sim.reset();
  };

  it("lists every page of accounts and active zones, in Cloudflare's order and with its names, once each", async () => {
    serve({ accounts: [PROD, SANDBOX], zones: [...zoneList(120), { id: hex("p", 1), name: "pending.example", status: "pending", account: PROD }] });
    const found = await discoverOwners(configFor(sim));
    assert.equal(found.zones.length, 120);
    assert.deepEqual(found.zones.slice(0, 2), [
      { id: hex("z", 0), name: "site0.example.com" },
      { id: hex("z", 1), name: "site1.example.com" },
    ]);
    assert.deepEqual(found.zones.at(-1), { id: hex("z", 119), name: "site119.example.com" });
    assert.deepEqual(found.accounts, [PROD, SANDBOX]);
    const requests = sim.stats.rest.log.map((e) => `${e.path}?${e.query}`);
    assert.deepEqual(requests.sort(), [
      "/accounts?page=1&per_page=50",
      "/zones?status=active&page=1&per_page=50",
      "/zones?status=active&page=2&per_page=50",
      "/zones?status=active&page=3&per_page=50",
    ]);
    assert.equal(found.requests, 4);
    assert.equal(
      describeDiscovery(found),
      "discovered 120 zones and 2 accounts (of 120 active zones and 2 accounts the credentials can read, no filters) in 4 REST requests",
    );
  });

  it("sends the token as a bearer, or the e-mail and global key, and nothing else", async () => {
    serve({ zones: zoneList(1), tokens: [TOKEN] });
    await discoverOwners(configFor(sim));
    const key = "0123456789abcdef0123456789abcdef01234";
    const found = await discoverOwners(configFor(sim, { CF_API_TOKEN: "", CF_API_EMAIL: "ops@example.com", CF_API_KEY: key }));
    assert.equal(found.zones.length, 1);
  });

  it("a token in CF_API_KEY: Cloudflare's 6003/6103, an auth error whose fix says where a token goes; not retried", async () => {
    serve({ zones: zoneList(1) });
    const retries: RetryNotice[] = [];
    const error = await discoverOwners(configFor(sim, { CF_API_TOKEN: "", CF_API_EMAIL: "ops@example.com", CF_API_KEY: TOKEN }), {
      onRetry: (n) => retries.push(n),
    }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "auth", String(error));
    assert.match(error.message, /listing accounts, page 1: HTTP 400: 6003 Invalid request headers; 6103 Invalid format for X-Auth-Key header/);
    assert.match(error.fix!, /put an API token into CF_API_TOKEN/);
    assert.equal(retries.length, 0);
    assert.equal(sim.stats.rest.requests, 1);
  });

  it("a token Cloudflare does not know: an auth error (code 1000)", async () => {
    serve({ zones: zoneList(1), tokens: ["another-token-0123456789"] });
    const error = await discoverOwners(configFor(sim)).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "auth");
    assert.match(error.message, /1000 Invalid API Token/);
  });

  for (const mode of ["forbidden", "account-token"] as const) {
    it(`GET /accounts refused (${mode}): the accounts the zones belong to, said once`, async () => {
      serve({ accounts: [PROD, SANDBOX], zones: [...zoneList(2), ...zoneList(1, SANDBOX, "y")], accountsListing: mode });
      const found = await discoverOwners(configFor(sim));
      assert.deepEqual(found.accounts, [PROD, SANDBOX]);
      assert.equal(found.zones.length, 3);
      assert.match(
        found.accountsNote!,
        mode === "forbidden" ? /9109 Unauthorized to access requested resource/ : /1001 List accounts endpoint does not support account owned tokens/,
      );
      assert.match(found.accountsNote!, /using the 2 accounts the zones belong to/);
    });
  }

  it("GET /zones refused: the accounts are still exported, with a warning naming Zone > Zone > Read", async () => {
    serve({ accounts: [PROD], zones: zoneList(3), zonesListing: "forbidden" });
    const found = await discoverOwners(configFor(sim));
    assert.deepEqual([found.zones.length, found.accounts], [0, [PROD]]);
    assert.match(found.warnings.join("\n"), /listing zones was refused.*fix: give the token Zone > Zone > Read/);
  });

  it("credentials that can list nothing (or are refused both lists): exit 2, naming the permissions", async () => {
    serve({});
    const empty = await discoverOwners(configFor(sim)).catch((e: unknown) => e);
    assert.ok(empty instanceof ConfigError, String(empty));
    assert.equal(empty.key, "CF_API_TOKEN");
    assert.match(empty.message, /can list no zone and no account/);
    assert.match(empty.fix, /Zone > Zone > Read and Zone > Analytics > Read .*Account > Account Settings > Read/);
    serve({ zones: zoneList(2), accountsListing: "forbidden", zonesListing: "forbidden" });
    const refused = await discoverOwners(configFor(sim)).catch((e: unknown) => e);
    assert.ok(refused instanceof ConfigError);
    assert.match(refused.message, /listing zones, page 1: HTTP 403: 9109 .*listing accounts, page 1: HTTP 403: 9109/);
  });

  it("a page that fails midway is retried, and the listing completes", async () => {
    serve({ zones: zoneList(120), restFaults: [{ path: "/zones", page: 2, kind: "http503", times: 2 }] });
    const retries: RetryNotice[] = [];
    const found = await discoverOwners(configFor(sim), { minRetryDelayMs: 10, onRetry: (n) => retries.push(n) });
    assert.equal(found.zones.length, 120);
    assert.deepEqual(
      retries.map((r) => [r.context, r.error.kind]),
      [
        ["listing zones, page 2", "unavailable"],
        ["listing zones, page 2", "unavailable"],
      ],
    );
  });

  it("a page that keeps failing fails discovery as a whole, naming the page, within CF_MAX_RETRY_SECONDS", async () => {
    serve({ zones: zoneList(200), restFaults: [{ path: "/zones", page: 3, kind: "html502" }] });
    const started = Date.now();
    const error = await discoverOwners(configFor(sim, { CF_MAX_RETRY_SECONDS: "1" }), { minRetryDelayMs: 50 }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "unavailable", String(error));
    assert.equal(error.message, "listing zones, page 3: HTTP 502: 502 Bad Gateway 502 Bad Gateway");
    assert.ok(Date.now() - started < 5000);
  });

  it("a page that fails for good ends the listing at once, also for pages waiting to be retried", async () => {
    const zones = zoneList(150);
    zones[120] = { id: "not an id", name: "x.example", account: PROD };
    serve({ zones, restFaults: [{ path: "/zones", page: 2, kind: "http429", retryAfter: 10 }] });
    const started = Date.now();
    const error = await discoverOwners(configFor(sim)).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "malformed", String(error));
    assert.match(error.message, /listing zones, page 3, item 21: id/);
    assert.ok(Date.now() - started < 5000, `page 2's wait of 10 s was abandoned (${Date.now() - started} ms)`);
  });

  it("a body cut short is malformed and retried", async () => {
    serve({ zones: zoneList(3), restFaults: [{ path: "/zones", kind: "truncated", times: 1 }] });
    const retries: RetryNotice[] = [];
    assert.equal((await discoverOwners(configFor(sim), { minRetryDelayMs: 10, onRetry: (n) => retries.push(n) })).zones.length, 3);
    assert.deepEqual(
      retries.map((r) => r.error.kind),
      ["malformed"],
    );
  });

  it("REST's 429 (code 10100) is waited out for as long as retry-after says, then retried", async () => {
    serve({ zones: zoneList(3), restFaults: [{ path: "/zones", kind: "http429", times: 1, retryAfter: 2 }] });
    const retries: RetryNotice[] = [];
    const started = Date.now();
    assert.equal((await discoverOwners(configFor(sim), { minRetryDelayMs: 10, onRetry: (n) => retries.push(n) })).zones.length, 3);
    assert.ok(Date.now() - started >= 2000, "waited retry-after");
    assert.equal(retries[0]!.error.kind, "budget");
    assert.match(retries[0]!.error.message, /HTTP 429: 10100 More than 1200 requests per 300 seconds reached/);
    assert.ok(retries[0]!.delayMs >= 2000);
  });

  it("a wait longer than the run has left is not begun: the run's deadline ends discovery", async () => {
    serve({ zones: zoneList(3), restFaults: [{ path: "/zones", kind: "http429", retryAfter: 300 }] });
    const error = await discoverOwners(configFor(sim), { time: limit(3000) }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "budget", String(error));
    assert.equal(sim.stats.rest.requests, 2, "no second try of the zones");
  });

  it("the pacer (CF_REST_BUDGET) waits rather than run into Cloudflare's limit; its wait is bounded by the deadline", async () => {
    serve({ zones: zoneList(120) });
    const error = await discoverOwners(configFor(sim, { CF_REST_BUDGET: "3" }), { time: limit(2000), concurrency: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "deadline", String(error));
    assert.match(error.message, /waiting for the REST request budget \(CF_REST_BUDGET\) \(\d+s\) would outlast the run's deadline/);
    assert.equal(sim.stats.rest.budgetRejections, 0, "Cloudflare's limit was never hit");
    assert.equal(sim.stats.rest.requests, 3);
  });

  it("Cloudflare's Ratelimit header saying nothing is left makes the next request wait", async () => {
    // The simulator's limit is 2: its second answer says r=0, so the third request waits (here: past the deadline).
    serve({ zones: zoneList(120), restBudgetPerFiveMinutes: 2 });
    const error = await discoverOwners(configFor(sim), { time: limit(2000), concurrency: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "deadline", String(error));
    assert.match(error.message, /waiting as Cloudflare's rate limit asks/);
    assert.equal(sim.stats.rest.budgetRejections, 0);
  });

  it("a stop signal ends discovery at once", async () => {
    serve({ zones: zoneList(3), latencyMs: 2000 });
    const time = limit(60_000);
    setTimeout(() => time.stop(), 100);
    const started = Date.now();
    const error = await discoverOwners(configFor(sim), { time }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "deadline", String(error));
    assert.ok(Date.now() - started < 1500);
  });

  it("a request still unanswered when the run's deadline passes fails as the deadline, naming it, every time", async () => {
    // The request's own timeout must not race the deadline: when it was capped at the time left, either could fire
    // first, and a run then failed as "no answer in time" (a network error) instead of the deadline.
    serve({ zones: zoneList(3), latencyMs: 5000 });
    for (let i = 0; i < 8; i++) {
      const clock = new RunClock(0.2 + i * 0.013);
      const error = await discoverOwners(configFor(sim), { time: clock }).catch((e: unknown) => e);
      assert.ok(error instanceof CloudflareError && error.kind === "deadline", `try ${i}: ${String(error)}`);
      assert.match(error.message, /listing accounts, page 1: not sent or not awaited: the run's deadline of [\d.]+s \(RUN_DEADLINE_SECONDS\) has passed/);
    }
  });

  it("an answer larger than CF_MAX_RESPONSE_BYTES is refused, not retried", async () => {
    serve({ zones: zoneList(50) });
    const error = await discoverOwners({ ...configFor(sim), maxResponseBytes: 10_000 }).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "too-large", String(error));
    assert.match(error.message, /listing zones, page 1: the answer is larger than 10000 bytes/);
  });

  it("a zone id that is no id is a malformed answer, never a document id", async () => {
    serve({ zones: [{ id: "../../etc", name: "x.example", account: PROD }] });
    const error = await discoverOwners(configFor(sim, { CF_MAX_RETRY_SECONDS: "0" })).catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "malformed", String(error));
    assert.match(error.message, /listing zones, page 1, item 1: id \("\.\.\/\.\.\/etc"\) is not an id/);
  });

  it("over HTTPS with CF_CA_FILE: the CA is trusted; without it the certificate is refused at once", async () => {
    serve({ zones: zoneList(2) });
    const front = await startAuthFront(new URL(sim.url).origin, { authorization: `Bearer ${TOKEN}` }, { tls: true });
    try {
      const env = { CF_API_URL: `${front.url}/client/v4/graphql` };
      const found = await discoverOwners(configFor(sim, { ...env, CF_CA_FILE: join(fixturesDir, "tls", "ca.crt") }));
      assert.equal(found.zones.length, 2);
      assert.equal(front.passed, 2);
      const error = await discoverOwners(configFor(sim, env)).catch((e: unknown) => e);
      assert.ok(error instanceof CloudflareError && error.kind === "unreachable", String(error));
    } finally {
      await front.close();
    }
  });
});

describe("discovery against answers other than the simulator's", () => {
  const ok = (result: unknown[], info?: object) => ({ body: { success: true, errors: [], messages: [], result, ...(info ? { result_info: info } : {}) } });
  const zone = (n: number, status = "active") => ({ id: hex("s", n), name: `s${n}.example`, status, account: PROD });

  it("a zone that is not active, answered despite status=active, is left out and counted", async () => {
    const server = await startScriptedServer("/client/v4/graphql");
    try {
      server.script = [ok([PROD]), ok([zone(1), zone(2, "moved")])];
      const found = await discoverOwners(loadConfig({ flags: {}, env: { CF_API_URL: server.url, CF_API_TOKEN: TOKEN } }).cloudflare);
      assert.deepEqual(found.zones, [{ id: hex("s", 1), name: "s1.example" }]);
      assert.equal(found.inactive, 1);
      assert.match(describeDiscovery(found), /; 1 zone not active left out\) in 2 REST requests$/);
    } finally {
      await server.close();
    }
  });

  it("without total_pages, pages are read until one comes back short; one that only repeats is refused", async () => {
    const server = await startScriptedServer("/client/v4/graphql");
    try {
      const full = Array.from({ length: 50 }, (_, i) => zone(i));
      server.script = [ok([]), ok(full), ok([zone(50)])];
      const config = loadConfig({ flags: {}, env: { CF_API_URL: server.url, CF_API_TOKEN: TOKEN } }).cloudflare;
      assert.equal((await discoverOwners(config)).zones.length, 51);
      server.script = [ok([]), ok(full), ok(full)];
      const error = await discoverOwners(config).catch((e: unknown) => e);
      assert.ok(error instanceof CloudflareError && error.kind === "malformed", String(error));
      assert.match(error.message, /listing zones: page 2 repeats earlier items/);
    } finally {
      await server.close();
    }
  });
});

describe("REST answers classified", () => {
  const cases: [string, Parameters<typeof restError>[1], string][] = [
    ["429", { status: 429, errors: [{ code: 10100, message: "More than 1200 requests" }], text: "" }, "budget"],
    ["10100 with another status", { status: 400, errors: [{ code: 10100, message: "More than 1200 requests" }], text: "" }, "budget"],
    [
      "6003/6111",
      {
        status: 400,
        errors: [
          { code: 6003, message: "Invalid request headers" },
          { code: 6111, message: "x" },
        ],
        text: "",
      },
      "auth",
    ],
    ["9106 missing headers", { status: 400, errors: [{ code: 9106, message: "Missing X-Auth-Key" }], text: "" }, "auth"],
    ["401", { status: 401, errors: [], text: "Unauthorized" }, "auth"],
    ["9109", { status: 403, errors: [{ code: 9109, message: "Unauthorized to access requested resource" }], text: "" }, "access"],
    ["10000 as 403", { status: 403, errors: [{ code: 10000, message: "Authentication error" }], text: "" }, "access"],
    ["code 0 requires permission", { status: 403, errors: [{ code: 0, message: "Actor requires permission to list zones" }], text: "" }, "access"],
    ["503", { status: 503, errors: [], text: "Service Unavailable" }, "unavailable"],
    ["200 without the envelope", { status: 200, errors: [], text: "{}" }, "malformed"],
    ["404 (a wrong CF_REST_URL)", { status: 404, errors: [{ code: 7000, message: "No route for that URI" }], text: "" }, "query"],
  ];
  for (const [name, failure, kind] of cases) {
    it(`${name} -> ${kind}`, () => {
      const error = restError("listing zones, page 1", failure);
      assert.equal(error.kind, kind);
      assert.ok(error.fix, "every REST error says what to do");
    });
  }

  it("rate-limit headers: retry-after, Ratelimit r=0;t=, x-ratelimit-remaining 0 with a reset", () => {
    const h = (entries: Record<string, string>) => new Headers(entries);
    assert.equal(rateLimitWaitMs(h({ "retry-after": "7" }), 429), 7000);
    assert.equal(rateLimitWaitMs(h({}), 429), 60_000, "a 429 without a word waits a minute");
    assert.equal(rateLimitWaitMs(h({ ratelimit: '"default";r=0;t=30' }), 200), 30_000);
    assert.equal(rateLimitWaitMs(h({ ratelimit: '"default";r=5;t=30' }), 200), 0);
    assert.equal(rateLimitWaitMs(h({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "12" }), 200), 12_000);
    assert.equal(rateLimitWaitMs(h({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2000000010" }), 200, 2_000_000_000_000), 10_000);
  });
});
