/** The Cloudflare client against canned answers on a local socket: what is retried, what is not, and what is said. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCloudflareClient, type RetryNotice, type TimeLimit } from "../../src/cloudflare/client.js";
import { CloudflareError } from "../../src/cloudflare/errors.js";
import type { CloudflareConfig } from "../../src/config/types.js";
import { RunClock } from "../../src/deadline.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const TOKEN = "tok_secret_value_123456";
let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer("/client/v4/graphql");
});
after(() => server?.close());

function client(over: Partial<CloudflareConfig> = {}, retries: RetryNotice[] = [], time?: TimeLimit) {
  const config: CloudflareConfig = {
    apiUrl: server.url,
    auth: { kind: "token", token: TOKEN },
    zones: [],
    accounts: [],
    topN: 100,
    confidenceLevel: undefined,
    queryBudget: 250,
    rateLimit: "user",
    timeoutSeconds: 2,
    maxRetrySeconds: 20,
    caFile: undefined,
    maxResponseBytes: 1 << 20,
    zonesInclude: undefined,
    zonesExclude: undefined,
    accountsInclude: undefined,
    accountsExclude: undefined,
    restUrl: undefined,
    restBudget: 600,
    ...over,
  };
  return createCloudflareClient(config, { minRetryDelayMs: 10, onRetry: (n) => retries.push(n), ...(time ? { time } : {}) });
}
const request = { context: "test query", query: "query { viewer { zones { zoneTag } } }", variables: {}, cost: 1 };
const ok = { body: { data: { viewer: { zones: [{ zoneTag: "a" }] } }, errors: null } };
const gqlError = (message: string, code?: string) => ({
  body: {
    data: null,
    errors: [{ message, path: ["viewer", "zones", "0", "httpRequests1mGroups"], extensions: { ...(code ? { code } : {}), timestamp: "2026-11-23T00:00:00Z" } }],
  },
});

describe("Cloudflare client", () => {
  it("posts the query with the bearer token to the configured endpoint", async () => {
    server.script = [ok];
    server.received.length = 0;
    const viewer = await client().viewer(request);
    assert.deepEqual(viewer, { zones: [{ zoneTag: "a" }] });
    const sent = server.received[0]!;
    assert.equal(sent.url, "/client/v4/graphql");
    assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(JSON.parse(sent.body).query, request.query);
  });

  it("sends e-mail and global key headers for key auth", async () => {
    server.script = [ok];
    server.received.length = 0;
    await client({ auth: { kind: "key", email: "ops@example.com", key: "globalkey123" } }).viewer(request);
    assert.equal(server.received[0]!.headers["x-auth-email"], "ops@example.com");
    assert.equal(server.received[0]!.headers["x-auth-key"], "globalkey123");
  });

  const transient: [string, object][] = [
    ["budget depleted as HTTP 200 + errors[]", gqlError("rate limiter budget depleted, try again after 5 minutes", "budget")],
    ["budget depleted as HTTP 429", { status: 429, ...gqlError("rate limiter budget depleted, try again after 5 minutes", "budget") }],
    ["too many queries in progress (503)", { status: 503, body: { errors: [{ message: "too many queries in progress, please try again later" }] } }],
    ["a body cut short", { body: '{"data":{"viewer":{"zones":[{"zoneT' }],
    ["HTTP 500", { status: 500, body: "Internal server error" }],
  ];
  for (const [name, answer] of transient) {
    it(`retries ${name}, then succeeds`, async () => {
      server.script = [answer as never, answer as never, ok];
      const retries: RetryNotice[] = [];
      const viewer = await client({}, retries).viewer(request);
      assert.deepEqual(viewer, { zones: [{ zoneTag: "a" }] });
      assert.equal(retries.length, 2);
      assert.ok(retries.every((r) => r.error.transient));
    });
  }

  const permanent: [string, object, string][] = [
    ["a zone without access (Free plan)", gqlError("zone 'abc123' does not have access to the path", "authz"), "access"],
    ["a refused token", gqlError("Unauthorized", "authz"), "auth"],
    ["data older than allowed", gqlError("cannot request data older than 604800s"), "query"],
    ["an unknown field", gqlError('unknown field "foo"'), "query"],
  ];
  for (const [name, answer, kind] of permanent) {
    it(`does not retry ${name}`, async () => {
      server.script = [answer as never, ok];
      server.received.length = 0;
      const error = await client()
        .viewer(request)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(error instanceof CloudflareError, String(error));
      assert.equal(error.kind, kind);
      assert.equal(server.received.length, 1);
      assert.match(error.message, /test query/);
      assert.ok(!error.message.includes(TOKEN));
    });
  }

  it("names the zones Cloudflare refused", async () => {
    server.script = [gqlError("zone 'abc123' does not have access to the path")];
    const error = (await client()
      .viewer(request)
      .catch((e: unknown) => e)) as CloudflareError;
    assert.deepEqual(error.zoneIds, ["abc123"]);
  });

  it("gives up on transient errors once the retry time is used up", async () => {
    server.script = [{ status: 503, body: "unavailable", delayMs: 300 }];
    const started = Date.now();
    const error = await client({ maxRetrySeconds: 1 })
      .viewer(request)
      .catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError && error.kind === "unavailable");
    assert.ok(Date.now() - started < 5_000);
  });

  it("a query still unanswered when the run's deadline passes fails as the deadline, not as a timeout, every time", async () => {
    for (let i = 0; i < 8; i++) {
      server.script = [{ ...ok, delayMs: 3000 }];
      const time = new RunClock(0.2 + i * 0.013);
      const error = await client({}, [], time)
        .viewer(request)
        .catch((e: unknown) => e);
      assert.ok(error instanceof CloudflareError && error.kind === "deadline", `try ${i}: ${String(error)}`);
      assert.match(error.message, /test query: not sent or not awaited: the run's deadline of [\d.]+s \(RUN_DEADLINE_SECONDS\) has passed/);
    }
  });

  it("treats an endpoint fetch refuses outright (a blocked port) as unreachable, not worth retrying", async () => {
    const error = await createCloudflareClient(
      {
        apiUrl: "http://127.0.0.1:9/graphql",
        auth: undefined,
        zones: [],
        accounts: [],
        topN: 100,
        confidenceLevel: undefined,
        queryBudget: 1,
        rateLimit: "user",
        timeoutSeconds: 1,
        maxRetrySeconds: 0,
        caFile: undefined,
        maxResponseBytes: 1 << 20,
        zonesInclude: undefined,
        zonesExclude: undefined,
        accountsInclude: undefined,
        accountsExclude: undefined,
        restUrl: undefined,
        restBudget: 600,
      },
      { minRetryDelayMs: 10 },
    )
      .viewer(request)
      .catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError, String(error));
    assert.equal(error.kind, "unreachable");
    assert.equal(error.transient, false);
  });
});
