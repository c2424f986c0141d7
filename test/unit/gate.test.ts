import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { askGate } from "../../src/gate.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer("/allowed");
});
after(() => server?.close());

const gate = (over: { uri?: string; timeoutSeconds?: number } = {}) => ({ uri: server.url, cluster: "prod-eu", namespace: "monitoring", timeoutSeconds: 2, caFile: undefined, ...over });

describe("concurrency gate", () => {
  it("is open when no URI is configured, without any request", async () => {
    server.received.length = 0;
    assert.equal((await askGate({ uri: undefined, cluster: "", namespace: "", timeoutSeconds: 1, caFile: undefined })).allowed, true);
    assert.equal(server.received.length, 0);
  });
  it("sends cluster and namespace as query parameters", async () => {
    server.script = [{ body: "True" }];
    server.received.length = 0;
    await askGate(gate());
    assert.equal(server.received[0]!.url, "/allowed?cluster=prod-eu&namespace=monitoring");
  });
  const table: [string, { status?: number; body: string; delayMs?: number }, boolean][] = [
    ["True", { body: "True" }, true],
    ["true with whitespace, any case", { body: "  tRuE\n" }, true],
    ["False", { body: "False" }, false],
    ["True with a non-2xx status", { status: 503, body: "True" }, false],
    ["anything else", { body: "yes" }, false],
    ["an empty body", { body: "" }, false],
    ["no answer in time", { body: "True", delayMs: 1500 }, false],
  ];
  for (const [name, answer, allowed] of table) {
    it(`${name} -> ${allowed ? "allowed" : "not allowed"}`, async () => {
      server.script = [answer];
      const decision = await askGate(gate({ timeoutSeconds: 1 }));
      assert.equal(decision.allowed, allowed, decision.reason);
    });
  }
  it("fails closed when the gate is unreachable", async () => {
    const decision = await askGate(gate({ uri: "http://127.0.0.1:9/allowed" }));
    assert.equal(decision.allowed, false);
    assert.match(decision.reason, /unreachable/);
  });
});
