/**
 * The redaction point: every form of every configured credential is found, values are redacted and names are not,
 * and the logger and the output streams cannot be bypassed.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { Redactor, redactIo, redactorFor, RedactingStream, secretForms } from "../../src/redact.js";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN = "cf-token-SECRET-0001";
const load = (env: Record<string, string>) => loadConfig({ flags: {}, env: { CF_ZONES: `${ZONE}=example.com`, CF_API_TOKEN: TOKEN, ...env } });

/** A stream that keeps what it was given. */
function sink(): Writable & { text: string } {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  out.text = "";
  return out;
}

describe("secret forms", () => {
  it("an Elasticsearch password: as configured, URL-encoded, JSON-escaped, as a Basic header value and decoded user:password", () => {
    const password = 'pa"ss/w0rd&SECRET';
    const config = load({ ES_USER: "elastic", ES_PASSWORD: password });
    const basic = Buffer.from(`elastic:${password}`).toString("base64");
    const text = [
      `password ${password}`,
      `form password=${encodeURIComponent(password)}`,
      `{"reason":${JSON.stringify(`echo ${password}`)}}`,
      `bad credentials in header [Basic ${basic}] decoded [elastic:${password}]`,
      `token ${TOKEN}, user elastic`,
    ].join("\n");
    const safe = redactorFor(config).text(text);
    for (const leak of [password, encodeURIComponent(password), JSON.stringify(password).slice(1, -1), basic, "ss/w0rd&SECRET"]) {
      assert.ok(!safe.includes(leak), `${leak} leaked:\n${safe}`);
    }
    assert.match(safe, /decoded \[<redacted>\]/);
    assert.match(safe, /user elastic$/, "the user name alone is not a secret");
  });

  it("an Elasticsearch API key: encoded, decoded id:key, and the key part alone", () => {
    const id = "VuaCfGcBCdbkQm-e5aOx";
    const key = "ui2lp2axTNmsyakw9tvNnw";
    const encoded = Buffer.from(`${id}:${key}`).toString("base64");
    const safe = redactorFor(load({ ES_API_KEY: encoded })).text(`ApiKey ${encoded} | ${id}:${key} | key ${key} | ${encodeURIComponent(encoded)}`);
    assert.equal(safe, "ApiKey <redacted> | <redacted> | key <redacted> | <redacted>");
    // Configured as id:key, the encoded form is redacted as well.
    const safe2 = redactorFor(load({ ES_API_KEY: `${id}:${key}` })).text(`Authorization: ApiKey ${encoded}, key ${key}`);
    assert.equal(safe2, "Authorization: ApiKey <redacted>, key <redacted>");
  });

  it("the Cloudflare token or global key", () => {
    assert.equal(redactorFor(load({})).text(`Bearer ${TOKEN}`), "Bearer <redacted>");
    const key = "0123456789abcdef0123456789abcdef01234";
    const config = loadConfig({ flags: {}, env: { CF_ZONES: `${ZONE}=example.com`, CF_API_EMAIL: "me@example.com", CF_API_KEY: key } });
    assert.equal(redactorFor(config).text(`X-Auth-Key: ${key}`), "X-Auth-Key: <redacted>");
    assert.ok(secretForms(config).includes(key));
  });

  it("nothing to hide: text passes unchanged", () => {
    const config = loadConfig({ flags: {}, env: { CF_ZONES: `${ZONE}=example.com` }, mode: { demo: true } });
    assert.equal(redactorFor(config).text("nothing to hide"), "nothing to hide");
  });
});

describe("values, never names or levels", () => {
  it("a record keeps its keys and its level, whatever the secret looks like", () => {
    // Configuration refuses secrets this short; the rule holds regardless.
    const redactor = new Redactor(["info", "index"]);
    assert.deepEqual(redactor.record({ level: "info", message: "info about index", index: { index: "index-1" } }), {
      level: "info",
      message: "<redacted> about <redacted>",
      index: { index: "<redacted>-1" },
    });
  });

  it("log lines: a secret that is also a field name leaves the field names alone, and the level too", () => {
    // A password that reads like a field name of our own log lines.
    const config = load({ ES_USER: "elastic", ES_PASSWORD: "timestamp" });
    const target = sink();
    const log = createLogger({ level: "info", format: "json", output: redactIo({ env: {}, stdout: sink(), stderr: target }, config).stderr });
    log.info("the cluster said: bad password timestamp", { summary: { timestamp: 1, documents: 2 } });
    const line = JSON.parse(target.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line).sort(), ["level", "message", "summary", "timestamp"]);
    assert.equal(line["level"], "info");
    assert.equal(line["message"], "the cluster said: bad password <redacted>");
    assert.deepEqual(line["summary"], { timestamp: 1, documents: 2 });
    assert.match(String(line["timestamp"]), /^\d{4}-\d\d-\d\dT/);
  });

  it("log lines: a secret with JSON's special characters cannot hide behind escaping", () => {
    const password = 'quote"back\\slash-1';
    const config = load({ ES_USER: "elastic", ES_PASSWORD: password });
    const target = sink();
    const log = createLogger({ level: "info", format: "json", output: redactIo({ env: {}, stdout: sink(), stderr: target }, config).stderr });
    log.warn(`echoed: ${password}`);
    assert.ok(!target.text.includes(JSON.stringify(password).slice(1, -1)), target.text);
    assert.equal((JSON.parse(target.text) as { message: string }).message, "echoed: <redacted>");
  });

  it("the output streams redact free text, once wrapped for an io", () => {
    const config = load({});
    const stdout = sink();
    const io = { env: {}, stdout, stderr: sink() };
    const out = redactIo(io, config);
    assert.ok(out.stdout instanceof RedactingStream);
    out.stdout.write(`FAIL  Cloudflare: token ${TOKEN} refused\n`);
    assert.equal(stdout.text, "FAIL  Cloudflare: token <redacted> refused\n");
  });
});
