import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderFieldsDoc } from "../../src/datasets/fields-doc.js";
import { label, mergeFields, metric } from "../../src/datasets/fields.js";
import { datasets } from "../../src/datasets/index.js";
import { mappingProperties } from "../../src/sinks/mapping.js";
import { indexName, periodEnd } from "../../src/sinks/index-names.js";
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
});
