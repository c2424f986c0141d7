/**
 * The concurrency gate against a scripted gate at the wire: only True and False are answers; everything else is a
 * gate error (fail closed, with a fix), read with a cap, redirects kept to the gate's origin, a CA of its own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { askGate, MAX_GATE_BODY_BYTES, type GateDecision } from "../../src/gate.js";
import { tlsFixtures } from "../support/auth-front.js";
import { fixturesDir } from "../support/paths.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer("/allowed");
});
after(() => server?.close());

const gate = (over: { uri?: string; timeoutSeconds?: number; caFile?: string } = {}) => ({
  uri: server.url,
  cluster: "prod-eu",
  namespace: "monitoring",
  timeoutSeconds: 2,
  caFile: undefined as string | undefined,
  ...over,
});

/** A gate error: not allowed, and a reason and fix that say what happened. */
function assertGateError(decision: GateDecision, kind: string, reason: RegExp, fix?: RegExp): void {
  assert.equal(decision.allowed, false, decision.reason);
  assert.ok(decision.error, `a gate error, not a quiet denial: ${decision.reason}`);
  assert.equal(decision.error.service, "gate");
  assert.equal(decision.error.kind, kind, decision.reason);
  assert.match(decision.reason, reason);
  assert.ok(decision.error.fix, "names a fix");
  if (fix) assert.match(decision.error.fix, fix);
}

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

  it("True (trimmed, any case) allows; False is a quiet denial, not an error", async () => {
    for (const body of ["True", "  tRuE\n", `True${" ".repeat(MAX_GATE_BODY_BYTES - 10)}`]) {
      server.script = [{ body }];
      const decision = await askGate(gate());
      assert.equal(decision.allowed, true, decision.reason);
      assert.equal(decision.error, undefined);
    }
    server.script = [{ body: "False\n" }];
    const denied = await askGate(gate());
    assert.equal(denied.allowed, false);
    assert.equal(denied.error, undefined, "False is the standby environment's normal answer");
    assert.match(denied.reason, /answered False/);
  });

  const errors: [string, { status?: number; body: string; delayMs?: number }, string, RegExp][] = [
    ["404", { status: 404, body: "not found" }, "status", /answered HTTP 404/],
    ["True with a non-2xx status", { status: 503, body: "True" }, "status", /answered HTTP 503/],
    ["an HTML page", { body: "<!DOCTYPE html><html><head><title>Sign in</title></head><body>True</body></html>" }, "body", /HTML page/],
    ["anything else", { body: "yes" }, "body", /neither True nor False \("yes"\)/],
    ["an empty body", { body: "" }, "body", /neither True nor False/],
    ["no answer in time", { body: "True", delayMs: 1500 }, "timeout", /no answer within 1s/],
  ];
  for (const [name, answer, kind, reason] of errors) {
    it(`${name}: a gate error`, async () => {
      server.script = [answer];
      assertGateError(await askGate(gate({ timeoutSeconds: 1 })), kind, reason);
    });
  }

  it("a refused connection: a gate error naming it", async () => {
    assertGateError(await askGate(gate({ uri: "http://127.0.0.1:9/allowed" })), "unreachable", /unreachable \(connection refused\)/, /NO_CONCURRENCY_URI/);
  });

  it("a body over 1 KiB is a gate error, and reading stops at the cap: a slow endless body is not waited for", async () => {
    // 300 MB of padding ending in True, 256 bytes every 10 ms: reading it whole would take over three hours.
    const times = (300 * 1024 * 1024) / 256;
    server.script = [{ body: "", stream: { chunk: " ".repeat(256), times, intervalMs: 10, last: "True" } }];
    const sentBefore = server.bytesSent;
    const started = Date.now();
    assertGateError(await askGate(gate({ timeoutSeconds: 10 })), "too-large", /more than 1024 bytes/);
    assert.ok(Date.now() - started < 2_000, `gave up at once, not after ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the server notices the closed connection
    const sent = server.bytesSent - sentBefore;
    assert.ok(sent < 16 * 1024, `the client closed the connection after the cap: the server sent ${sent} bytes`);
  });

  it("a body over 1 KiB sent as fast as possible is refused as promptly", async () => {
    server.script = [{ body: "", stream: { chunk: " ".repeat(64 * 1024), times: 300 * 16, last: "True" } }];
    const started = Date.now();
    assertGateError(await askGate(gate({ timeoutSeconds: 10 })), "too-large", /more than 1024 bytes/);
    assert.ok(Date.now() - started < 2_000, `gave up at once, not after ${Date.now() - started} ms`);
  });

  it("a declared Content-Length over the cap is refused before reading", async () => {
    server.script = [{ body: "x".repeat(5000) }];
    assertGateError(await askGate(gate()), "too-large", /more than 1024 bytes/);
  });

  it("follows a redirect on the same origin", async () => {
    server.script = [{ status: 302, body: "", headers: { location: "/allowed/v2?cluster=prod-eu" } }, { body: "True" }];
    server.received.length = 0;
    const decision = await askGate(gate());
    assert.equal(decision.allowed, true, decision.reason);
    assert.deepEqual(
      server.received.map((r) => r.url),
      ["/allowed?cluster=prod-eu&namespace=monitoring", "/allowed/v2?cluster=prod-eu"],
    );
  });

  it("does not follow a redirect to another origin: a gate error naming that origin", async () => {
    const other = await startScriptedServer("/elsewhere");
    try {
      other.script = [{ body: "True" }];
      server.script = [{ status: 301, body: "", headers: { location: other.url } }];
      const decision = await askGate(gate());
      assertGateError(decision, "redirect", new RegExp(`another origin, ${new URL(other.url).origin.replace(/[.]/g, "\\.")}`));
      assert.equal(other.received.length, 0, "the other origin was never asked");
    } finally {
      await other.close();
    }
  });

  it("gives up after a few redirects", async () => {
    server.script = [{ status: 307, body: "", headers: { location: "/allowed" } }];
    assertGateError(await askGate(gate()), "redirect", /redirected more than 3 times/);
  });

  describe("over TLS", () => {
    let tls: ScriptedServer;
    before(async () => {
      tls = await startScriptedServer("/allowed", { tls: { cert: tlsFixtures.cert, key: tlsFixtures.key } });
      tls.script = [{ body: "True" }];
    });
    after(() => tls?.close());

    it("without the CA: a TLS gate error that names GATE_CA_FILE", async () => {
      assertGateError(await askGate(gate({ uri: tls.url })), "tls", /TLS failed/, /GATE_CA_FILE/);
    });

    it("with GATE_CA_FILE: the certificate is verified against it and the answer counts", async () => {
      const decision = await askGate(gate({ uri: tls.url, caFile: join(fixturesDir, "tls", "ca.crt") }));
      assert.equal(decision.allowed, true, decision.reason);
    });

    it("an unreadable GATE_CA_FILE: a gate error naming it, no request", async () => {
      tls.received.length = 0;
      assertGateError(
        await askGate(gate({ uri: tls.url, caFile: join(fixturesDir, "tls", "missing-ca.crt") })),
        "tls",
        /GATE_CA_FILE .*missing-ca\.crt cannot be read/,
      );
      assert.equal(tls.received.length, 0);
    });

    it("with GATE_CA_FILE, verification stays on: a host name the certificate does not name is refused", async () => {
      const wrongName = tls.url.replace("127.0.0.1", "127.0.0.2");
      const decision = await askGate(gate({ uri: wrongName, caFile: join(fixturesDir, "tls", "ca.crt") }));
      assert.equal(decision.allowed, false);
      assert.ok(decision.error, decision.reason);
    });
  });
});
