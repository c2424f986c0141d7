/**
 * The lifecycle path, which the integration-test Elasticsearch cannot exercise (it has no ILM): a fake cluster at
 * the wire that has ILM, and the real sink talking to it. Checks what is sent, not how.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { elasticsearchSink } from "../../src/sinks/elasticsearch/sink.js";

interface Seen {
  method: string;
  path: string;
  body: string;
}

let server: Server;
let url = "";
const seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      seen.push({ method: req.method ?? "", path, body });
      // Every 2xx answer of a real cluster carries this header; the client refuses answers without it.
      res.setHeader("x-elastic-product", "Elasticsearch");
      res.setHeader("content-type", "application/json");
      if (path === "/_ilm/status") return res.end(JSON.stringify({ operation_mode: "RUNNING" }));
      if (path.endsWith("/_bulk")) {
        const items = body.trim().split("\n").filter((_, i) => i % 2 === 0).map(() => ({ index: { status: 201, result: "created" } }));
        return res.end(JSON.stringify({ took: 1, errors: false, items }));
      }
      res.end(JSON.stringify({ acknowledged: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe("Elasticsearch with ILM", () => {
  const config = {
    url: "",
    auth: { kind: "none" as const },
    caFile: undefined,
    tlsVerify: true,
    indexPrefix: "cf",
    indexPeriod: "month" as const,
    retentionDays: 90,
  };

  it("puts a delete-after-retention policy and names it in the template", async () => {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, url });
    const notes = await sink.ensure([httpRequests]);
    await sink.close();
    assert.match(notes[0]!, /deletes indices 90 days after the period they cover/);
    const policy = seen.find((s) => s.method === "PUT" && s.path === "/_ilm/policy/cf-retention");
    assert.ok(policy, "policy written");
    assert.deepEqual(JSON.parse(policy.body).policy.phases.delete, { min_age: "90d", actions: { delete: {} } });
    const template = seen.find((s) => s.method === "PUT" && s.path === "/_index_template/cf-http_requests");
    assert.ok(template, "index template written");
    const body = JSON.parse(template.body);
    assert.deepEqual(body.index_patterns, ["cf-http_requests-*"]);
    assert.equal(body.template.settings["index.lifecycle.name"], "cf-retention");
    const component = seen.find((s) => s.path === "/_component_template/cf-http_requests-mappings");
    assert.equal(JSON.parse(component!.body).template.mappings.dynamic, "strict");
  });

  it("creates each index once, with the lifecycle clock at the end of the period it covers", async () => {
    seen.length = 0;
    const sink = elasticsearchSink({ ...config, url });
    await sink.ensure([httpRequests]);
    const zone = { id: "z1", name: "z1.example" };
    // 30 Nov 23:58 to 1 Dec 00:02: two monthly indices.
    const window = { from: Date.parse("2026-11-30T23:58:00Z"), to: Date.parse("2026-12-01T00:02:00Z") };
    const flat = httpRequests.flatten([], zone, window);
    const outcome = await sink.write({ dataset: "http_requests", zoneId: zone.id, window, ...flat });
    await sink.close();
    assert.equal(outcome.written, 4);
    const created = seen.filter((s) => s.method === "PUT" && /^\/cf-http_requests-\d/.test(s.path));
    assert.deepEqual(created.map((s) => s.path), ["/cf-http_requests-2026.11", "/cf-http_requests-2026.12"]);
    const origination = created.map((s) => JSON.parse(s.body).settings["index.lifecycle.origination_date"]);
    assert.deepEqual(origination, [Date.parse("2026-12-01T00:00:00Z"), Date.parse("2027-01-01T00:00:00Z")]);
  });
});
