/** The fatal line: one line at level error, naming the service, the kind and the fix, redacted, peers' texts flattened. */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { CloudflareError } from "../../src/cloudflare/errors.js";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { UsageError } from "../../src/errors.js";
import { fatalRecord, oneLine, reportFatal } from "../../src/fatal.js";
import { GateError } from "../../src/gate.js";
import { redactIo } from "../../src/redact.js";
import { SinkError } from "../../src/sinks/sink.js";

const none = (text: string): string => text;

function capture(isTTY = false): Writable & { text: string; isTTY: boolean } {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string; isTTY: boolean };
  out.text = "";
  out.isTTY = isTTY;
  return out;
}

describe("fatal record", () => {
  it("names the service, kind and fix of an exporter error; exit 1", () => {
    const error = new SinkError("Elasticsearch http://es:9200: bulk write failed: cannot connect", undefined, {
      kind: "unreachable",
      fix: "check ES_URL and the network",
    });
    const record = fatalRecord(error, none, new Date("2026-11-20T10:00:00Z"));
    assert.deepEqual(record, {
      level: "error",
      message: "Elasticsearch http://es:9200: bulk write failed: cannot connect",
      service: "elasticsearch",
      kind: "unreachable",
      retryable: false,
      fix: "check ES_URL and the network",
      exitCode: 1,
      timestamp: "2026-11-20T10:00:00.000Z",
    });
  });

  it("configuration and usage errors exit 2; every error has a fix, also when raised without one", () => {
    const config = new ConfigError([
      { key: "CF_ZONES", value: '"abc="', reason: "the zone name is empty", fix: "write id=name" },
      { key: "SETTLE_MINUTES", value: '"5m"', reason: "is not a whole number", fix: "write minutes as a number" },
    ]);
    const record = fatalRecord(config, none);
    assert.equal(record.exitCode, 2);
    assert.equal(record.service, "configuration");
    assert.doesNotMatch(record.message, /\n/);
    assert.match(record.message, /^Invalid configuration \(2 problems\): CF_ZONES = "abc=": .* \| SETTLE_MINUTES = "5m": /);
    assert.equal(fatalRecord(new UsageError("Unknown argument: bogus"), none).fix, "run with --help for usage");
    assert.equal(fatalRecord(new UsageError("x"), none).exitCode, 2);
    assert.match(fatalRecord(new CloudflareError("HTTP 401: Unauthorized", "auth"), none).fix, /CF_API_TOKEN/);
    const gate = fatalRecord(new GateError("gate http://gate/ answered HTTP 404", "status", "point NO_CONCURRENCY_URI at the gate"), none);
    assert.deepEqual([gate.service, gate.kind, gate.exitCode], ["gate", "status", 1]);
  });

  it("anything else is a bug of ours, and says so", () => {
    const record = fatalRecord(new TypeError("cannot read properties of undefined"), none);
    assert.deepEqual([record.service, record.kind, record.exitCode], ["exporter", "internal", 1]);
    assert.match(record.fix, /bug/);
  });

  it("an HTML error page or a multi-line body becomes one short line", () => {
    const html = `HTTP 502: <!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body { color: red }</style></head>\n<body><h1>502 Bad Gateway</h1>\n<p>nginx &amp; friends</p>${"<p>filler</p>\n".repeat(200)}</body></html>`;
    const record = fatalRecord(new CloudflareError(html, "unavailable"), none);
    assert.doesNotMatch(record.message, /[<>\n]/);
    assert.match(record.message, /^HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx & friends filler/);
    assert.ok(record.message.length <= 300, `${record.message.length} characters`);
    assert.equal(oneLine("first\n  second line\n\n- third", 100), "first | second line | third");
  });

  it("redacts before it shortens: a secret cut in two at the limit leaves no part behind", () => {
    const secret = "s3cret-password-0123456789";
    const message = `${"x".repeat(290)}${secret} and more`;
    const record = fatalRecord(new SinkError(message), (text) => text.replaceAll(secret, "<redacted>"));
    assert.ok(!record.message.includes("s3cret"), record.message);
  });
});

describe("reportFatal", () => {
  const config = loadConfig({ flags: {}, env: { CF_ZONES: "z1=example.com", CF_API_TOKEN: "cf-token-SECRET-0001", LOG_FORMAT: "auto" } });

  it("writes one JSON line through the redaction of the command's configuration when not on a terminal", () => {
    const stderr = capture();
    const io = { env: {}, stdout: capture(), stderr };
    redactIo(io, config);
    const code = reportFatal(new SinkError("Elasticsearch echoed\nthe token cf-token-SECRET-0001 back", 401, { kind: "auth", fix: "check ES_USER" }), io);
    assert.equal(code, 1);
    assert.equal(stderr.text.split("\n").length, 2, "one line");
    const line = JSON.parse(stderr.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line), ["level", "message", "service", "kind", "retryable", "fix", "exitCode", "timestamp"]);
    assert.equal(line["message"], "Elasticsearch echoed | the token <redacted> back");
  });

  it("writes a readable line on a terminal", () => {
    const stderr = capture(true);
    const io = { env: {}, stdout: capture(true), stderr };
    redactIo(io, config);
    reportFatal(new GateError("gate http://gate/ answered HTTP 404", "status", "point NO_CONCURRENCY_URI at the gate"), io);
    assert.match(stderr.text, /^\d\d:\d\d:\d\d error gate \(status\): gate http:\/\/gate\/ answered HTTP 404; fix: point NO_CONCURRENCY_URI at the gate\n$/);
  });

  it("before any configuration was loaded, still redacts what the environment holds", () => {
    const stderr = capture();
    const io = { env: { ES_PASSWORD: "env-only-SECRET-77" }, stdout: capture(), stderr };
    reportFatal(new Error("boom env-only-SECRET-77"), io);
    assert.ok(!stderr.text.includes("env-only-SECRET-77"), stderr.text);
  });
});
