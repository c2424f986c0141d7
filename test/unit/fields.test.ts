import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderFieldsDoc } from "../../src/datasets/fields-doc.js";
import { label, mergeFields, metric } from "../../src/datasets/fields.js";
import { datasets } from "../../src/datasets/index.js";
import { firewallEvents } from "../../src/datasets/firewall-events.js";
import { browser, country, host, httpVersion, sslProtocol } from "../../src/datasets/shared-fields.js";
import { runFields } from "../../src/runs/run-document.js";
import { mappingProperties, missingProperties, type MappingProperty } from "../../src/sinks/mapping.js";
import { indexName, periodEnd, periodStart } from "../../src/sinks/index-names.js";
import { repoRoot } from "../support/paths.js";

describe("field declarations", () => {
  it("docs/fields.md is generated from them and up to date (npm run fields)", () => {
    assert.equal(readFileSync(join(repoRoot, "docs", "fields.md"), "utf8"), renderFieldsDoc(datasets));
  });
  it("one name has one type across datasets", () => {
    const clash = [label("cloudflare.requests", "keyword", "")];
    assert.throws(() => mergeFields([datasets[0]!.fields, clash]), /declared as long and as keyword/);
  });
  it("a shared field is declared once: a second declaration with its own description is refused", () => {
    const pasted = [metric("cloudflare.requests", "long", "sum", "Requests (pasted).")];
    assert.throws(() => mergeFields([datasets[0]!.fields, pasted]), /declared twice .* declare it once/);
  });
  it("the mapping nests dotted names and refuses a leaf that is also an object", () => {
    const props = mappingProperties(mergeFields([datasets[0]!.fields]));
    assert.equal(props["@timestamp"]?.type, "date");
    assert.equal(props.cloudflare?.properties?.zone?.properties?.id?.type, "keyword");
    assert.equal(props.http?.properties?.response?.properties?.status_code?.type, "integer");
    assert.throws(() => mappingProperties([metric("a", "long", "sum", ""), metric("a.b", "long", "sum", "")]), /leaf and as an object/);
  });
});

describe("the declarations make the time-series mapping", () => {
  const props = mappingProperties(mergeFields([firewallEvents.fields]));
  const leaf = (path: string) =>
    path.split(".").reduce<MappingProperty | undefined>((node, part, i) => (i === 0 ? props[part] : node?.properties?.[part]), undefined);
  it("dimensions are time_series_dimension, metrics gauges, labels neither", () => {
    for (const name of ["cloudflare.zone.id", "cloudflare.breakdown", "cloudflare.key", "url.domain", "source.geo.country_iso_code", "rule.id"]) {
      assert.equal(leaf(name)?.time_series_dimension, true, name);
    }
    for (const name of ["cloudflare.events", "cloudflare.sample_interval", "cloudflare.other_entries"])
      assert.equal(leaf(name)?.time_series_metric, "gauge", name);
    for (const name of ["cloudflare.zone.name", "cloudflare.sampled", "event.dataset", "ecs.version", "@timestamp"]) {
      assert.equal(leaf(name)?.time_series_dimension, undefined, name);
      assert.equal(leaf(name)?.time_series_metric, undefined, name);
    }
  });
  it("the run records' mapping has no time-series parameters (their indices predate them)", () => {
    assert.doesNotMatch(JSON.stringify(mappingProperties(runFields, false)), /time_series/);
  });
  it("only what an existing mapping lacks is added", () => {
    const existing = { cloudflare: { properties: { events: { type: "long" } } }, "@timestamp": { type: "date" } };
    const missing = missingProperties(props, existing)!;
    assert.equal("@timestamp" in missing, false);
    assert.equal("events" in missing.cloudflare!.properties!, false);
    assert.ok("key" in missing.cloudflare!.properties! && "url" in missing);
    assert.equal(missingProperties(props, props), undefined);
  });
});

describe("Cloudflare's dimensions under ECS names, converted or kept as Cloudflare's", () => {
  it("countries: ISO codes under ECS, XX (unknown) and T1 (Tor) under cloudflare.country", () => {
    assert.deepEqual(country.store("DE"), { "source.geo.country_iso_code": "DE" });
    assert.deepEqual(country.store("XX"), { "cloudflare.country": "XX" });
    assert.deepEqual(country.store("T1"), { "cloudflare.country": "T1" });
  });
  it("TLS: TLSv1.2 -> 1.2 / tls, TLSv1 -> 1.0, SSLv3 -> 3.0 / ssl; none has no ECS form", () => {
    assert.deepEqual(sslProtocol.store("TLSv1.2"), { "tls.version": "1.2", "tls.version_protocol": "tls" });
    assert.deepEqual(sslProtocol.store("TLSv1"), { "tls.version": "1.0", "tls.version_protocol": "tls" });
    assert.deepEqual(sslProtocol.store("SSLv3"), { "tls.version": "3.0", "tls.version_protocol": "ssl" });
    assert.deepEqual(sslProtocol.store("none"), {});
  });
  it("HTTP versions, hosts without a port, browsers without Unknown", () => {
    assert.deepEqual(httpVersion.store("HTTP/2"), { "http.version": "2" });
    assert.deepEqual(httpVersion.store("HTTP/1.1"), { "http.version": "1.1" });
    assert.deepEqual(host.store("shop.example:8443"), { "url.domain": "shop.example" });
    assert.deepEqual(host.store("[2001:db8::1]:443"), { "url.domain": "[2001:db8::1]" });
    assert.deepEqual(browser.store("Chrome"), { "user_agent.name": "Chrome" });
    assert.deepEqual(browser.store("Unknown"), {});
  });
});

describe("index names follow the document's own time", () => {
  const t = Date.parse("2026-01-01T00:30:00Z"); // ISO week 2026-W01 starts on Monday 2025-12-29
  it("month, week and day", () => {
    assert.equal(indexName("cloudflare", "http_requests", "month", t), "cloudflare-http_requests-2026.01");
    assert.equal(indexName("cloudflare", "http_requests", "week", t), "cloudflare-http_requests-2026-w01");
    assert.equal(indexName("cf", "http_requests", "day", t), "cf-http_requests-2026.01.01");
  });
  it("the lifecycle's clock starts at the end of the period an index covers", () => {
    assert.equal(periodEnd("month", t), Date.parse("2026-02-01T00:00:00Z"));
    assert.equal(periodEnd("week", t), Date.parse("2026-01-05T00:00:00Z"));
    assert.equal(periodEnd("day", t), Date.parse("2026-01-02T00:00:00Z"));
  });
  it("a time-series index starts where its period starts (ISO weeks start on Monday)", () => {
    assert.equal(periodStart("month", t), Date.parse("2026-01-01T00:00:00Z"));
    assert.equal(periodStart("week", t), Date.parse("2025-12-29T00:00:00Z"));
    assert.equal(periodStart("day", t), Date.parse("2026-01-01T00:00:00Z"));
  });
});
