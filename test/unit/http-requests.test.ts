/**
 * The dataset's pure parts: flattening against golden fixtures (UPDATE_GOLDEN=1 rewrites them; review the diff),
 * declared fields, deterministic ids, and refusal of malformed answers.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { httpRequests } from "../../src/datasets/http-requests.js";
import { leafPaths, toSource, type ExportDocument } from "../../src/datasets/document.js";
import { mergeFields, UNATTRIBUTED } from "../../src/datasets/fields.js";
import { datasets } from "../../src/datasets/index.js";
import { MalformedResponseError } from "../../src/datasets/shape.js";
import { fixturesDir } from "../support/paths.js";

interface Fixture {
  zone: { id: string; name: string };
  window: { from: string; to: string };
  zoneObject: unknown;
}

const dir = join(fixturesDir, "http_requests");
const options = { topN: 100 };
const owner = (fixture: Fixture) => ({ scope: "zone" as const, ...fixture.zone });
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".response.json"))
  .map((f) => f.replace(".response.json", ""));

function flattenFixture(name: string): { fixture: Fixture; entries: ExportDocument[]; totals: ExportDocument[]; docs: ExportDocument[] } {
  const fixture = JSON.parse(readFileSync(join(dir, `${name}.response.json`), "utf8")) as Fixture;
  const window = { from: Date.parse(fixture.window.from), to: Date.parse(fixture.window.to) };
  const flat = httpRequests.flatten(httpRequests.rowsOf(fixture.zoneObject), owner(fixture), window, options);
  const entries = [...flat.entries];
  const totals = [...flat.totals];
  return { fixture, entries, totals, docs: [...entries, ...totals] };
}

describe("http_requests golden fixtures", () => {
  assert.ok(cases.length > 0, "no fixtures found");
  for (const name of cases) {
    it(name, () => {
      const { entries, totals } = flattenFixture(name);
      const bulk = (docs: ExportDocument[]) => docs.map((d) => ({ _id: d.id, _source: toSource(d.fields) }));
      const actual = { entries: bulk(entries), totals: bulk(totals) };
      const expectedFile = join(dir, `${name}.expected.json`);
      if (process.env.UPDATE_GOLDEN === "1" || !existsSync(expectedFile)) writeFileSync(expectedFile, JSON.stringify(actual, null, 2) + "\n");
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedFile, "utf8")));
    });
  }
});

describe("http_requests flattening", () => {
  const { fixture, docs, entries, totals } = flattenFixture("three-minutes");

  it("keeps totals apart from entries: totals are written last and mark a minute complete", () => {
    assert.ok(totals.every((d) => d.fields["cloudflare.breakdown"] === "total"));
    assert.ok(entries.every((d) => d.fields["cloudflare.breakdown"] !== "total"));
  });

  it("produces the documents anew on every iteration (nothing is held in memory)", () => {
    const flat = httpRequests.flatten(
      httpRequests.rowsOf(fixture.zoneObject),
      owner(fixture),
      {
        from: Date.parse(fixture.window.from),
        to: Date.parse(fixture.window.to),
      },
      options,
    );
    assert.deepEqual(
      [...flat.entries].map((d) => d.id),
      [...flat.entries].map((d) => d.id),
    );
    assert.equal([...flat.totals].length, 3);
  });

  it("writes a total for every minute of the window, zeros where Cloudflare returned no row", () => {
    assert.deepEqual(
      totals.map((d) => d.fields["@timestamp"]),
      ["2026-11-20T08:00:00.000Z", "2026-11-20T08:01:00.000Z", "2026-11-20T08:02:00.000Z"],
    );
    const empty = totals[1]!.fields;
    for (const metric of ["requests", "bytes", "cached_requests", "page_views", "uniques", "threats"]) assert.equal(empty[`cloudflare.${metric}`], 0);
  });

  it("makes every breakdown add up to its minute's total", () => {
    for (const total of totals) {
      for (const check of httpRequests.breakdownChecks) {
        const entries = docs.filter((d) => d.timestamp === total.timestamp && d.fields["cloudflare.breakdown"] === check.breakdown);
        for (const { entry, total: of } of check.metrics) {
          const sum = entries.reduce((n, d) => n + Number(d.fields[entry] ?? 0), 0);
          assert.equal(sum, total.fields[of], `${check.breakdown}.${entry} at ${String(total.fields["@timestamp"])}`);
        }
      }
    }
  });

  it("stores status codes as numbers for ranges, and the key as text", () => {
    const status = docs.filter((d) => d.fields["cloudflare.breakdown"] === "status");
    assert.deepEqual(
      status.map((d) => [d.fields["cloudflare.key"], d.fields["http.response.status_code"]]),
      [
        ["200", 200],
        ["503", 503],
        ["304", 304],
      ],
    );
  });

  it("gives deterministic, distinct ids", () => {
    const again = flattenFixture("three-minutes").docs;
    assert.deepEqual(
      again.map((d) => d.id),
      docs.map((d) => d.id),
    );
    assert.equal(new Set(docs.map((d) => d.id)).size, docs.length);
    assert.ok(docs.every((d) => d.id.includes(fixture.zone.id)));
  });

  it("emits only declared fields, each with a value of its declared type", () => {
    const declared = new Map(mergeFields(datasets.map((d) => d.fields)).map((f) => [f.name, f.type]));
    for (const doc of docs) {
      for (const path of leafPaths(toSource(doc.fields))) {
        const type = declared.get(path);
        assert.ok(type, `undeclared field ${path}`);
        const value = doc.fields[path];
        if (type === "keyword" || type === "date") assert.equal(typeof value, "string", path);
        else assert.equal(typeof value, "number", path);
      }
    }
  });
});

describe("http_requests refuses malformed answers instead of storing zeros", () => {
  const zone = { scope: "zone" as const, id: "z", name: "z" };
  const window = { from: Date.parse("2026-11-20T08:00:00Z"), to: Date.parse("2026-11-20T08:02:00Z") };
  const row = (over: Record<string, unknown>) => ({ dimensions: { datetime: "2026-11-20T08:00:00Z" }, uniq: { uniques: 1 }, sum: {}, ...over });
  const cases: [string, unknown][] = [
    ["a zone object without the node", {}],
    ["a node that is not a list", { httpRequests1mGroups: null }],
    ["a row without sums", { httpRequests1mGroups: [row({ sum: undefined })] }],
    ["a negative count", { httpRequests1mGroups: [row({ sum: { requests: -1 } })] }],
    ["a row outside the window", { httpRequests1mGroups: [row({ dimensions: { datetime: "2026-11-20T09:00:00Z" } })] }],
    ["a timestamp that is not a minute", { httpRequests1mGroups: [row({ dimensions: { datetime: "2026-11-20T08:00:30Z" } })] }],
  ];
  for (const [name, zoneObject] of cases) {
    it(name, () => {
      assert.throws(() => {
        const flat = httpRequests.flatten(httpRequests.rowsOf(zoneObject), zone, window, options);
        for (const group of [flat.entries, flat.totals]) for (const doc of group) void doc;
      }, MalformedResponseError);
    });
  }
});

describe("http_requests on a recorded Cloudflare answer: repeated names and a partial breakdown", () => {
  const { entries, totals } = flattenFixture("recorded-answer");
  const of = (breakdown: string) => entries.filter((d) => d.fields["cloudflare.breakdown"] === breakdown);
  const sum = (docs: readonly ExportDocument[], field: string) => docs.reduce((n, d) => n + Number(d.fields[field] ?? 0), 0);

  it("stores one document per content type, the repeated names summed (js 1,347 + 7,685)", () => {
    const types = of("content_type");
    assert.equal(types.length, 19, "22 entries, three names twice");
    assert.equal(new Set(types.map((d) => d.id)).size, types.length, "no two documents share an id");
    const js = types.find((d) => d.fields["cloudflare.key"] === "js")!;
    assert.equal(js.fields["cloudflare.requests"], 1347 + 7685);
    assert.equal(js.fields["cloudflare.bytes"], 34197983 + 171264662);
    assert.equal(sum(types, "cloudflare.requests"), 68493);
    assert.equal(sum(types, "cloudflare.bytes"), 1743494242);
  });

  it("keeps what countryMap does not cover as one __unattributed__ entry, so the breakdown adds up", () => {
    const countries = of("country");
    const rest = countries.find((d) => d.fields["cloudflare.key"] === UNATTRIBUTED)!;
    assert.equal(rest.fields["cloudflare.requests"], 68493 - 65567);
    assert.equal(rest.fields["cloudflare.bytes"], 1743494242 - 1677228479);
    assert.equal(sum(countries, "cloudflare.requests"), totals[0]!.fields["cloudflare.requests"]);
    assert.equal(
      of("status").some((d) => d.fields["cloudflare.key"] === UNATTRIBUTED),
      false,
      "exact maps get none",
    );
  });

  it("leaves out what the query did not ask for (threats, edge request bytes) instead of inventing zeros", () => {
    assert.equal(totals[0]!.fields["cloudflare.threats"], undefined);
    assert.equal(totals[0]!.fields["cloudflare.edge_request_bytes"], undefined);
    assert.equal(of("threat_pathing").length, 0);
  });
});

describe("http_requests refuses a breakdown larger than its total", () => {
  it("fails the window before any document is produced", () => {
    const zone = { scope: "zone" as const, id: "z", name: "z" };
    const window = { from: Date.parse("2026-11-20T08:00:00Z"), to: Date.parse("2026-11-20T08:01:00Z") };
    const row = {
      dimensions: { datetime: "2026-11-20T08:00:00Z" },
      uniq: { uniques: 1 },
      sum: {
        requests: 2,
        bytes: 10,
        cachedRequests: 0,
        cachedBytes: 0,
        encryptedRequests: 2,
        encryptedBytes: 10,
        pageViews: 0,
        countryMap: [{ clientCountryName: "DE", requests: 3, bytes: 10 }],
        responseStatusMap: [],
        contentTypeMap: [],
        browserMap: [],
        clientSSLMap: [],
        clientHTTPVersionMap: [],
        ipClassMap: [],
      },
    };
    assert.throws(
      () => httpRequests.flatten([row], zone, window, options),
      (e: Error) => e instanceof MalformedResponseError && /countryMap .* adds up to 3 requests, more than the minute's 2/.test(e.message),
    );
  });
});
