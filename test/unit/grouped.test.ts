/**
 * The grouped (Adaptive) dataset machinery, through real dataset modules: totals, the top-N `__other__` entry,
 * sampling marks, refused optional fields, declared fields only, and refusal of malformed answers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Dataset, Owner } from "../../src/datasets/dataset.js";
import { leafPaths, toSource, type ExportDocument } from "../../src/datasets/document.js";
import { mergeFields } from "../../src/datasets/fields.js";
import { firewallEvents } from "../../src/datasets/firewall-events.js";
import { groupedDataset, OTHER } from "../../src/datasets/grouped.js";
import { httpCache } from "../../src/datasets/http-cache.js";
import { httpOrigin } from "../../src/datasets/http-origin.js";
import { httpPaths } from "../../src/datasets/http-paths.js";
import { collapsePath } from "../../src/datasets/paths.js";
import { bytes, host, pathPattern, requests } from "../../src/datasets/shared-fields.js";
import { datasets } from "../../src/datasets/index.js";
import { r2Storage } from "../../src/datasets/r2-storage.js";
import { workers } from "../../src/datasets/workers.js";
import { MalformedResponseError } from "../../src/datasets/shape.js";

const zone: Owner = { scope: "zone", id: "z1", name: "example.com" };
const account: Owner = { scope: "account", id: "a1", name: "production" };
const T = Date.parse("2026-11-20T08:00:00Z");
const minute = (n: number) => new Date(T + n * 60_000).toISOString().replace(".000Z", "Z");
const window = { from: T, to: T + 3 * 60_000 };

function firewallRow(n: number, action: string, ruleId: string, count: number, interval = 10): Record<string, unknown> {
  return {
    dimensions: {
      datetimeMinute: minute(n),
      action,
      source: "waf",
      ruleId,
      description: `rule ${ruleId}`,
      clientRequestHTTPHost: "www.example.com",
      clientCountryName: "DE",
    },
    count,
    avg: { sampleInterval: interval },
  };
}

function flatten(dataset: Dataset, rows: unknown[], owner: Owner, topN = 100): { entries: ExportDocument[]; totals: ExportDocument[] } {
  const flat = dataset.flatten(rows, owner, window, { topN });
  return { entries: [...flat.entries], totals: [...flat.totals] };
}

/** The declaration of http_paths, for variants of it. */
const pathsSpec = {
  name: "paths",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "paths",
  breakdown: "host_path",
  dimensions: [
    { field: "clientRequestHTTPHost", stored: host },
    { field: "clientRequestPath", stored: pathPattern, transform: (path: unknown) => collapsePath(String(path)) },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 10,
} as const;

const sumOf = (docs: readonly ExportDocument[], field: string) => docs.reduce((n, d) => n + Number(d.fields[field] ?? 0), 0);

describe("grouped datasets: totals and entries", () => {
  const rows = [firewallRow(0, "block", "r1", 30), firewallRow(0, "log", "r2", 20, 1), firewallRow(2, "block", "r1", 10)];
  const { entries, totals } = flatten(firewallEvents, rows, zone);

  it("writes one entry per row and one total per minute, zero where Cloudflare had nothing", () => {
    assert.equal(entries.length, 3);
    assert.deepEqual(
      totals.map((t) => t.fields["cloudflare.events"]),
      [50, 0, 10],
    );
    assert.ok(totals.every((t) => t.fields["cloudflare.breakdown"] === "total" && t.fields["cloudflare.key"] === undefined));
  });

  it("marks every document as sampled; the total carries the coarsest sample interval of its minute", () => {
    assert.ok([...entries, ...totals].every((d) => d.fields["cloudflare.sampled"] === true));
    assert.deepEqual(
      entries.map((d) => d.fields["cloudflare.sample_interval"]),
      [10, 1, 10],
    );
    assert.equal(totals[0]!.fields["cloudflare.sample_interval"], 10);
    assert.equal(totals[1]!.fields["cloudflare.sample_interval"], undefined);
  });

  it("stores each dimension in its own field and a key that tells entries apart", () => {
    const first = entries[0]!.fields;
    assert.equal(first["cloudflare.firewall.action"], "block");
    assert.equal(first["rule.description"], "rule r1");
    assert.equal(first["source.geo.country_iso_code"], "DE");
    assert.notEqual(entries[0]!.id, entries[1]!.id);
    assert.equal(new Set([...entries, ...totals].map((d) => d.id)).size, 6);
  });

  it("names the owner's scope: zone datasets carry the zone, account datasets the account", () => {
    assert.equal(entries[0]!.fields["cloudflare.zone.id"], "z1");
    const w = flatten(workers, [], account);
    assert.equal(w.totals[0]!.fields["cloudflare.account.name"], "production");
    assert.equal(w.totals[0]!.fields["cloudflare.zone.id"], undefined);
  });
});

describe("grouped datasets: the top-N cap", () => {
  const rows = Array.from({ length: 7 }, (_, i) => firewallRow(1, "block", `rule-${i}`, 10 * (i + 1)));

  it("keeps the N largest entries and sums the rest into one __other__ entry, so the minute still adds up", () => {
    const { entries, totals } = flatten(firewallEvents, rows, zone, 3);
    const minuteEntries = entries.filter((d) => d.timestamp === T + 60_000);
    assert.equal(minuteEntries.length, 4);
    assert.deepEqual(
      minuteEntries.slice(0, 3).map((d) => d.fields["rule.id"]),
      ["rule-6", "rule-5", "rule-4"],
    );
    const other = minuteEntries[3]!.fields;
    assert.equal(other["cloudflare.key"], OTHER);
    assert.equal(other["cloudflare.other_entries"], 4);
    assert.equal(other["cloudflare.events"], 10 + 20 + 30 + 40);
    assert.equal(other["rule.id"], undefined, "the remainder has no single rule");
    assert.equal(sumOf(minuteEntries, "cloudflare.events"), totals[1]!.fields["cloudflare.events"]);
  });

  it("writes no __other__ entry when everything fits", () => {
    const { entries } = flatten(firewallEvents, rows, zone, 7);
    assert.ok(entries.every((d) => d.fields["cloudflare.key"] !== OTHER));
  });

  it("leaves non-additive figures (quantiles) off the remainder and off the total", () => {
    const originRows = [0, 1, 2].map((i) => ({
      dimensions: { datetimeMinute: minute(0), originResponseStatus: 200 + i, clientCountryName: "US", clientRequestHTTPHost: "a" },
      count: 5 - i,
      quantiles: { originResponseDurationMsP50: 10, originResponseDurationMsP95: 20, originResponseDurationMsP99: 30 },
      avg: { sampleInterval: 1, originResponseDurationMs: 12.5 },
    }));
    const { entries, totals } = flatten(httpOrigin, originRows, zone, 1);
    assert.equal(entries[0]!.fields["cloudflare.origin.duration_p95_ms"], 20);
    assert.equal(entries[1]!.fields["cloudflare.origin.duration_p95_ms"], undefined);
    assert.equal(entries[1]!.fields["cloudflare.requests"], 4 + 3);
    assert.equal(totals[0]!.fields["cloudflare.origin.duration_p95_ms"], undefined);
    assert.equal(totals[0]!.fields["cloudflare.requests"], 12);
  });
});

describe("grouped datasets: repeated keys", () => {
  it("merges rows of one minute with the same key into one entry, summing what adds up", () => {
    const rows = [firewallRow(0, "block", "r1", 30, 10), firewallRow(0, "block", "r1", 10, 2), firewallRow(0, "log", "r2", 5)];
    const { entries, totals } = flatten(firewallEvents, rows, zone);
    assert.equal(entries.length, 2, "one document per key");
    assert.equal(new Set(entries.map((e) => e.id)).size, 2);
    const r1 = entries.find((e) => e.fields["rule.id"] === "r1")!;
    assert.equal(r1.fields["cloudflare.events"], 40);
    // The sample interval is merged count-weighted: (30 x 10 + 10 x 2) / 40.
    assert.equal(r1.fields["cloudflare.sample_interval"], 8);
    assert.equal(totals[0]!.fields["cloudflare.events"], 45);
    assert.equal(sumOf(entries, "cloudflare.events"), totals[0]!.fields["cloudflare.events"]);
  });

  it("merges averages and quantiles weighted by the entry's count", () => {
    const row = (count: number, p95: number, avg: number) => ({
      dimensions: { datetimeMinute: minute(1), originResponseStatus: 200, clientCountryName: "US", clientRequestHTTPHost: "a" },
      count,
      quantiles: { originResponseDurationMsP50: p95 / 2, originResponseDurationMsP95: p95, originResponseDurationMsP99: p95 * 2 },
      avg: { sampleInterval: 1, originResponseDurationMs: avg },
    });
    const { entries } = flatten(httpOrigin, [row(3, 100, 40), row(1, 20, 8)], zone);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.fields["cloudflare.requests"], 4);
    assert.equal(entries[0]!.fields["cloudflare.origin.duration_p95_ms"], (3 * 100 + 1 * 20) / 4);
    assert.equal(entries[0]!.fields["cloudflare.origin.duration_avg_ms"], (3 * 40 + 1 * 8) / 4);
  });
});

describe("grouped datasets: a dimension transformed before the key (request paths collapsed to patterns)", () => {
  const pathRow = (path: string, count: number, host = "www.example.com") => ({
    dimensions: { datetimeMinute: minute(0), clientRequestHTTPHost: host, clientRequestPath: path },
    count,
    sum: { edgeResponseBytes: 100 * count },
    avg: { sampleInterval: 1 },
  });
  const rows = [
    pathRow("/orders/1", 5),
    pathRow("/orders/2", 5),
    pathRow("/orders/3", 5),
    pathRow("/about", 12),
    pathRow("/contact", 11),
    pathRow("/cart", 2),
    pathRow("/orders/4", 7, "api.example.com"),
  ];

  it("merges rows whose paths collapse to one pattern into one entry, per host", () => {
    const { entries, totals } = flatten(httpPaths, rows, zone);
    const orders = entries.filter((e) => e.fields["cloudflare.url.path_pattern"] === "/orders/{num}");
    assert.deepEqual(
      orders.map((e) => [e.fields["url.domain"], e.fields["cloudflare.requests"], e.fields["cloudflare.bytes"]]),
      [
        ["www.example.com", 15, 1500],
        ["api.example.com", 7, 700],
      ],
    );
    assert.equal(orders[0]!.fields["cloudflare.key"], "www.example.com|/orders/{num}");
    assert.equal(entries.length, 5);
    assert.equal(sumOf(entries, "cloudflare.requests"), totals[0]!.fields["cloudflare.requests"]);
  });

  it("keeps a real path under ECS url.path and a collapsed pattern only under cloudflare.url.path_pattern", () => {
    const { entries } = flatten(httpPaths, rows, zone);
    const about = entries.find((e) => e.fields["cloudflare.url.path_pattern"] === "/about")!;
    assert.equal(about.fields["url.path"], "/about");
    const orders = entries.find((e) => e.fields["cloudflare.url.path_pattern"] === "/orders/{num}")!;
    assert.equal(orders.fields["url.path"], undefined);
    assert.ok(
      entries.every((e) => !String(e.fields["cloudflare.key"]).match(/orders\/\d/)),
      "no raw id in any key",
    );
  });

  it("ranks the top N and sums the remainder after collapsing, so the entries still add up exactly", () => {
    const { entries, totals } = flatten(httpPaths, rows, zone, 2);
    // Raw paths would keep /about (12) and /contact (11); the pattern /orders/{num} (15) is the busiest entry.
    assert.deepEqual(
      entries.slice(0, 2).map((e) => e.fields["cloudflare.key"]),
      ["www.example.com|/orders/{num}", "www.example.com|/about"],
    );
    const other = entries[2]!.fields;
    assert.equal(other["cloudflare.key"], OTHER);
    assert.equal(other["cloudflare.other_entries"], 3);
    assert.equal(other["cloudflare.requests"], 11 + 2 + 7);
    assert.equal(other["cloudflare.bytes"], 2000);
    assert.equal(entries.length, 3);
    assert.equal(sumOf(entries, "cloudflare.requests"), totals[0]!.fields["cloudflare.requests"]);
    assert.equal(sumOf(entries, "cloudflare.bytes"), totals[0]!.fields["cloudflare.bytes"]);
  });

  it("a dataset's own top N overrides CF_TOP_N", () => {
    const capped = groupedDataset({ ...pathsSpec, name: "paths_top1", topN: 1 });
    const { entries } = flatten(capped, rows, zone, 100);
    assert.deepEqual(
      entries.map((e) => e.fields["cloudflare.key"]),
      ["www.example.com|/orders/{num}", OTHER],
    );
  });
});

describe("grouped datasets: a figure counted where a dimension has some values (cached requests)", () => {
  const cacheRow = (status: string, count: number, host = "www.example.com") => ({
    dimensions: { datetimeMinute: minute(0), cacheStatus: status, clientRequestHTTPHost: host, edgeResponseContentTypeName: "html" },
    count,
    sum: { edgeResponseBytes: 10 * count },
    avg: { sampleInterval: 1 },
  });
  const rows = [cacheRow("hit", 50), cacheRow("miss", 30), cacheRow("revalidated", 5), cacheRow("dynamic", 4), cacheRow("stale", 1, "api.example.com")];

  it("carries an entry's requests and bytes as cached where its status is served from cache, 0 elsewhere", () => {
    const { entries } = flatten(httpCache, rows, zone);
    const by = new Map(entries.map((e) => [e.fields["cloudflare.cache.status"], e.fields]));
    assert.deepEqual([by.get("hit")!["cloudflare.cached_requests"], by.get("hit")!["cloudflare.cached_bytes"]], [50, 500]);
    assert.deepEqual([by.get("miss")!["cloudflare.cached_requests"], by.get("miss")!["cloudflare.cached_bytes"]], [0, 0]);
    assert.equal(by.get("revalidated")!["cloudflare.cached_requests"], 5);
    assert.equal(by.get("dynamic")!["cloudflare.cached_requests"], 0);
  });

  it("sums them into the remainder and the total like any count, and asks Cloudflare for each path once", () => {
    const { entries, totals } = flatten(httpCache, rows, zone, 2);
    const other = entries.find((e) => e.fields["cloudflare.key"] === OTHER)!;
    assert.equal(other.fields["cloudflare.cached_requests"], 5 + 1);
    assert.equal(totals[0]!.fields["cloudflare.cached_requests"], 56);
    assert.equal(totals[0]!.fields["cloudflare.cached_bytes"], 560);
    assert.equal(sumOf(entries, "cloudflare.cached_requests"), 56);
    const query = httpCache.query(new Set());
    assert.equal(query.match(/\bcount\b/g)?.length, 1);
    assert.equal(query.match(/edgeResponseBytes/g)?.length, 1);
    assert.deepEqual([...httpCache.requiredFields].sort(), [
      "count",
      "dimensions_cacheStatus",
      "dimensions_clientRequestHTTPHost",
      "dimensions_edgeResponseContentTypeName",
      "sum_edgeResponseBytes",
    ]);
  });
});

describe("grouped datasets: fields a plan refuses", () => {
  it("queries without a refused optional field, and documents simply lack it", () => {
    const omit = new Set(["dimensions_description"]);
    assert.doesNotMatch(firewallEvents.query(omit), /\bdescription\b/);
    assert.match(firewallEvents.query(new Set()), /\bdescription\b/);
    const row = firewallRow(0, "block", "r1", 5);
    delete (row.dimensions as Record<string, unknown>).description;
    const { entries } = flatten(firewallEvents, [row], zone);
    assert.equal(entries[0]!.fields["rule.description"], undefined);
  });

  it("still refuses an answer that lacks a required field", () => {
    const row = firewallRow(0, "block", "r1", 5);
    delete (row.dimensions as Record<string, unknown>).action;
    assert.throws(() => flatten(firewallEvents, [row], zone), MalformedResponseError);
  });
});

describe("grouped datasets refuse malformed answers instead of storing zeros", () => {
  const cases: [string, unknown[]][] = [
    ["a row outside the window", [firewallRow(5, "block", "r1", 1)]],
    ["a count that is not a number", [{ ...firewallRow(0, "block", "r1", 1), count: "12" }]],
    ["a negative count", [firewallRow(0, "block", "r1", -3)]],
    [
      "a timestamp that is not a minute",
      [{ ...firewallRow(0, "block", "r1", 1), dimensions: { ...(firewallRow(0, "b", "r", 1).dimensions as object), datetimeMinute: "2026-11-20T08:00:30Z" } }],
    ],
  ];
  for (const [name, rows] of cases) {
    it(name, () => assert.throws(() => flatten(firewallEvents, rows, zone), MalformedResponseError));
  }
});

describe("R2 storage levels", () => {
  it("adds buckets up within a minute (the account's storage), keeps each bucket's level on its entry", () => {
    const rows = [
      {
        dimensions: { datetimeMinute: minute(0), bucketName: "logs", storageClass: "Standard" },
        max: { payloadSize: 1000, metadataSize: 10, objectCount: 5, uploadCount: 0 },
      },
      {
        dimensions: { datetimeMinute: minute(0), bucketName: "media", storageClass: "Standard" },
        max: { payloadSize: 500, metadataSize: 5, objectCount: 2, uploadCount: 1 },
      },
    ];
    const { entries, totals } = flatten(r2Storage, rows, account);
    assert.deepEqual(
      entries.map((d) => d.fields["cloudflare.r2.payload_bytes"]),
      [1000, 500],
    );
    assert.equal(totals[0]!.fields["cloudflare.r2.payload_bytes"], 1500);
    assert.equal(entries[0]!.fields["cloudflare.sample_interval"], undefined, "R2 reports no sample interval");
  });
});

describe("every dataset", () => {
  const declared = new Map(mergeFields(datasets.map((d) => d.fields)).map((f) => [f.name, f.type]));

  it("has a unique name and declares each field with one type", () => {
    assert.equal(new Set(datasets.map((d) => d.name)).size, datasets.length);
    assert.ok(declared.size > 50);
  });

  it("writes dense zero totals for an empty window, with declared fields only", () => {
    for (const dataset of datasets) {
      const owner = dataset.scope === "zone" ? zone : account;
      const w = { from: T, to: T + 2 * dataset.unit };
      const totals = [...dataset.flatten([], owner, w, { topN: 10 }).totals];
      assert.equal(totals.length, 2, dataset.name);
      for (const doc of totals) {
        for (const path of leafPaths(toSource(doc.fields))) assert.ok(declared.has(path), `${dataset.name}: undeclared field ${path}`);
      }
    }
  });
});

describe("confidence bounds, when asked for", () => {
  it("are queried at the configured level and stored on entries only (bounds do not add up)", () => {
    assert.match(firewallEvents.query(new Set(), { confidenceLevel: 0.95 }), /confidence\(level: 0\.95\) \{ count \{ lower upper \} \}/);
    assert.doesNotMatch(firewallEvents.query(new Set()), /confidence/);
    assert.doesNotMatch(workers.query(new Set(), { confidenceLevel: 0.95 }), /confidence/, "the Workers node has no count to bound");
    const row = { ...firewallRow(0, "block", "r1", 50), confidence: { count: { lower: 41.5, upper: 58.5 } } };
    const { entries, totals } = flatten(firewallEvents, [row], zone);
    assert.deepEqual([entries[0]!.fields["cloudflare.confidence.lower"], entries[0]!.fields["cloudflare.confidence.upper"]], [41.5, 58.5]);
    assert.equal(totals[0]!.fields["cloudflare.confidence.lower"], undefined);
  });
});
