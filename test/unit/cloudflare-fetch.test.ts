/**
 * What the exporter does with each documented Cloudflare error and hostile answer, against the simulator (our model of
 * Cloudflare, faked only at the wire): a request the same request can never pass is answered with a different one,
 * fewer owners, a shorter window, fewer fields, and never sent again unchanged.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { HUGE_LITERAL, startSimulator, type Simulator } from "../../simulator/index.js";
import { createCloudflareClient, type CloudflareClient } from "../../src/cloudflare/client.js";
import { CloudflareError } from "../../src/cloudflare/errors.js";
import { fetchTask, matchFields, type Fetched, type Task } from "../../src/cloudflare/fetch.js";
import { readLimits, saneLimits } from "../../src/cloudflare/settings.js";
import type { CloudflareConfig } from "../../src/config/types.js";
import type { Dataset, Owner } from "../../src/datasets/dataset.js";
import { httpOrigin } from "../../src/datasets/http-origin.js";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { selectedLeaves } from "../../src/datasets/query.js";
import { MalformedResponseError } from "../../src/datasets/shape.js";
import { decide } from "../../src/matrix.js";

const MINUTE = 60_000;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const zones: Owner[] = [1, 2, 3, 4].map((n) => ({ scope: "zone", id: `0${n}000000000000000000000000000000`.slice(0, 32), name: `z${n}.example` }));
const window = { from: NOW - 70 * MINUTE, to: NOW - 10 * MINUTE };

function config(url: string, over: Partial<CloudflareConfig> = {}): CloudflareConfig {
  return {
    apiUrl: url,
    auth: { kind: "token", token: "test-token-0123456789" },
    zones: [],
    accounts: [],
    topN: 100,
    confidenceLevel: undefined,
    queryBudget: 300,
    rateLimit: "user",
    timeoutSeconds: 5,
    maxRetrySeconds: 5,
    caFile: undefined,
    maxResponseBytes: 64 << 20,
    zonesInclude: undefined,
    zonesExclude: undefined,
    accountsInclude: undefined,
    accountsExclude: undefined,
    restUrl: undefined,
    restBudget: 600,
    ...over,
  };
}

/** Follows every retry the way a run does, until each owner's windows are answered, skipped or failed. */
async function drain(client: CloudflareClient, dataset: Dataset, first: Task): Promise<{ tasks: Task[]; results: Fetched[] }> {
  const tasks: Task[] = [];
  const results: Fetched[] = [];
  const queue = [first];
  while (queue.length > 0) {
    const task = queue.shift()!;
    tasks.push(task);
    const result = await fetchTask(client, dataset, task, { limit: 10_000, spillDir });
    results.push(result);
    queue.unshift(...result.retry);
  }
  return { tasks, results };
}

let spillDir: string;
before(async () => {
  spillDir = await mkdtemp(join(tmpdir(), "fetch-test-"));
});
after(() => rm(spillDir, { recursive: true, force: true }));

const answered = (results: Fetched[]) => results.flatMap((r) => [...r.rows.keys()]);
const requestKey = (sim: Simulator, i: number) => JSON.stringify([sim.stats.log[i]!.query, sim.stats.log[i]!.variables]);

describe("documented Cloudflare errors get a different request", () => {
  let sim: Simulator;
  let client: CloudflareClient;
  before(async () => {
    sim = await startSimulator({ now: () => NOW, statusCodes: "documented" });
    client = createCloudflareClient(config(sim.url), { minRetryDelayMs: 10 });
  });
  after(() => sim.close());

  it("too many nodes and zones: fewer owners per request, never the same request again", async () => {
    sim.reset();
    sim.options.maxQueriesPerRequest = 2;
    try {
      const { tasks, results } = await drain(client, httpRequests, { window, owners: zones, omit: new Set() });
      assert.deepEqual(
        tasks.map((t) => t.owners.length),
        [4, 2, 2],
      );
      assert.deepEqual(answered(results).sort(), zones.map((z) => z.id).sort());
      assert.equal(sim.stats.requests, 3, "the refused request was not retried unchanged");
      const keys = sim.stats.log.map((_, i) => requestKey(sim, i));
      assert.equal(new Set(keys).size, keys.length);
    } finally {
      sim.options.maxQueriesPerRequest = undefined;
    }
  });

  it("excessive resources: the window is halved until it passes, and fails only at one minute", async () => {
    sim.reset();
    sim.options.maxOwnerMinutesPerRequest = 20;
    try {
      const { tasks, results } = await drain(client, httpRequests, { window, owners: [zones[0]!], omit: new Set() });
      const sizes = tasks.map((t) => (t.window.to - t.window.from) / MINUTE);
      assert.equal(sizes[0], 60);
      assert.ok(sizes.every((m, i) => i === 0 || m < 60));
      const passed = results.flatMap((r, i) => (r.rows.size > 0 ? [tasks[i]!.window] : []));
      assert.equal(
        passed.reduce((n, w) => n + (w.to - w.from) / MINUTE, 0),
        60,
        "every minute answered once",
      );
      assert.ok(passed.every((w) => w.to - w.from <= 20 * MINUTE));

      sim.options.maxOwnerMinutesPerRequest = 0;
      const one = await fetchTask(
        client,
        httpRequests,
        { window: { from: window.from, to: window.from + MINUTE }, owners: [zones[0]!], omit: new Set() },
        { limit: 10_000, spillDir },
      );
      assert.equal(one.failed.length, 1);
      assert.match(one.failed[0]![1], /excessive resources.*even for one minute/);
    } finally {
      sim.options.maxOwnerMinutesPerRequest = undefined;
    }
  });

  it("a field cap: the matrix sheds deprecated fields first, so the query fits before it is sent", async () => {
    sim.reset();
    sim.options.enforceFieldCap = true;
    sim.options.settings.httpRequests1mGroups.maxNumberOfFields = 28;
    try {
      const limits = await readLimits(client, "zone", [zones[0]!], ["httpRequests1mGroups"]);
      const decision = decide(httpRequests, zones[0]!, limits.get(zones[0]!.id), false);
      assert.equal(decision.on, true);
      assert.deepEqual([...decision.omit], ["sum_countryMap_threats", "sum_threats"]);
      assert.match(decision.reason, /without sum_countryMap_threats, sum_threats \(Cloudflare allows 28 fields per query of httpRequests1mGroups\)/);
      assert.ok(selectedLeaves(httpRequests.query(decision.omit), "httpRequests1mGroups") <= 28);
      const result = await fetchTask(client, httpRequests, { window, owners: [zones[0]!], omit: decision.omit }, { limit: 10_000, spillDir });
      assert.equal(result.rows.size, 1);
    } finally {
      sim.options.enforceFieldCap = false;
      sim.options.settings.httpRequests1mGroups.maxNumberOfFields = 30;
    }
  });

  it("a field cap the settings did not tell: asked again once, without optional fields", async () => {
    sim.reset();
    sim.options.enforceFieldCap = true;
    sim.options.settings.httpRequests1mGroups.maxNumberOfFields = 27;
    try {
      const { tasks, results } = await drain(client, httpRequests, { window, owners: [zones[0]!], omit: new Set() });
      assert.equal(tasks.length, 2);
      assert.deepEqual([...tasks[1]!.omit], ["sum_countryMap_threats", "sum_threats", "sum_threatPathingMap_threatPathingName"]);
      assert.match(results[0]!.shed.get(zones[0]!.id)!, /Cloudflare allows 27 fields/);
      assert.equal(results[1]!.rows.size, 1);
    } finally {
      sim.options.enforceFieldCap = false;
      sim.options.settings.httpRequests1mGroups.maxNumberOfFields = 30;
    }
  });

  it("a field the plan refuses, named in lower case: asked again without it; the dataset stays on", async () => {
    sim.reset();
    sim.options.hideAvailableFields = true;
    const free = zones[1]!;
    (sim.options as { plans: Record<string, string> }).plans = { [free.id]: "free" };
    try {
      const { tasks, results } = await drain(client, httpOrigin, { window, owners: [zones[0]!, free], omit: new Set() });
      const refusal = sim.stats.log.find((e) => e.status !== 200);
      assert.ok(refusal, "Cloudflare refused the first query");
      assert.deepEqual(answered(results).sort(), [zones[0]!.id, free.id].sort(), "both zones answered, none skipped");
      assert.deepEqual(
        results.flatMap((r) => r.skipped),
        [],
      );
      const freeTask = tasks.find((t) => t.owners.length === 1 && t.owners[0] === free && t.omit.size > 0)!;
      assert.deepEqual([...freeTask.omit].sort(), [
        "avg_originResponseDurationMs",
        "quantiles_originResponseDurationMsP50",
        "quantiles_originResponseDurationMsP95",
        "quantiles_originResponseDurationMsP99",
      ]);
      assert.equal(tasks.length, 3, "the refused query, the paid zone again, the Free zone without the field family");
    } finally {
      sim.options.hideAvailableFields = false;
      (sim.options as { plans: Record<string, string> }).plans = {};
    }
  });

  it("matches Cloudflare's lower-case field names to the dataset's fields, whole families at once", () => {
    assert.deepEqual(matchFields(httpOrigin, "originresponsedurationmsp95").length, 4);
    assert.deepEqual(matchFields(httpRequests, "threats"), ["sum_countryMap_threats", "sum_threats"]);
    assert.deepEqual(matchFields(httpRequests, "nosuchfield"), []);
  });

  it("credentials refused inside errors[] end the run's work: an error, not a skip", async () => {
    sim.options.tokens = ["another-token-0123456789"];
    try {
      const error = await fetchTask(client, httpRequests, { window, owners: [zones[0]!], omit: new Set() }, { limit: 10_000, spillDir }).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof CloudflareError && error.kind === "auth", String(error));
      assert.match(error.fix ?? "", /CF_API_TOKEN/);
    } finally {
      sim.options.tokens = undefined;
    }
  });
});

/** Waits up to 5 s for `done`: the simulator learns that a client went away only when its socket closes. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !done(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() - started > 5000) assert.fail(what);
  }
}

describe("hostile answers are bounded", () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ now: () => NOW });
  });
  after(() => sim.close());

  it("an integer beyond 2^53 is a malformed answer naming the field, not a stored figure", async () => {
    sim.options.hugeNumbers = true;
    try {
      const client = createCloudflareClient(config(sim.url));
      const result = await fetchTask(client, httpRequests, { window, owners: [zones[0]!], omit: new Set() }, { limit: 10_000, spillDir });
      const rows: unknown[] = [];
      for await (const row of result.rows.get(zones[0]!.id)!.rows()) rows.push(row);
      assert.throws(
        () => [...httpRequests.flatten(rows, zones[0]!, window, { topN: 100 }).totals],
        (e: Error) => e instanceof MalformedResponseError && /sum\.bytes: a number beyond 2\^53/.test(e.message),
      );
      assert.ok(HUGE_LITERAL.length > 15);
    } finally {
      sim.options.hugeNumbers = false;
    }
  });

  it("a body beyond CF_MAX_RESPONSE_BYTES is refused while it streams; smaller windows are asked instead", async () => {
    sim.reset();
    // Far beyond what loopback socket buffers hold, so an answer the client stops reading cannot be sent whole.
    sim.options.padBodyToBytes = 64 << 20;
    try {
      const client = createCloudflareClient(config(sim.url, { maxResponseBytes: 1 << 20 }), { minRetryDelayMs: 10 });
      const result = await fetchTask(client, httpRequests, { window, owners: [zones[0]!], omit: new Set() }, { limit: 10_000, spillDir });
      assert.equal(result.retry.length, 2, "halves of the window");
      await waitFor(() => sim.stats.paddedAnswersCut === 1, "the 64 MiB answer was not read whole: the client went away mid-stream");
      const one = await fetchTask(
        client,
        httpRequests,
        { window: { from: window.from, to: window.from + MINUTE }, owners: [zones[0]!], omit: new Set() },
        { limit: 10_000, spillDir },
      );
      assert.match(one.failed[0]![1], /larger than 1048576 bytes \(CF_MAX_RESPONSE_BYTES\).*even for one minute/);
      assert.equal(sim.stats.requests, 2, "never retried unchanged");
      await waitFor(() => sim.stats.paddedAnswersCut === 2, "the one-minute answer was cut off too");
    } finally {
      sim.options.padBodyToBytes = 0;
    }
  });

  it("settings beyond sane bounds are clamped with a warning, so planning cannot hang", async () => {
    const raw = { enabled: true, maxDurationSeconds: 1e15, notOlderThanSeconds: 1e15, maxPageSize: 1e9, availableFields: new Set<string>() };
    const { limits, warnings } = saneLimits("httpRequests1dGroups", raw);
    assert.equal(limits.notOlderThanSeconds, 400 * 86_400);
    assert.equal(limits.maxDurationSeconds, 400 * 86_400);
    assert.equal(limits.maxPageSize, 10_000);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0]!, /notOlderThan is 1000000000000000; using 34560000/);

    sim.options.settings.httpRequests1mGroups.notOlderThan = 1e15;
    try {
      const warned: string[] = [];
      const limitsOf = await readLimits(createCloudflareClient(config(sim.url)), "zone", [zones[0]!], ["httpRequests1mGroups"], (w) => warned.push(w));
      assert.equal(limitsOf.get(zones[0]!.id)!.get("httpRequests1mGroups")!.notOlderThanSeconds, 400 * 86_400);
      assert.equal(warned.length, 1, warned.join("\n"));
    } finally {
      sim.options.settings.httpRequests1mGroups.notOlderThan = 7 * 86_400;
    }
  });

  it("a refused connection fails within seconds, naming Cloudflare and the fix, without minutes of retries", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    // Retrying would go on for up to 20 s here (600 s by default); a refused connection must not be retried at all.
    const client = createCloudflareClient(config(`http://127.0.0.1:${port}/client/v4/graphql`, { maxRetrySeconds: 20 }), { minRetryDelayMs: 1000 });
    const error = await client
      .viewer({ context: "probe", query: '{ viewer { zones(filter: { zoneTag: "x" }) { zoneTag } } }', variables: {}, cost: 1 })
      .catch((e: unknown) => e);
    assert.ok(error instanceof CloudflareError, String(error));
    assert.equal(error.kind, "unreachable");
    assert.equal(error.service, "cloudflare");
    assert.match(error.message, /cannot reach Cloudflare \(ECONNREFUSED\)/);
    assert.match(error.fix ?? "", /CF_API_URL/);
    assert.ok(Date.now() - started < 3_000);
  });
});
