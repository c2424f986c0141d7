/**
 * Cloudflare Tunnels over the REST wire: the simulator's `GET /accounts/{id}/cfd_tunnel` (envelope, pages, statuses
 * that follow its clock, refusal), and the exporter's `listTunnels` against it (every page, retries of 429 and 5xx
 * like discovery's, a refusal naming the permission).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startSimulator, tunnelAt, type SimTunnel, type Simulator } from "../../simulator/index.js";
import { CloudflareError } from "../../src/cloudflare/errors.js";
import { createRestClient } from "../../src/cloudflare/rest.js";
import { listTunnels } from "../../src/cloudflare/tunnels.js";
import type { CloudflareConfig } from "../../src/config/types.js";

const ACCOUNT = "acc00000000000000000000000000001";
const REFUSED = "acc00000000000000000000000000002";
const flapping: SimTunnel = {
  id: "c1744f8b-faa1-48a4-9e5c-02ac921467fa",
  name: "web",
  schedule: [
    { status: "healthy", minutes: 3 },
    { status: "degraded", minutes: 1 },
    { status: "down", minutes: 2 },
  ],
  connections: 4,
  colos: ["FRA", "AMS"],
};
const many: SimTunnel[] = Array.from({ length: 60 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, name: `t${i}` }));
const T0 = Date.parse("2026-12-06T06:00:00Z"); // minute index divisible by 6: the schedule's first minute
let clock = T0;

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ now: () => clock, tunnels: { [ACCOUNT]: [flapping, ...many] }, tunnelsRefused: [REFUSED] });
});
after(() => sim.close());
beforeEach(() => {
  Object.assign(sim.options, { restFaults: [], restBudgetPerFiveMinutes: 1200 });
  clock = T0;
  sim.reset();
});

async function get(path: string) {
  const response = await fetch(`${sim.restUrl}${path}`, { headers: { authorization: "Bearer sim-token" } });
  return { status: response.status, body: (await response.json()) as any };
}

const config = (): CloudflareConfig =>
  ({
    restUrl: sim.restUrl,
    auth: { kind: "token", token: "sim-token" },
    timeoutSeconds: 10,
    maxRetrySeconds: 30,
    restBudget: 1200,
  }) as unknown as CloudflareConfig;

describe("simulator: tunnel list", () => {
  it("pages an account's tunnels in Cloudflare's envelope; the fields of a cfd_tunnel", async () => {
    const { status, body } = await get(`/accounts/${ACCOUNT}/cfd_tunnel?is_deleted=false&page=2&per_page=50`);
    assert.equal(status, 200);
    assert.deepEqual(body.result_info, { page: 2, per_page: 50, count: 11, total_count: 61, total_pages: 2 });
    const first = (await get(`/accounts/${ACCOUNT}/cfd_tunnel?per_page=5`)).body.result[0];
    for (const field of ["id", "account_tag", "name", "status", "connections", "tun_type", "created_at", "deleted_at", "conns_active_at"])
      assert.ok(field in first, field);
    assert.equal(first.account_tag, ACCOUNT);
    assert.deepEqual((await get(`/accounts/${ACCOUNT}/cfd_tunnel?is_deleted=true`)).body.result, []);
    assert.deepEqual((await get(`/accounts/acc0000000000000000000000000000f/cfd_tunnel`)).body.result, [], "an account without tunnels");
  });

  it("statuses follow the schedule on the simulator's clock, with the connections of each status", async () => {
    const seen: [string, number, number][] = [];
    for (let m = 0; m < 7; m++) {
      clock = T0 + m * 60_000 + 30_000;
      const t = (await get(`/accounts/${ACCOUNT}/cfd_tunnel?per_page=5`)).body.result[0];
      seen.push([t.status, t.connections.length, t.connections.filter((c: any) => c.is_pending_reconnect).length]);
      assert.equal(t.status, tunnelAt(flapping, clock), "tunnelAt is the ground truth");
    }
    assert.deepEqual(seen, [
      ["healthy", 4, 0],
      ["healthy", 4, 0],
      ["healthy", 4, 0],
      ["degraded", 4, 3],
      ["down", 4, 4],
      ["down", 4, 4],
      ["healthy", 4, 0],
    ]);
  });

  it("refuses a token without the permission: 403, code 10000", async () => {
    const { status, body } = await get(`/accounts/${REFUSED}/cfd_tunnel`);
    assert.equal(status, 403);
    assert.deepEqual(body.errors, [{ code: 10000, message: "Authentication error" }]);
    assert.deepEqual(
      sim.stats.rest.log.map((e) => [e.path, e.status]),
      [[`/accounts/${REFUSED}/cfd_tunnel`, 403]],
    );
  });
});

describe("listTunnels over the REST wire", () => {
  it("reads every page, without deleted tunnels", async () => {
    const warnings: string[] = [];
    const listed = await listTunnels(createRestClient(config()), ACCOUNT, warnings);
    assert.equal(listed.length, 61);
    assert.deepEqual(listed[0], {
      id: flapping.id,
      name: "web",
      status: "healthy",
      connections: [
        { colo: "FRA", pendingReconnect: false },
        { colo: "AMS", pendingReconnect: false },
        { colo: "FRA", pendingReconnect: false },
        { colo: "AMS", pendingReconnect: false },
      ],
    });
    assert.deepEqual(warnings, []);
    assert.ok(sim.stats.rest.log.every((e) => e.query.includes("is_deleted=false")));
    assert.equal(sim.stats.rest.requests, 2);
  });

  it("retries a 429 (waiting as retry-after says) and a 500, then lists", async () => {
    sim.options.restFaults = [
      { path: "/cfd_tunnel", page: 1, kind: "http429", times: 1, retryAfter: 1 },
      { path: "/cfd_tunnel", page: 2, kind: "http500", times: 1 },
    ];
    const retries: string[] = [];
    const client = createRestClient(config(), { minRetryDelayMs: 10, onRetry: (n) => retries.push(n.error.kind) });
    const started = Date.now();
    assert.equal((await listTunnels(client, ACCOUNT, [])).length, 61);
    assert.deepEqual(retries.sort(), ["budget", "unavailable"]);
    assert.ok(Date.now() - started >= 1000, "waited for retry-after");
  });

  it("a refusal is an access error whose fix names Cloudflare Tunnel Read", async () => {
    await assert.rejects(listTunnels(createRestClient(config()), REFUSED, []), (error: unknown) => {
      assert.ok(error instanceof CloudflareError);
      assert.equal(error.kind, "access");
      assert.match(error.message, /listing the tunnels of account acc0+2, page 1: HTTP 403: 10000 Authentication error/);
      assert.match(error.fix ?? "", /Account > Cloudflare Tunnel > Read/);
      return true;
    });
  });

  it("5xx beyond CF_MAX_RETRY_SECONDS fails the listing as unavailable", async () => {
    sim.options.restFaults = [{ path: "/cfd_tunnel", kind: "http503" }];
    const client = createRestClient({ ...config(), maxRetrySeconds: 0.05 }, { minRetryDelayMs: 10 });
    await assert.rejects(listTunnels(client, ACCOUNT, []), (error: unknown) => error instanceof CloudflareError && error.kind === "unavailable");
  });
});
