/**
 * Every panel of every shipped dashboard, every provisioned alert rule and every plain alert query, run against the
 * real Elasticsearch the way Grafana's Elasticsearch data source runs them (test/support/grafana-query.ts), over data
 * the exporter wrote from the simulator and a known history of run documents, and compared with the ground truth:
 * the simulator's own figures for a known window, and the run documents as indexed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import { hourTotals, startSimulator, type AdaptiveName, type Simulator } from "../../simulator/index.js";
import { toSource } from "../../src/datasets/document.js";
import { collapsePath } from "../../src/datasets/paths.js";
import { indexName } from "../../src/sinks/index-names.js";
import { alertQueries, dashboardFiles, indexFor, panelsOf, provisionedAlertRules, sourceOf, type DashboardFile } from "../support/dashboard-rules.js";
import { AdaptiveTruth, MINUTE, rowValue, runHistory, runStart, Truth, type RunDoc, type TruthMinute } from "../support/dashboard-truth.js";
import { evaluateRule } from "../support/grafana-alerting.js";
import {
  applyTransformations,
  displayValues,
  interpolateTarget,
  panelContext,
  parseResponse,
  searchBody,
  type Frame,
  type Panel,
  type QueryContext,
  type SeriesFrame,
  type TableFrame,
} from "../support/grafana-query.js";
import { cli, dropPrefix, esClient, expectedRange, exporterEnv, needsElasticsearch, simulator, ZONES } from "../support/harness.js";
import { repoRoot } from "../support/paths.js";
import { startScriptedServer, type ScriptedServer } from "../support/scripted-server.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const HOUR = 60 * MINUTE;
const two = 2 * MINUTE;
/** The known window every panel is compared over. */
const WINDOW = { from: Date.parse("2026-11-20T09:00:00Z"), to: Date.parse("2026-11-20T11:00:00Z") };
const SELECTED = [ZONES[0], ZONES[2]];
const HTTP = "http_requests";
const HOURLY = "http_requests_hourly";
const SAMPLED_DATASETS = [
  "firewall_events",
  "health_checks",
  "load_balancing",
  "dns",
  "workers",
  "r2_operations",
  "r2_storage",
  "http_overview",
  "http_eyeball",
  "http_origin",
  "http_colo",
  "http_cache",
  "http_ttfb",
  "http_paths",
  "http_origin_colo",
  "http_asn",
  "http_bots",
  "logpush_health",
];
const ACCOUNT_DATASETS = ["workers", "r2_operations", "r2_storage", "logpush_health"];
const ACCOUNT = { id: "acc0000000000000000000000000000a", name: "main-account" };
/** A second account: in the window its four Logpush jobs upload to r2 and gcs, and two of them fail for an hour. */
const LOGS = { id: "acc0000000000000000000000000000e", name: "logs-account" };

// Index prefixes, none a prefix of another's pattern (`it-dash-*` must not match the others).
/** HTTP minutes of three zones written at NOW, plus a known history of run records. */
const PREFIX = "it-dash";
/** The sampled datasets and the hourly HTTP dataset. */
const DATASETS = "it-dashds";
/** Firewall events and the sampled HTTP datasets stored with a top-3 cap, so that most minutes have an `__other__` entry. */
const CAPPED = "it-dashcap";
/** Real runs whose writes Elasticsearch refuses. */
const FAILING = "it-dashfail";
/** Real runs the gate denies. */
const GATED = "it-dashgate";
/** Real runs the gate cannot answer (it answers 404). */
const GATE_ERRORS = "it-dashgerr";

/** A stored source as flat dotted keys (the exporter writes nested objects). */
function flat(source: Record<string, unknown>, prefix = "", out: RunDoc = {}): RunDoc {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === "object" && !Array.isArray(v)) flat(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v as string | number | boolean;
  }
  return out;
}

interface Run {
  panel: Panel;
  frames: Frame[];
  ctx: QueryContext;
}

type Expectation = (run: Run) => void;

const series = (frames: readonly Frame[]): SeriesFrame[] => frames.filter((f): f is SeriesFrame => f.kind === "series");
const tableOf = (frames: readonly Frame[]): TableFrame => {
  const t = frames.find((f): f is TableFrame => f.kind === "table");
  assert.ok(t, "a table frame");
  return t;
};
const column = (t: TableFrame, name: string) => {
  const f = t.fields.find((x) => x.name === name);
  assert.ok(f, `column ${name} in ${t.fields.map((x) => x.name).join(", ")}`);
  return f.values;
};
/** Rows of a table as key -> value, keyed by one column. */
const rows = (t: TableFrame, key: string, value: string): Map<string, unknown> => {
  const keys = column(t, key);
  const values = column(t, value);
  return new Map(keys.map((k, i) => [String(k), values[i]]));
};
const display = (run: Run): Map<string, number | null> => new Map(displayValues(run.panel, run.frames).map((d) => [d.name, d.value]));
const only = (run: Run): number | null => {
  const values = displayValues(run.panel, run.frames);
  assert.equal(values.length, 1, `${run.panel.title}: one value, got ${JSON.stringify(values)}`);
  return values[0]!.value;
};
const points = (s: SeriesFrame) => s.points.map((p) => p.value);
const seriesBy = (run: Run, name: string): SeriesFrame => {
  const s = series(run.frames).find((x) => x.name === name);
  assert.ok(
    s,
    `${run.panel.title}: series ${name} among ${series(run.frames)
      .map((x) => x.name)
      .join(", ")}`,
  );
  return s;
};
/** Empty buckets carry 0 for sums and counts, null for max. */
const orZero = (v: (number | null)[]) => v.map((x) => x ?? 0);
const mapEquals = (actual: Map<string, unknown>, expected: Map<string, number>, what: string) =>
  assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()), what);

/** Equal; doubles up to Cloudflare's printed precision (the exporter stores what Cloudflare prints, per minute). */
const near = (a: number | null | undefined, b: number | null | undefined): boolean =>
  a === b || (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)));
const nearAll = (actual: readonly (number | null)[], expected: readonly (number | null)[], what: string) => {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} buckets, expected ${expected.length}`);
  actual.forEach((a, i) => assert.ok(near(a, expected[i]), `${what}, bucket ${i}: ${String(a)} != ${String(expected[i])}`));
};
/**
 * Per-country truth as the country panels show it: ISO codes under `source.geo.country_iso_code`; Cloudflare's own
 * values (XX unknown, T1 Tor) are not ISO countries and fall into the panels' "other" with the capped remainder.
 */
const byIsoCountry = (truth: Map<string, number>): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [country, value] of truth) {
    const key = /^[A-Z]{2}$/.test(country) && country !== "XX" ? country : "other";
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
};
const nearMap = (actual: Map<string, unknown>, expected: Map<string, number>, what: string) => {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: keys`);
  for (const [k, v] of expected) assert.ok(near(actual.get(k) as number, v), `${what} ${k}: ${String(actual.get(k))} != ${v}`);
};
/** Series named by their bucket keys must match the expected values per key, bucket by bucket. */
const seriesMatch = (run: Run, expected: Map<string, (number | null)[]>) => {
  assert.ok(expected.size > 0, `${run.panel.title}: the ground truth has values`);
  assert.deepEqual(
    series(run.frames)
      .map((s) => s.name)
      .sort(),
    [...expected.keys()].sort(),
    `${run.panel.title}: series`,
  );
  for (const [name, want] of expected) nearAll(points(seriesBy(run, name)), want, `${run.panel.title} / ${name}`);
};

// ---------------------------------------------------------------- zone overview

function overviewExpectations(truth: Truth, interval: number): Record<string, Expectation> {
  const sum = (metric: string) => (m: TruthMinute) => m.total[metric];
  const total =
    (metric: string): Expectation =>
    (run) =>
      assert.equal(only(run), truth.total(metric), `${run.panel.title}: sum of ${metric}`);
  const share =
    (part: string, whole: string): Expectation =>
    (run) =>
      assert.equal(only(run), truth.total(part) / truth.total(whole), run.panel.title);
  const keyTotals =
    (breakdown: string, metric: string): Expectation =>
    (run) =>
      mapEquals(display(run), truth.keyTotals(breakdown, metric), run.panel.title);
  const groups: [string, (s: number) => boolean][] = [
    ["Success (2xx, 3xx)", (s) => s >= 200 && s <= 399],
    ["Client issues (4xx)", (s) => s >= 400 && s <= 499],
    ["Errors (5xx)", (s) => s >= 500 && s <= 599],
    ["Other (1xx, no response)", (s) => s < 200 || s > 599],
  ];
  const perZone = (zone: string, pick: (m: TruthMinute) => number, combine?: (a: number, b: number) => number) =>
    truth.perBucket(interval, (m) => (m.zone === zone ? pick(m) : undefined), combine);
  return {
    Requests: total("requests"),
    Bandwidth: total("bytes"),
    "Page views": total("page_views"),
    Threats: total("threats"),
    "Data received": total("edge_request_bytes"),
    "Cached requests": share("cached_requests", "requests"),
    "Encrypted requests": share("encrypted_requests", "requests"),
    "Cached bandwidth": share("cached_bytes", "bytes"),
    "Encrypted bandwidth": share("encrypted_bytes", "bytes"),
    "Peak unique visitors in one ${dataset:text}": (run) => {
      const want = new Map(SELECTED.map((z) => [z.name, Math.max(...truth.minutes.filter((m) => m.zone === z.name).map((m) => m.total.uniques!))]));
      mapEquals(display(run), want, "per zone, the largest minute");
      // The predecessor's sum over minutes would have been far larger.
      for (const z of SELECTED) assert.ok(want.get(z.name)! < truth.total("uniques", (m) => m.zone === z.name));
    },
    "Requests: all and cached": (run) => {
      assert.deepEqual(points(seriesBy(run, "Sum cloudflare.requests")), truth.perBucket(interval, sum("requests")));
      assert.deepEqual(points(seriesBy(run, "Sum cloudflare.cached_requests")), truth.perBucket(interval, sum("cached_requests")));
    },
    "Bandwidth: all and cached": (run) => {
      assert.deepEqual(points(seriesBy(run, "Sum cloudflare.bytes")), truth.perBucket(interval, sum("bytes")));
      assert.deepEqual(points(seriesBy(run, "Sum cloudflare.cached_bytes")), truth.perBucket(interval, sum("cached_bytes")));
    },
    "Requests per zone": (run) => {
      assert.deepEqual(
        series(run.frames)
          .map((s) => s.name)
          .sort(),
        SELECTED.map((z) => z.name).sort(),
      );
      for (const z of SELECTED)
        assert.deepEqual(
          points(seriesBy(run, z.name)),
          perZone(z.name, (m) => m.total.requests!),
          z.name,
        );
    },
    "Unique visitors per ${dataset:text} (peak in each bucket)": (run) => {
      for (const z of SELECTED)
        assert.deepEqual(
          points(seriesBy(run, z.name)),
          perZone(z.name, (m) => m.total.uniques!, Math.max),
          z.name,
        );
    },
    "Requests by status group": (run) => {
      for (const [label, test] of groups) {
        assert.deepEqual(orZero(points(seriesBy(run, label))), orZero(truth.perBucket(interval, (m) => Truth.statusRequests(m, test))), label);
      }
      // The groups add up to all requests, bucket by bucket.
      const added = truth.buckets(interval).map((_, i) => groups.reduce((s, [label]) => s + (points(seriesBy(run, label))[i] ?? 0), 0));
      assert.deepEqual(added, orZero(truth.perBucket(interval, sum("requests"))));
      assert.ok(
        points(seriesBy(run, "Errors (5xx)")).some((v) => (v ?? 0) > 0),
        "the simulator serves some 5xx",
      );
    },
    "Requests by status code": (run) => {
      const keys = truth.keyTotals("status", "requests");
      assert.deepEqual(
        series(run.frames)
          .map((s) => s.name)
          .sort(),
        [...keys.keys()].sort(),
      );
      for (const key of keys.keys()) {
        const want = truth.perBucket(interval, (m) => m.maps.get("status")?.get(key)?.requests ?? 0);
        assert.deepEqual(orZero(points(seriesBy(run, key))), orZero(want), key);
      }
    },
    "Status groups over the range": (run) => {
      const want = new Map(groups.map(([label, test]) => [label, truth.minutes.reduce((s, m) => s + Truth.statusRequests(m, test), 0)]));
      mapEquals(display(run), want, "range sum per group");
    },
    "Status codes over the range": keyTotals("status", "requests"),
    "Requests by country": (run) => {
      const t = tableOf(run.frames);
      mapEquals(rows(t, "cloudflare.key", "Sum cloudflare.requests"), truth.keyTotals("country", "requests"), "requests per country");
      mapEquals(rows(t, "cloudflare.key", "Sum cloudflare.bytes"), truth.keyTotals("country", "bytes"), "bytes per country");
      const layer = (
        run.panel.options!.layers as { location: { lookup: string }; config: { style: { color: { field: string }; size: { field: string } } } }[]
      )[0]!;
      for (const name of [layer.location.lookup, layer.config.style.color.field, layer.config.style.size.field]) column(t, name);
      assert.ok(
        column(t, "cloudflare.key").every((k) => /^[A-Z0-9]{2}$/.test(String(k))),
        "ISO codes for the gazetteer lookup",
      );
    },
    Countries: (run) => {
      const [t] = applyTransformations(run.panel, run.frames);
      mapEquals(rows(t!, "Country", "Requests"), truth.keyTotals("country", "requests"), "requests");
      mapEquals(rows(t!, "Country", "Bytes"), truth.keyTotals("country", "bytes"), "bytes");
      mapEquals(rows(t!, "Country", "Threats"), truth.keyTotals("country", "threats"), "threats");
    },
    "Content types by requests": keyTotals("content_type", "requests"),
    "Content types by bandwidth": keyTotals("content_type", "bytes"),
    "Browsers by page views": keyTotals("browser", "page_views"),
    "TLS versions": keyTotals("ssl_protocol", "requests"),
    "HTTP versions": keyTotals("http_protocol", "requests"),
    "IP classes": keyTotals("ip_class", "requests"),
    "Threats by type": keyTotals("threat_pathing", "requests"),
  };
}

// ---------------------------------------------------------------- exporter health

function healthExpectations(
  runs: readonly RunDoc[],
  interval: number,
  freshness: Map<string, number>,
  stored: (zone: string) => (number | null)[],
): Record<string, Expectation> {
  const inWindow = runs.filter((d) => Date.parse(String(d["@timestamp"])) >= WINDOW.from && Date.parse(String(d["@timestamp"])) < WINDOW.to);
  const summaries = inWindow.filter((d) => d["run.kind"] === "run");
  const datasetDocs = inWindow.filter((d) => d["run.kind"] === "dataset");
  const buckets: number[] = [];
  for (let b = Math.floor(WINDOW.from / interval) * interval; b < WINDOW.to; b += interval) buckets.push(b);
  const bucketOf = (d: RunDoc) => Math.floor(Date.parse(String(d["@timestamp"])) / interval) * interval;
  const per = (docs: readonly RunDoc[], value: (d: RunDoc[]) => number | null): (number | null)[] =>
    buckets.map((b) => value(docs.filter((d) => bucketOf(d) === b)));
  const n = (d: RunDoc, f: string) => Number(d[f] ?? 0);
  const total = (docs: readonly RunDoc[], f?: string) => docs.reduce((s, d) => s + (f ? n(d, f) : 1), 0);
  const countBy = (docs: readonly RunDoc[], f: string) => {
    const out = new Map<string, number>();
    for (const d of docs) if (d[f] !== undefined) out.set(String(d[f]), (out.get(String(d[f])) ?? 0) + 1);
    return out;
  };
  const stat =
    (want: number): Expectation =>
    (run) =>
      assert.equal(only(run), want, run.panel.title);
  return {
    "Newest stored minute": (run) => {
      const [t] = applyTransformations(run.panel, run.frames);
      const datasets = column(t!, "Dataset");
      const zones = column(t!, "Zone");
      const accounts = column(t!, "Account");
      const newest = column(t!, "Newest stored minute");
      const got = new Map(zones.map((z, i) => [`${String(datasets[i])}|${String(z)}|${String(accounts[i])}`, newest[i]]));
      mapEquals(got, new Map([...freshness].map(([zone, minute]) => [`${HTTP}|${zone}|`, minute])), "newest stored minute per dataset and zone");
      // Lag after a run at NOW: the settle delay, the minute itself, and the 30 seconds NOW is past the minute.
      for (const minute of freshness.values()) assert.equal((NOW - minute) / MINUTE, 6.5);
    },
    "Lag reported by runs": (run) => {
      const owner = (d: RunDoc) => `${String(d["cloudflare.dataset"])} ${String(d["cloudflare.zone.name"] ?? "")}${String(d["cloudflare.account.name"] ?? "")}`;
      assert.deepEqual(
        series(run.frames)
          .map((s) => s.name)
          .sort(),
        [...new Set(datasetDocs.map(owner))].sort(),
      );
      for (const s of series(run.frames)) {
        const docs = datasetDocs.filter((d) => owner(d) === s.name);
        assert.deepEqual(
          points(s),
          per(docs, (ds) => (ds.length ? Math.max(...ds.map((d) => n(d, "run.lag_minutes"))) : null)),
          s.name,
        );
      }
      assert.ok(Math.max(...datasetDocs.map((d) => n(d, "run.lag_minutes"))) > 7, "failed runs show a growing lag");
    },
    "Stored minutes per bucket": (run) => {
      assert.equal(series(run.frames).length, ZONES.length);
      for (const z of ZONES) assert.deepEqual(points(seriesBy(run, `${HTTP} ${z.name}`)), stored(z.name), z.name);
    },
    Runs: stat(summaries.length),
    "Failed runs": stat(summaries.filter((d) => d["run.outcome"] === "failed" || d["run.outcome"] === "gate-error").length),
    "Gate denials": stat(summaries.filter((d) => d["run.gate.allowed"] === false).length),
    "Documents written": stat(total(summaries, "run.documents")),
    "Cloudflare queries": stat(total(summaries, "run.queries")),
    "Bulk re-sends": stat(total(summaries, "run.bulk_retries")),
    "Run outcomes": (run) => {
      for (const [outcome] of countBy(summaries, "run.outcome")) {
        assert.deepEqual(
          points(seriesBy(run, outcome)),
          per(
            summaries.filter((d) => d["run.outcome"] === outcome),
            (ds) => ds.length,
          ),
          outcome,
        );
      }
      assert.deepEqual(
        series(run.frames)
          .map((s) => s.name)
          .sort(),
        [...countBy(summaries, "run.outcome").keys()].sort(),
      );
    },
    "Documents per run": (run) => {
      assert.deepEqual(
        points(seriesBy(run, "Average run.documents")),
        per(summaries, (ds) => (ds.length ? total(ds, "run.documents") / ds.length : null)),
      );
    },
    "Cloudflare queries per 5 minutes and the budget": (run) => {
      assert.deepEqual(
        points(seriesBy(run, "Sum run.queries")),
        per(summaries, (ds) => total(ds, "run.queries")),
      );
      assert.deepEqual(
        points(seriesBy(run, "Max run.query_budget")),
        per(summaries, (ds) => (ds.length ? Math.max(...ds.map((d) => n(d, "run.query_budget"))) : null)),
      );
    },
    "Dataset results per run": (run) => {
      for (const [status] of countBy(datasetDocs, "run.status")) {
        assert.deepEqual(
          points(seriesBy(run, status)),
          per(
            datasetDocs.filter((d) => d["run.status"] === status),
            (ds) => ds.length,
          ),
          status,
        );
      }
    },
    "Gate decisions": (run) => {
      assert.deepEqual(
        points(seriesBy(run, "allowed")),
        per(
          summaries.filter((d) => d["run.gate.allowed"] === true),
          (ds) => ds.length,
        ),
      );
      assert.deepEqual(
        points(seriesBy(run, "denied")),
        per(
          summaries.filter((d) => d["run.gate.allowed"] === false),
          (ds) => ds.length,
        ),
      );
    },
    "Run duration": (run) => {
      assert.deepEqual(
        points(seriesBy(run, "Max run.duration_ms")),
        per(summaries, (ds) => (ds.length ? Math.max(...ds.map((d) => n(d, "run.duration_ms"))) : null)),
      );
    },
    "Gate reasons": (run) => {
      const [t] = applyTransformations(run.panel, run.frames);
      mapEquals(rows(t!, "Reason", "Runs"), countBy(summaries, "run.gate.reason"), "runs per gate reason");
    },
    Errors: (run) => {
      const [t] = applyTransformations(run.panel, run.frames);
      const scope = column(t!, "Scope");
      const error = column(t!, "Error");
      const times = column(t!, "Times");
      const got = new Map(scope.map((s, i) => [`${String(s)}: ${String(error[i])}`, times[i]]));
      const want = new Map<string, number>();
      for (const d of inWindow)
        if (d["run.error"] !== undefined)
          want.set(`${String(d["run.kind"])}: ${String(d["run.error"])}`, (want.get(`${String(d["run.kind"])}: ${String(d["run.error"])}`) ?? 0) + 1);
      mapEquals(got, want, "errors by scope");
    },
  };
}

// ---------------------------------------------------------------- datasets beyond HTTP

const FIREWALL: AdaptiveName = "firewallEventsAdaptiveGroups";
const HEALTH: AdaptiveName = "healthCheckEventsAdaptiveGroups";
const LB: AdaptiveName = "loadBalancingRequestsAdaptiveGroups";
const DNS: AdaptiveName = "dnsAnalyticsAdaptiveGroups";
const WORKERS: AdaptiveName = "workersInvocationsAdaptive";
const R2_OPS: AdaptiveName = "r2OperationsAdaptiveGroups";
const R2_STORAGE: AdaptiveName = "r2StorageAdaptiveGroups";

function datasetExpectations(zones: AdaptiveTruth, accounts: AdaptiveTruth, interval: number): Record<string, Record<string, Expectation>> {
  const total =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, filter: Record<string, unknown> = {}): Expectation =>
    (run) => {
      const want = t.total(node, path, filter);
      assert.ok(want > 0, `${run.panel.title}: the simulator has events`);
      assert.ok(near(only(run), want), `${run.panel.title}: ${String(only(run))} != ${want}`);
    };
  const over =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, dims: string[], filter: Record<string, unknown> = {}): Expectation =>
    (run) =>
      seriesMatch(run, t.perBucket(node, path, dims, interval, filter));
  const range =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, dims: string[], filter: Record<string, unknown> = {}): Expectation =>
    (run) =>
      nearMap(display(run), t.byDimension(node, path, dims, filter), run.panel.title);
  const peak =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, dims: string[], entryDims: string[]): Expectation =>
    (run) =>
      seriesMatch(run, t.peakPerBucket(node, path, dims, entryDims, interval));
  const healthDims = ["healthStatus", "healthCheckName", "originIP", "region", "fqdn"];
  const dnsDims = ["queryType", "responseCode", "responseCached", "coloName"];
  return {
    "cloudflare-security-events": {
      "Security events": total(zones, FIREWALL, "count"),
      "Events acted on": total(zones, FIREWALL, "count", { action_neq: "log" }),
      "Events by source": range(zones, FIREWALL, "count", ["source"]),
      "Events by action": over(zones, FIREWALL, "count", ["action"]),
      "Events by host": over(zones, FIREWALL, "count", ["clientRequestHTTPHost"]),
      Rules: (run) => {
        const [t] = applyTransformations(run.panel, run.frames);
        const want = zones.byDimension(FIREWALL, "count", ["ruleId"]);
        const got = rows(t!, "Rule", "Events");
        assert.equal(got.size, Math.min(100, want.size), "one row per rule (the 100 most frequent)");
        for (const [rule, events] of got) assert.equal(events, want.get(rule), rule);
        const described = zones.byDimension(FIREWALL, "count", ["ruleId", "description"]);
        const descriptions = rows(t!, "Rule", "Description");
        for (const [rule, description] of descriptions) assert.ok(described.has(`${rule} ${String(description)}`), `${rule}: ${String(description)}`);
      },
      "Events by country": (run) => {
        const t = tableOf(run.frames);
        nearMap(rows(t, "source.geo.country_iso_code", "Sum"), byIsoCountry(zones.byDimension(FIREWALL, "count", ["clientCountryName"])), "events per country");
        const layer = (
          run.panel.options!.layers as { location: { lookup: string }; config: { style: { color: { field: string }; size: { field: string } } } }[]
        )[0]!;
        for (const name of [layer.location.lookup, layer.config.style.color.field, layer.config.style.size.field]) column(t, name);
      },
    },
    "cloudflare-origins": {
      "Health check events by status": over(zones, HEALTH, "count", ["healthStatus"]),
      "Unhealthy checks by origin": over(zones, HEALTH, "count", ["originIP"], { healthStatus: "unhealthy" }),
      "Round-trip time by check (peak)": peak(zones, HEALTH, "avg.rttMs", ["healthCheckName"], healthDims),
      "Time to first byte by check (peak)": peak(zones, HEALTH, "avg.timeToFirstByteMs", ["healthCheckName"], healthDims),
      "Requests by pool": over(zones, LB, "count", ["selectedPoolName"]),
      "Requests to unhealthy pools": over(zones, LB, "count", ["lbName"], { selectedPoolHealthy: 0 }),
      "Requests by origin": range(zones, LB, "count", ["selectedOriginName"]),
      "Requests by steering policy": range(zones, LB, "count", ["steeringPolicy"]),
    },
    "cloudflare-dns": {
      "DNS queries": total(zones, DNS, "count"),
      "Answered from cache": (run) =>
        nearMap(
          display(run),
          new Map([
            ["from cache", zones.total(DNS, "count", { responseCached: 1 })],
            ["not from cache", zones.total(DNS, "count", { responseCached: 0 })],
            // Every entry is kept here (no top-N cap): nothing is summed into other.
            ["other", 0],
          ]),
          run.panel.title,
        ),
      "Queries by data centre": range(zones, DNS, "count", ["coloName"]),
      "Queries by record type": over(zones, DNS, "count", ["queryType"]),
      "Queries by response code": over(zones, DNS, "count", ["responseCode"]),
      "Processing time by record type (peak)": peak(zones, DNS, "avg.processingTimeUs", ["queryType"], dnsDims),
    },
    "cloudflare-workers": {
      Requests: total(accounts, WORKERS, "sum.requests"),
      Errors: total(accounts, WORKERS, "sum.errors"),
      Subrequests: total(accounts, WORKERS, "sum.subrequests"),
      "CPU time": total(accounts, WORKERS, "sum.cpuTimeUs"),
      Duration: total(accounts, WORKERS, "sum.duration"),
      "Requests by script": over(accounts, WORKERS, "sum.requests", ["scriptName"]),
      "Errors by script": over(accounts, WORKERS, "sum.errors", ["scriptName"]),
      "Invocations by outcome": range(accounts, WORKERS, "sum.requests", ["status"]),
      "CPU time P99 by script (peak)": peak(accounts, WORKERS, "quantiles.cpuTimeP99", ["scriptName"], ["scriptName", "status"]),
    },
    "cloudflare-r2": {
      "Operations by action": over(accounts, R2_OPS, "sum.requests", ["actionType"]),
      "Operations by bucket": range(accounts, R2_OPS, "sum.requests", ["bucketName"]),
      "Egress by bucket": range(accounts, R2_OPS, "sum.responseBytes", ["bucketName"]),
      "Stored bytes by bucket and class": peak(accounts, R2_STORAGE, "max.payloadSize", ["bucketName", "storageClass"], ["bucketName", "storageClass"]),
      "Objects stored": (run) => {
        const levels = accounts.peakPerBucket(R2_STORAGE, "max.objectCount", ["bucketName", "storageClass"], ["bucketName", "storageClass"], interval);
        const want = new Map([...levels].map(([k, v]) => [k, v.filter((x): x is number => x !== null).at(-1)!]));
        nearMap(display(run), want, "the level of the last bucket, per bucket and class");
      },
    },
  };
}

// ---------------------------------------------------------------- sampled HTTP datasets, the Free plan's overview, Logpush

const HTTP_ADAPTIVE: AdaptiveName = "httpRequestsAdaptiveGroups";
const HTTP_OVERVIEW: AdaptiveName = "httpRequestsOverviewAdaptiveGroups";
const LOGPUSH: AdaptiveName = "logpushHealthAdaptiveGroups";
/** The GraphQL filters the datasets add to their queries of httpRequestsAdaptiveGroups (src/datasets/http-*.ts). */
const EYEBALL = { requestSource: "eyeball" };
const TO_ORIGIN = { cacheStatus_in: ["miss", "expired", "bypass", "dynamic", "revalidated"] };
const ORIGIN_DIMS = ["originResponseStatus", "clientCountryName", "clientRequestHTTPHost"];
/** Cache statuses of responses served from Cloudflare's cache (reference §6: what lablabs' exporter counts as cached). */
const CACHED = { ...EYEBALL, cacheStatus_in: ["hit", "stale", "updating", "revalidated", "deferred_hit", "revalidated_hit"] };
/** A dimension the exporter stores only when not empty: its empty value shows as "other" in the panels. */
const emptyAsOther = (m: Map<string, number>): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [k, v] of m) out.set(k === "" ? "other" : k, (out.get(k === "" ? "other" : k) ?? 0) + v);
  return out;
};
const STATUS_GROUPS: [string, (status: number) => boolean][] = [
  ["Success (2xx, 3xx)", (s) => s >= 200 && s <= 399],
  ["Client issues (4xx)", (s) => s >= 400 && s <= 499],
  ["Errors (5xx)", (s) => s >= 500 && s <= 599],
];
const is5xx = (s: number) => s >= 500 && s <= 599;

/**
 * Per status group, a figure summed per bucket from the simulator's rows grouped by status; the rest (1xx, 0) under
 * `rest`, and "other" (the entries beyond the top N) 0, as nothing is capped in this run.
 */
function statusGroupTruth(
  t: AdaptiveTruth,
  node: AdaptiveName,
  path: string,
  statusDim: string,
  rest: string,
  interval: number,
  filter: Record<string, unknown>,
): Map<string, number[]> {
  const buckets = t.buckets(interval);
  const out = new Map<string, number[]>([...STATUS_GROUPS.map(([label]) => label), rest, "other"].map((label) => [label, buckets.map(() => 0)]));
  for (const [status, values] of t.perBucket(node, path, [statusDim], interval, filter)) {
    const label = STATUS_GROUPS.find(([, test]) => test(Number(status)))?.[0] ?? rest;
    values.forEach((v, i) => (out.get(label)![i]! += v));
  }
  return out;
}

/** Per value of `dim`, a figure per bucket of the entries whose status passes `test`. */
function perBucketWhereStatus(
  t: AdaptiveTruth,
  node: AdaptiveName,
  path: string,
  statusDim: string,
  dim: string,
  interval: number,
  filter: Record<string, unknown>,
  test: (s: number) => boolean,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [key, values] of t.perBucket(node, path, [statusDim, dim], interval, filter)) {
    const [status, value] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
    if (!test(Number(status))) continue;
    const list = out.get(value) ?? values.map(() => 0);
    values.forEach((v, i) => (list[i]! += v));
    out.set(value, list);
  }
  return out;
}

const tableRows = (run: Run, keys: readonly string[], value: string): Map<string, unknown> => {
  const [t] = applyTransformations(run.panel, run.frames);
  const columns = keys.map((k) => column(t!, k));
  const values = column(t!, value);
  return new Map(values.map((v, i) => [columns.map((c) => String(c[i])).join(" "), v]));
};

function sampledHttpExpectations(
  zones: AdaptiveTruth,
  accounts: AdaptiveTruth,
  perZone: ReadonlyMap<string, AdaptiveTruth>,
  interval: number,
): Record<string, Record<string, Expectation>> {
  const total =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, filter: Record<string, unknown> = {}): Expectation =>
    (run) => {
      const want = t.total(node, path, filter);
      assert.ok(want > 0, `${run.panel.title}: the simulator has events`);
      assert.ok(near(only(run), want), `${run.panel.title}: ${String(only(run))} != ${want}`);
    };
  const totalWhereStatus =
    (node: AdaptiveName, statusDim: string, filter: Record<string, unknown>, test: (s: number) => boolean): Expectation =>
    (run) => {
      let want = 0;
      for (const [status, n] of zones.byDimension(node, "count", [statusDim], filter)) if (test(Number(status))) want += n;
      assert.ok(want > 0, `${run.panel.title}: the simulator has such requests`);
      assert.ok(near(only(run), want), `${run.panel.title}: ${String(only(run))} != ${want}`);
    };
  const over =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, dims: string[], filter: Record<string, unknown> = {}): Expectation =>
    (run) =>
      seriesMatch(run, t.perBucket(node, path, dims, interval, filter));
  const range =
    (t: AdaptiveTruth, node: AdaptiveName, path: string, dims: string[], filter: Record<string, unknown> = {}): Expectation =>
    (run) =>
      nearMap(display(run), t.byDimension(node, path, dims, filter), run.panel.title);
  const groups =
    (node: AdaptiveName, path: string, statusDim: string, rest: string, filter: Record<string, unknown>): Expectation =>
    (run) => {
      const want = statusGroupTruth(zones, node, path, statusDim, rest, interval, filter);
      seriesMatch(run, want);
      // The groups add up to all requests, bucket by bucket.
      const all = zones.perBucket(node, path, [], interval, filter).get("")!;
      const added = all.map((_, i) => [...want.values()].reduce((s, v) => s + v[i]!, 0));
      nearAll(added, all, `${run.panel.title}: the groups add up`);
    };
  const overview = (path: string): Expectation => total(zones, HTTP_OVERVIEW, path);
  const share =
    (part: string, whole: string): Expectation =>
    (run) => {
      const want = zones.total(HTTP_OVERVIEW, part) / zones.total(HTTP_OVERVIEW, whole);
      assert.ok(want > 0 && want < 1, `${run.panel.title}: a share`);
      assert.ok(near(only(run), want), `${run.panel.title}: ${String(only(run))} != ${want}`);
    };
  const sums =
    (paths: Record<string, string>, node: AdaptiveName, filter: Record<string, unknown> = {}): Expectation =>
    (run) =>
      seriesMatch(run, new Map(Object.entries(paths).map(([name, path]) => [name, zones.perBucket(node, path, [], interval, filter).get("")!])));
  const origin = (path: string) => zones.peakPerBucket(HTTP_ADAPTIVE, path, [], ORIGIN_DIMS, interval, TO_ORIGIN).get("")!;
  const rest = "1xx or no status";
  const logpush = (path: string, filter: Record<string, unknown> = {}): Expectation => total(accounts, LOGPUSH, path, filter);
  return {
    "cloudflare-http-sampled": {
      "End-user requests": total(zones, HTTP_ADAPTIVE, "count", EYEBALL),
      "End-user bandwidth": total(zones, HTTP_ADAPTIVE, "sum.edgeResponseBytes", EYEBALL),
      Visits: total(zones, HTTP_ADAPTIVE, "sum.visits", EYEBALL),
      "Server errors (5xx)": totalWhereStatus(HTTP_ADAPTIVE, "edgeResponseStatus", EYEBALL, is5xx),
      "Requests by status group": groups(HTTP_ADAPTIVE, "count", "edgeResponseStatus", rest, EYEBALL),
      "Requests by host": over(zones, HTTP_ADAPTIVE, "count", ["clientRequestHTTPHost"], EYEBALL),
      "Server errors (5xx) by host": (run) =>
        seriesMatch(run, perBucketWhereStatus(zones, HTTP_ADAPTIVE, "count", "edgeResponseStatus", "clientRequestHTTPHost", interval, EYEBALL, is5xx)),
      "Requests by country": (run) =>
        nearMap(display(run), byIsoCountry(zones.byDimension(HTTP_ADAPTIVE, "count", ["clientCountryName"], EYEBALL)), run.panel.title),
      "Bandwidth by host": range(zones, HTTP_ADAPTIVE, "sum.edgeResponseBytes", ["clientRequestHTTPHost"], EYEBALL),
      "Requests to the origin": total(zones, HTTP_ADAPTIVE, "count", TO_ORIGIN),
      "Origin errors (5xx)": totalWhereStatus(HTTP_ADAPTIVE, "originResponseStatus", TO_ORIGIN, is5xx),
      "Slowest origin P99 of one minute": (run) => {
        const want = Math.max(...origin("quantiles.originResponseDurationMsP99").filter((v): v is number => v !== null));
        assert.ok(near(only(run), want), `${String(only(run))} != ${want}`);
        // Summed over the minutes it would be far larger: a percentile is no count.
        assert.ok(
          want <
            zones
              .rows(HTTP_ADAPTIVE, zones.from, zones.to, ["datetimeMinute", ...ORIGIN_DIMS], TO_ORIGIN)
              .reduce((s, r) => s + rowValue(r, "quantiles.originResponseDurationMsP99"), 0),
        );
      },
      "Origin requests by status group": groups(HTTP_ADAPTIVE, "count", "originResponseStatus", "No answer or 1xx", TO_ORIGIN),
      "Origin response time (slowest entry per bucket)": (run) =>
        seriesMatch(
          run,
          new Map([
            ["Max cloudflare.origin.duration_p50_ms", origin("quantiles.originResponseDurationMsP50")],
            ["Max cloudflare.origin.duration_p95_ms", origin("quantiles.originResponseDurationMsP95")],
            ["Max cloudflare.origin.duration_p99_ms", origin("quantiles.originResponseDurationMsP99")],
            ["Max cloudflare.origin.duration_avg_ms", origin("avg.originResponseDurationMs")],
          ]),
        ),
      "Origin P95 by host (peak)": (run) =>
        seriesMatch(
          run,
          zones.peakPerBucket(HTTP_ADAPTIVE, "quantiles.originResponseDurationMsP95", ["clientRequestHTTPHost"], ORIGIN_DIMS, interval, TO_ORIGIN),
        ),
      "Origin errors (5xx) by host": (run) =>
        seriesMatch(run, perBucketWhereStatus(zones, HTTP_ADAPTIVE, "count", "originResponseStatus", "clientRequestHTTPHost", interval, TO_ORIGIN, is5xx)),
      "Requests by data centre": over(zones, HTTP_ADAPTIVE, "count", ["coloCode"]),
      "Bandwidth by data centre": range(zones, HTTP_ADAPTIVE, "sum.edgeResponseBytes", ["coloCode"]),
      "Visits by data centre": range(zones, HTTP_ADAPTIVE, "sum.visits", ["coloCode"]),
      "Data centres and hosts": (run) => {
        const dims = ["coloCode", "clientRequestHTTPHost"];
        nearMap(tableRows(run, ["Data centre", "Host"], "Requests"), zones.byDimension(HTTP_ADAPTIVE, "count", dims), "requests per data centre and host");
        nearMap(tableRows(run, ["Data centre", "Host"], "Visits"), zones.byDimension(HTTP_ADAPTIVE, "sum.visits", dims), "visits per data centre and host");
        nearMap(
          tableRows(run, ["Data centre", "Host"], "Bytes"),
          zones.byDimension(HTTP_ADAPTIVE, "sum.edgeResponseBytes", dims),
          "bytes per data centre and host",
        );
      },
    },
    "cloudflare-http-breakdowns": {
      "Cache hit ratio": (run) => {
        const want = zones.total(HTTP_ADAPTIVE, "count", CACHED) / zones.total(HTTP_ADAPTIVE, "count", EYEBALL);
        assert.ok(want > 0 && want < 1, "some requests cached, some not");
        assert.ok(near(only(run), want), `${String(only(run))} != ${want}`);
      },
      "Cached bandwidth ratio": (run) => {
        const want = zones.total(HTTP_ADAPTIVE, "sum.edgeResponseBytes", CACHED) / zones.total(HTTP_ADAPTIVE, "sum.edgeResponseBytes", EYEBALL);
        assert.ok(want > 0 && want < 1, "some bytes cached, some not");
        assert.ok(near(only(run), want), `${String(only(run))} != ${want}`);
      },
      "Requests by cache status": over(zones, HTTP_ADAPTIVE, "count", ["cacheStatus"], EYEBALL),
      "Cache hit ratio by host": (run) => {
        const cached = zones.byDimension(HTTP_ADAPTIVE, "count", ["clientRequestHTTPHost"], CACHED);
        const all = zones.byDimension(HTTP_ADAPTIVE, "count", ["clientRequestHTTPHost"], EYEBALL);
        const want = new Map([...all].map(([host, n]) => [host, (cached.get(host) ?? 0) / n]));
        assert.ok(new Set(want.values()).size > 1, "hosts differ in their ratio");
        nearMap(tableRows(run, ["Host"], "Hit ratio"), want, "hit ratio per host");
        nearMap(tableRows(run, ["Host"], "Requests"), all, "requests per host");
      },
      "Slowest hosts by P95 time to first byte": (run) => {
        // One entry per minute and host: the statistics are over those per-minute P95s, never a sum of them.
        const perHost = new Map<string, number[]>();
        for (const r of zones.rows(HTTP_ADAPTIVE, zones.from, zones.to, ["datetimeMinute", "clientRequestHTTPHost"], EYEBALL)) {
          const host = String(r.dimensions.clientRequestHTTPHost);
          perHost.set(host, [...(perHost.get(host) ?? []), rowValue(r, "quantiles.edgeTimeToFirstByteMsP95")]);
        }
        const worst = new Map([...perHost].map(([h, v]) => [h, Math.max(...v)]));
        const mean = new Map([...perHost].map(([h, v]) => [h, v.reduce((a, b) => a + b, 0) / v.length]));
        nearMap(tableRows(run, ["Host"], "Worst minute's P95"), worst, "worst minute per host");
        nearMap(tableRows(run, ["Host"], "Mean of the minutes' P95"), mean, "mean of the minutes per host");
        const order = column(applyTransformations(run.panel, run.frames)[0]!, "Worst minute's P95") as number[];
        assert.deepEqual(
          order,
          [...order].sort((a, b) => b - a),
          "slowest first",
        );
      },
      "P95 time to first byte by host (peak)": (run) =>
        seriesMatch(
          run,
          zones.peakPerBucket(HTTP_ADAPTIVE, "quantiles.edgeTimeToFirstByteMsP95", ["clientRequestHTTPHost"], ["clientRequestHTTPHost"], interval, EYEBALL),
        ),
      "Top paths": (run) => {
        const collapse = (byPath: Map<string, number>) => {
          const out = new Map<string, number>();
          for (const [key, v] of byPath) {
            const [host, path] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
            const k = `${host} ${collapsePath(path)}`;
            out.set(k, (out.get(k) ?? 0) + v);
          }
          return out;
        };
        const dims = ["clientRequestHTTPHost", "clientRequestPath"];
        const requests = collapse(zones.byDimension(HTTP_ADAPTIVE, "count", dims, EYEBALL));
        assert.ok(
          [...requests.keys()].some((k) => k.includes("{")),
          "some paths had ids",
        );
        nearMap(tableRows(run, ["Host", "Path"], "Requests"), requests, "requests per host and path pattern");
        nearMap(tableRows(run, ["Host", "Path"], "Bytes"), collapse(zones.byDimension(HTTP_ADAPTIVE, "sum.edgeResponseBytes", dims, EYEBALL)), "bytes");
      },
      "Origin P95 by data centre (peak)": (run) =>
        seriesMatch(
          run,
          zones.peakPerBucket(HTTP_ADAPTIVE, "quantiles.originResponseDurationMsP95", ["coloCode"], ["coloCode", "clientRequestHTTPHost"], interval, TO_ORIGIN),
        ),
      "Origin requests by data centre": over(zones, HTTP_ADAPTIVE, "count", ["coloCode"], TO_ORIGIN),
      "Share of requests by network (AS)": (run) =>
        nearMap(display(run), emptyAsOther(zones.byDimension(HTTP_ADAPTIVE, "count", ["clientASNDescription"], EYEBALL)), run.panel.title),
      "Share of requests by bot management decision": (run) =>
        nearMap(display(run), emptyAsOther(zones.byDimension(HTTP_ADAPTIVE, "count", ["botManagementDecision"], EYEBALL)), run.panel.title),
    },
    "cloudflare-http-overview": {
      Requests: overview("sum.requests"),
      Bandwidth: overview("sum.bytes"),
      "Cached requests": share("sum.cachedRequests", "sum.requests"),
      "Cached bandwidth": share("sum.cachedBytes", "sum.bytes"),
      "Page views": overview("sum.pageViews"),
      Visits: overview("sum.visits"),
      "Requests: all and cached": sums({ "Sum cloudflare.requests": "sum.requests", "Sum cloudflare.cached_requests": "sum.cachedRequests" }, HTTP_OVERVIEW),
      "Bandwidth: all and cached": sums({ "Sum cloudflare.bytes": "sum.bytes", "Sum cloudflare.cached_bytes": "sum.cachedBytes" }, HTTP_OVERVIEW),
      "Page views and visits": sums({ "Sum cloudflare.page_views": "sum.pageViews", "Sum cloudflare.visits": "sum.visits" }, HTTP_OVERVIEW),
      "Requests per zone": (run) =>
        seriesMatch(run, new Map([...perZone].map(([name, t]) => [name, t.perBucket(HTTP_OVERVIEW, "sum.requests", [], interval).get("")!]))),
      "Requests by status group": groups(HTTP_OVERVIEW, "sum.requests", "edgeResponseStatus", rest, {}),
      "Status groups over the range": (run) => {
        const want = new Map(
          [...statusGroupTruth(zones, HTTP_OVERVIEW, "sum.requests", "edgeResponseStatus", rest, interval, {})].map(([label, v]) => [
            label,
            v.reduce((a, b) => a + b, 0),
          ]),
        );
        nearMap(display(run), want, "range sum per group");
      },
      "Requests by country": (run) => {
        const t = tableOf(run.frames);
        nearMap(
          rows(t, "source.geo.country_iso_code", "Sum cloudflare.requests"),
          byIsoCountry(zones.byDimension(HTTP_OVERVIEW, "sum.requests", ["clientCountryName"])),
          "requests per country",
        );
        nearMap(
          rows(t, "source.geo.country_iso_code", "Sum cloudflare.bytes"),
          byIsoCountry(zones.byDimension(HTTP_OVERVIEW, "sum.bytes", ["clientCountryName"])),
          "bytes per country",
        );
        const layer = (
          run.panel.options!.layers as { location: { lookup: string }; config: { style: { color: { field: string }; size: { field: string } } } }[]
        )[0]!;
        for (const name of [layer.location.lookup, layer.config.style.color.field, layer.config.style.size.field]) column(t, name);
      },
      Countries: (run) => {
        const by = (path: string) => byIsoCountry(zones.byDimension(HTTP_OVERVIEW, path, ["clientCountryName"]));
        nearMap(tableRows(run, ["Country"], "Requests"), by("sum.requests"), "requests");
        nearMap(tableRows(run, ["Country"], "Bytes"), by("sum.bytes"), "bytes");
        nearMap(tableRows(run, ["Country"], "Cached requests"), by("sum.cachedRequests"), "cached requests");
        nearMap(tableRows(run, ["Country"], "Page views"), by("sum.pageViews"), "page views");
      },
    },
    "cloudflare-logpush": {
      "Upload attempts": logpush("sum.uploads"),
      "Failed uploads": logpush("sum.uploads", { success: 0 }),
      "Log records": logpush("sum.records"),
      "Bytes uploaded": logpush("sum.bytes"),
      "Uploads by outcome": (run) => {
        const byOutcome = accounts.perBucket(LOGPUSH, "sum.uploads", ["success"], interval);
        const zero = accounts.buckets(interval).map(() => 0);
        seriesMatch(
          run,
          new Map([
            ["successful", byOutcome.get("1") ?? zero],
            ["failed", byOutcome.get("0") ?? zero],
          ]),
        );
        assert.ok(
          points(seriesBy(run, "failed")).some((v) => (v ?? 0) > 0),
          "some uploads failed",
        );
      },
      "Failed uploads by job": over(accounts, LOGPUSH, "sum.uploads", ["jobId"], { success: 0 }),
      Jobs: (run) => {
        const dims = ["jobId", "destinationType"];
        nearMap(tableRows(run, ["Job", "Destination"], "Uploads"), accounts.byDimension(LOGPUSH, "sum.uploads", dims), "uploads per job");
        nearMap(tableRows(run, ["Job", "Destination"], "Records"), accounts.byDimension(LOGPUSH, "sum.records", dims), "records per job");
        nearMap(tableRows(run, ["Job", "Destination"], "Bytes"), accounts.byDimension(LOGPUSH, "sum.bytes", dims), "bytes per job");
      },
      "Failed uploads by destination": range(accounts, LOGPUSH, "sum.uploads", ["destinationType"], { success: 0 }),
      "Uploads by destination": range(accounts, LOGPUSH, "sum.uploads", ["destinationType"]),
    },
  };
}

// ---------------------------------------------------------------- the test

describe("dashboards, alert rules and alert queries against Elasticsearch", { skip: needsElasticsearch }, () => {
  let es: Client;
  let sim: Simulator;
  let runs: RunDoc[] = [];
  const dataIndex = indexFor("cloudflare-analytics", PREFIX);
  const runsIndex = indexFor("cloudflare-runs", PREFIX);
  const indexOf = (panel: Panel) => (sourceOf(panel.datasource?.uid) === "runs" ? runsIndex : dataIndex);
  const stored = expectedRange(NOW);

  async function execute(panel: Panel, ctx: QueryContext, now: number, dataIndexOverride?: string): Promise<Frame[]> {
    const c = panelContext(panel, ctx, now);
    const frames: Frame[] = [];
    const index = sourceOf(panel.datasource?.uid) === "data" && dataIndexOverride ? dataIndexOverride : indexOf(panel);
    for (const target of panel.targets ?? []) {
      const t = interpolateTarget(target, c);
      const response = await es.search({ index, ignore_unavailable: true, allow_no_indices: true, ...searchBody(t, c) });
      frames.push(...parseResponse(t, response as unknown as Record<string, unknown>));
    }
    return frames;
  }

  async function checkDashboard(d: DashboardFile, ctx: QueryContext, expectations: Record<string, Expectation>, dataIndexOverride?: string): Promise<void> {
    const panels = panelsOf(d);
    assert.deepEqual(panels.map((p) => p.title).sort(), Object.keys(expectations).sort(), `${d.file}: every panel has a ground-truth check, and only those`);
    for (const panel of panels) {
      const frames = await execute(panel, ctx, NOW, dataIndexOverride);
      assert.ok(frames.length > 0, `${panel.title}: no frames`);
      try {
        expectations[panel.title]!({ panel, frames, ctx });
      } catch (err) {
        throw new Error(`${d.file} / ${panel.title}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  before(async () => {
    es = esClient();
    for (const p of [PREFIX, FAILING, GATED, GATE_ERRORS, DATASETS, CAPPED]) await dropPrefix(es, p);
    sim = await simulator({ now: () => NOW });
    // The sampled datasets, 4 hours of them (enough for the window), with every entry kept (no top-N cap).
    const nodes: AdaptiveName[] = [FIREWALL, HEALTH, LB, DNS, WORKERS, R2_OPS, R2_STORAGE, HTTP_ADAPTIVE, HTTP_OVERVIEW, LOGPUSH];
    // And the hourly HTTP dataset, 6 hours of it.
    const settings = { ...Object.fromEntries(nodes.map((n) => [n, { notOlderThan: 4 * 3600 }])), httpRequests1hGroups: { notOlderThan: 6 * 3600 } };
    const sampled = await startSimulator({ now: () => NOW, settings });
    try {
      const env = exporterEnv(sampled, DATASETS, {
        CF_DATASETS: [...SAMPLED_DATASETS, HOURLY].join(","),
        CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name},${LOGS.id}=${LOGS.name}`,
        CF_TOP_N: "10000",
      });
      const r = await cli(["run", "--now", new Date(NOW).toISOString()], env);
      assert.equal(r.code, 0, r.stderr);
      const capped = await cli(
        ["run", "--now", new Date(NOW).toISOString()],
        exporterEnv(sampled, CAPPED, { CF_DATASETS: "firewall_events,http_eyeball,http_origin,http_colo,http_overview", CF_TOP_N: "3" }),
      );
      assert.equal(capped.code, 0, capped.stderr);
    } finally {
      await sampled.close();
    }
    // A budget just above this run's cost (3 zones x 6 one-hour windows = 18 queries; settings reads are not counted).
    const result = await cli(["run", "--now", new Date(NOW).toISOString()], exporterEnv(sim, PREFIX, { CF_DATASETS: HTTP, CF_QUERY_BUDGET: "20" }));
    assert.equal(result.code, 0, result.stderr);
    // A known history of runs (outcomes, gate decisions, costs) on the morning the data is from.
    const history = runHistory(ZONES);
    const index = `${PREFIX}-runs-2026.11`;
    const bulk = await es.bulk({ refresh: true, operations: history.flatMap((doc) => [{ index: { _index: index, _id: doc.id } }, toSource(doc.fields)]) });
    assert.equal(bulk.errors, false, JSON.stringify(bulk.items.find((i) => i.index?.error)));
    await es.indices.refresh({ index: `${PREFIX}-*` });
    const all = await es.search({ index: runsIndex, size: 10_000, query: { match_all: {} } });
    runs = all.hits.hits.map((h) => flat(h._source as Record<string, unknown>));
    assert.ok(
      runs.some((d) => d["run.id"] !== undefined && !String(d["run.id"]).startsWith("synthetic")),
      "the real run recorded itself",
    );
  });
  after(async () => {
    await sim?.close();
    for (const p of [PREFIX, FAILING, GATED, GATE_ERRORS, DATASETS, CAPPED]) await dropPrefix(es, p);
    await es?.close();
  });

  const files = dashboardFiles();
  const overview = files.find((f) => f.json.uid === "cloudflare-zone-overview")!;
  const health = files.find((f) => f.json.uid === "cloudflare-exporter-health")!;

  // cloudflare-tunnels is checked against its own runs in tunnels.test.ts.
  it("all shipped dashboards are covered here", () => {
    assert.deepEqual(files.map((f) => f.json.uid).sort(), [
      "cloudflare-dns",
      "cloudflare-exporter-health",
      "cloudflare-http-breakdowns",
      "cloudflare-http-overview",
      "cloudflare-http-sampled",
      "cloudflare-logpush",
      "cloudflare-origins",
      "cloudflare-r2",
      "cloudflare-security-events",
      "cloudflare-tunnels",
      "cloudflare-workers",
      "cloudflare-zone-overview",
    ]);
  });

  it("dashboards of the sampled datasets: every panel shows the simulator's estimates for all zones, one account and 2 hours", async () => {
    const interval = 10 * MINUTE;
    const zones = new AdaptiveTruth(ZONES, WINDOW.from, WINDOW.to);
    const accounts = new AdaptiveTruth([ACCOUNT], WINDOW.from, WINDOW.to);
    const expectations = datasetExpectations(zones, accounts, interval);
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: interval, variables: { zone: { all: "*" }, account: [ACCOUNT.name] } };
    for (const [uid, panels] of Object.entries(expectations)) {
      await checkDashboard(
        files.find((f) => f.json.uid === uid)!,
        ctx,
        panels,
        indexFor("cloudflare-analytics", DATASETS),
      );
    }
  });

  it("capped breakdowns: the entries beyond the top N show as other, and the dimension panels still add up", async () => {
    const security = files.find((f) => f.json.uid === "cloudflare-security-events")!;
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: 10 * MINUTE, variables: { zone: { all: "*" } } };
    const index = indexFor("cloudflare-analytics", CAPPED);
    const run = async (title: string) => {
      const panel = panelsOf(security).find((p) => p.title === title)!;
      return { panel, frames: await execute(panel, ctx, NOW, index), ctx };
    };
    const total = only(await run("Security events"));
    assert.equal(total, new AdaptiveTruth(ZONES, WINDOW.from, WINDOW.to).total(FIREWALL, "count"), "the totals are not capped");
    const byAction = await run("Events by action");
    assert.ok(
      series(byAction.frames).some((s) => s.name === "other"),
      "an other series",
    );
    const summed = series(byAction.frames).reduce((acc, s) => acc + points(s).reduce<number>((a, v) => a + (v ?? 0), 0), 0);
    assert.equal(summed, total, "the actions, other included, add up to all events");
    const bySource = await run("Events by source");
    assert.equal(
      [...display(bySource).values()].reduce<number>((a, v) => a + (v ?? 0), 0),
      total,
    );
  });

  it("sampled HTTP, Free-plan overview and Logpush dashboards: every panel shows the simulator's estimates for two selected zones, two accounts and 2 hours", async () => {
    const interval = 10 * MINUTE;
    const zones = new AdaptiveTruth(SELECTED, WINDOW.from, WINDOW.to);
    const accounts = new AdaptiveTruth([ACCOUNT, LOGS], WINDOW.from, WINDOW.to);
    const perZone = new Map(SELECTED.map((z) => [z.name, new AdaptiveTruth([z], WINDOW.from, WINDOW.to)]));
    const ctx: QueryContext = {
      from: WINDOW.from,
      to: WINDOW.to - 1,
      intervalMs: interval,
      variables: { zone: SELECTED.map((z) => z.name), account: [ACCOUNT.name, LOGS.name] },
    };
    for (const [uid, panels] of Object.entries(sampledHttpExpectations(zones, accounts, perZone, interval))) {
      await checkDashboard(
        files.find((f) => f.json.uid === uid)!,
        ctx,
        panels,
        indexFor("cloudflare-analytics", DATASETS),
      );
    }
    // The third zone's documents are stored too, and the zone variable keeps them out.
    const all = new AdaptiveTruth(ZONES, WINDOW.from, WINDOW.to);
    assert.ok(all.total(HTTP_ADAPTIVE, "count", EYEBALL) > zones.total(HTTP_ADAPTIVE, "count", EYEBALL));
  });

  it("capped sampled HTTP breakdowns: the entries beyond the top N show as other, status groups and dimensions still add up to the totals", async () => {
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: 10 * MINUTE, variables: { zone: { all: "*" } } };
    const index = indexFor("cloudflare-analytics", CAPPED);
    const truth = new AdaptiveTruth(ZONES, WINDOW.from, WINDOW.to);
    const run = async (uid: string, title: string): Promise<Run> => {
      const panel = panelsOf(files.find((f) => f.json.uid === uid)!).find((p) => p.title === title)!;
      assert.ok(panel, `${uid}: ${title}`);
      return { panel, frames: await execute(panel, ctx, NOW, index), ctx };
    };
    const summed = (r: Run) => series(r.frames).reduce((acc, s) => acc + points(s).reduce<number>((a, v) => a + (v ?? 0), 0), 0);
    const hasOther = (r: Run) =>
      assert.ok(
        points(seriesBy(r, "other")).some((v) => (v ?? 0) > 0),
        `${r.panel.title}: other has requests`,
      );
    const cases: [uid: string, total: string, parts: string[], want: number][] = [
      ["cloudflare-http-sampled", "End-user requests", ["Requests by status group", "Requests by host"], truth.total(HTTP_ADAPTIVE, "count", EYEBALL)],
      ["cloudflare-http-sampled", "Requests to the origin", ["Origin requests by status group"], truth.total(HTTP_ADAPTIVE, "count", TO_ORIGIN)],
      ["cloudflare-http-overview", "Requests", ["Requests by status group"], truth.total(HTTP_OVERVIEW, "sum.requests")],
    ];
    for (const [uid, totalTitle, parts, want] of cases) {
      const total = only(await run(uid, totalTitle));
      assert.ok(near(total, want), `${totalTitle}: the totals are not capped (${String(total)} != ${want})`);
      for (const title of parts) {
        const r = await run(uid, title);
        hasOther(r);
        assert.equal(summed(r), total, `${title}: the series, other included, add up to ${totalTitle}`);
      }
    }
    const colo = truth.total(HTTP_ADAPTIVE, "count");
    const byColo = await run("cloudflare-http-sampled", "Requests by data centre");
    hasOther(byColo);
    assert.ok(near(summed(byColo), colo), "data centres, other included, add up to all requests");
    const table = await run("cloudflare-http-sampled", "Data centres and hosts");
    const requests = tableRows(table, ["Data centre", "Host"], "Requests");
    assert.ok((requests.get("other other") as number) > 0, "the other entries in one row");
    assert.ok(
      near(
        [...requests.values()].reduce<number>((a, v) => a + Number(v), 0),
        colo,
      ),
      "the table adds up to all requests",
    );
    const pie = await run("cloudflare-http-overview", "Status groups over the range");
    const groups = display(pie);
    assert.ok((groups.get("other") ?? 0) > 0);
    assert.ok(
      near(
        [...groups.values()].reduce<number>((a, v) => a + (v ?? 0), 0),
        truth.total(HTTP_OVERVIEW, "sum.requests"),
      ),
    );
    const countries = tableRows(await run("cloudflare-http-overview", "Countries"), ["Country"], "Requests");
    assert.ok((countries.get("other") as number) > 0, "an other row");
    assert.ok(
      near(
        [...countries.values()].reduce<number>((a, v) => a + Number(v), 0),
        truth.total(HTTP_OVERVIEW, "sum.requests"),
      ),
    );
  });

  it("exporter health: the newest stored minute of every sampled dataset, zones and accounts alike", async () => {
    const panel = panelsOf(health).find((p) => p.title === "Newest stored minute")!;
    const frames = await execute(panel, { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: 5 * MINUTE }, NOW, indexFor("cloudflare-analytics", DATASETS));
    const [t] = applyTransformations(panel, frames);
    const datasets = column(t!, "Dataset");
    const zones = column(t!, "Zone");
    const accounts = column(t!, "Account");
    const newest = column(t!, "Newest stored minute");
    const got = new Map(datasets.map((d, i) => [`${String(d)}|${String(zones[i])}|${String(accounts[i])}`, newest[i]]));
    const want = new Map<string, number>();
    for (const d of SAMPLED_DATASETS) {
      const owners = ACCOUNT_DATASETS.includes(d) ? [ACCOUNT, LOGS].map((a) => `|${a.name}`) : ZONES.map((z) => `${z.name}|`);
      for (const o of owners) want.set(`${d}|${o}`, stored.to - MINUTE);
    }
    // An hour is stored once it is complete and settled: the newest is the one before the hour the settle delay is in.
    for (const z of ZONES) want.set(`${HOURLY}|${z.name}|`, Math.floor(stored.to / HOUR) * HOUR - HOUR);
    mapEquals(got, want, "every dataset and owner, newest minute");
  });

  it("zone overview: every panel shows the simulator's figures for two selected zones and a 2-hour window", async () => {
    const interval = 10 * MINUTE;
    const truth = new Truth(SELECTED, WINDOW.from, WINDOW.to);
    // Grafana's range includes its end; the window is half-open, so it ends a millisecond before.
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: interval, variables: { dataset: HTTP, zone: SELECTED.map((z) => z.name) } };
    await checkDashboard(overview, ctx, overviewExpectations(truth, interval));
  });

  it("zone overview at hourly resolution: the same sums from the hourly dataset, in hour buckets", async () => {
    const interval = HOUR;
    const truth = new Truth(SELECTED, WINDOW.from, WINDOW.to);
    const expectations = overviewExpectations(truth, interval);
    // Unique visitors are counted per hour here, by Cloudflare's hourly rollup.
    const hourly = (zone: { id: string }) => truth.buckets(interval).map((h) => hourTotals(zone.id, h)?.uniq.uniques ?? 0);
    expectations["Peak unique visitors in one ${dataset:text}"] = (run) =>
      mapEquals(display(run), new Map(SELECTED.map((z) => [z.name, Math.max(...hourly(z))])), "per zone, the largest hour");
    expectations["Unique visitors per ${dataset:text} (peak in each bucket)"] = (run) => {
      for (const z of SELECTED) assert.deepEqual(points(seriesBy(run, z.name)), hourly(z), z.name);
    };
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: interval, variables: { dataset: HOURLY, zone: SELECTED.map((z) => z.name) } };
    await checkDashboard(overview, ctx, expectations, indexFor("cloudflare-analytics", DATASETS));
  });

  it("zone overview with all zones: the requests total is all zones' sum, and no runs document is counted", async () => {
    const truth = new Truth(ZONES, WINDOW.from, WINDOW.to);
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: 60 * MINUTE, variables: { dataset: HTTP, zone: { all: "*" } } };
    const panel = panelsOf(overview).find((p) => p.title === "Requests")!;
    const frames = await execute(panel, ctx, NOW);
    assert.deepEqual(displayValues(panel, frames), [{ name: "Sum cloudflare.requests", value: truth.total("requests") }]);
    // With 1-minute buckets (the data source's minimum) the same panel gives the same total.
    const fine = await execute(panel, { ...ctx, intervalMs: MINUTE }, NOW);
    assert.equal(displayValues(panel, fine)[0]!.value, truth.total("requests"));
  });

  it("exporter health: freshness after a run, and every runs panel aggregates the run documents exactly", async () => {
    const interval = 5 * MINUTE;
    const ctx: QueryContext = { from: WINDOW.from, to: WINDOW.to - 1, intervalMs: interval, variables: {} };
    const newest = stored.to - MINUTE;
    const freshness = new Map(ZONES.map((z) => [z.name, newest]));
    const storedPerBucket = () => {
      const out: (number | null)[] = [];
      for (let b = Math.floor(WINDOW.from / interval) * interval; b < WINDOW.to; b += interval) out.push(interval / MINUTE);
      return out;
    };
    await checkDashboard(health, ctx, healthExpectations(runs, interval, freshness, storedPerBucket));
  });

  describe("alert rules", () => {
    const rules = Object.fromEntries(provisionedAlertRules().map((r) => [r.uid, r]));
    const indices = { "cloudflare-analytics": dataIndex, "cloudflare-runs": runsIndex };
    const evaluate = (uid: string, now: number) => evaluateRule(es, rules[uid]!, { now, indices });

    it("stale data: quiet right after a run, fires for every zone when nothing was stored for 40 minutes", async () => {
      const fresh = await evaluate("cloudflare-data-stale", NOW);
      assert.deepEqual(fresh.firing, [], JSON.stringify(fresh.values.C));
      assert.equal(fresh.values.C!.filter((i) => i.value === 0).length, ZONES.length, "one quiet instance per zone");
      const stopped = await evaluate("cloudflare-data-stale", NOW + 40 * MINUTE);
      assert.deepEqual(stopped.firing.map((i) => i.labels["cloudflare.zone.name"]).sort(), ZONES.map((z) => z.name).sort());
      assert.ok(stopped.firing.every((i) => i.labels["cloudflare.dataset"] === HTTP));
      const gone = await evaluate("cloudflare-data-stale", NOW + 8 * 24 * 60 * MINUTE);
      assert.ok(gone.noData, "nothing in 7 days: no data, which the rule maps to Alerting");
      assert.equal(rules["cloudflare-data-stale"]!.noDataState, "Alerting");
      const accounts = await evaluate("cloudflare-account-data-stale", NOW);
      assert.ok(accounts.noData && accounts.firing.length === 0, "no account datasets here: the account rule has no data and stays OK");
      assert.equal(rules["cloudflare-account-data-stale"]!.noDataState, "OK");
    });

    it("failing runs: fires after three failures in a row, quiet before and after", async () => {
      assert.equal((await evaluate("cloudflare-runs-failing", runStart(20) + two)).firing.length, 1);
      assert.equal((await evaluate("cloudflare-runs-failing", runStart(19) + two)).firing.length, 0);
      assert.equal((await evaluate("cloudflare-runs-failing", runStart(21) + two)).firing.length, 0);
    });

    it("gate denying: fires when no run was allowed for 30 minutes", async () => {
      assert.equal((await evaluate("cloudflare-gate-denying", runStart(11) + two)).firing.length, 1);
      assert.equal((await evaluate("cloudflare-gate-denying", runStart(12) + two)).firing.length, 0);
      assert.equal((await evaluate("cloudflare-gate-denying", runStart(10) + two)).firing.length, 0, "the allowed run 5 is still in the window");
    });

    it("query budget: fires when the last 5 minutes' runs cost more than 80 % of the budget", async () => {
      const heavy = await evaluate("cloudflare-query-budget", runStart(13) + two);
      assert.equal(heavy.firing.length, 1, JSON.stringify(heavy.values));
      const run13 = runs.find((d) => d["run.id"] === "synthetic-13" && d["run.kind"] === "run")!;
      assert.equal(heavy.values.A![0]!.value! / heavy.values.B![0]!.value!, Number(run13["run.queries"]) / Number(run13["run.query_budget"]));
      assert.equal((await evaluate("cloudflare-query-budget", runStart(14) + two)).firing.length, 0);
    });

    it("real runs, query budget: the first run cost 18 of a budget of 20 queries, which fires at once", async () => {
      // The run was made with --now NOW, so its record is stamped then.
      const result = await evaluateRule(es, rules["cloudflare-query-budget"]!, { now: NOW + MINUTE, indices });
      const real = runs.find((d) => d["run.kind"] === "run" && !String(d["run.id"]).startsWith("synthetic"))!;
      assert.equal(Number(real["run.query_budget"]), 20);
      assert.equal(result.firing.length, Number(real["run.queries"]) / 20 > 0.8 ? 1 : 0, JSON.stringify(result.values));
      assert.equal(result.firing.length, 1);
    });

    it("real runs, failing: three runs whose writes Elasticsearch refuses fire the rule; the next good run quiets it", async () => {
      const live = await simulator();
      try {
        const liveEnv = exporterEnv(live, FAILING, { CF_DATASETS: HTTP });
        assert.equal((await cli(["bootstrap"], liveEnv)).code, 0);
        // Every index the run could write to exists (also last month's, early in a month) and refuses writes.
        for (const t of [Date.now() - 7 * HOUR, Date.now()]) {
          const name = indexName(FAILING, HTTP, "month", t);
          if (!(await es.indices.exists({ index: name }))) await es.indices.create({ index: name });
        }
        await es.indices.putSettings({ index: `${FAILING}-${HTTP}-*`, settings: { "index.blocks.write": true } });
        for (let i = 0; i < 3; i++) {
          const r = await cli(["run"], liveEnv);
          assert.equal(r.code, 1, r.stderr);
        }
        await es.indices.refresh({ index: `${FAILING}-runs-*` });
        const failingIndices = { ...indices, "cloudflare-runs": `${FAILING}-runs-*` };
        const firing = await evaluateRule(es, rules["cloudflare-runs-failing"]!, { now: Date.now(), indices: failingIndices });
        assert.equal(firing.firing.length, 1, JSON.stringify(firing.values));
        await es.indices.putSettings({ index: `${FAILING}-${HTTP}-*`, settings: { "index.blocks.write": false } });
        assert.equal((await cli(["run"], liveEnv)).code, 0);
        await es.indices.refresh({ index: `${FAILING}-runs-*` });
        const quiet = await evaluateRule(es, rules["cloudflare-runs-failing"]!, { now: Date.now(), indices: failingIndices });
        assert.equal(quiet.firing.length, 0, JSON.stringify(quiet.values));
      } finally {
        await live.close();
      }
    });

    it("real runs, failing before any work (Cloudflare unreachable) also leave a run document", async () => {
      const prefix = `${FAILING}x`;
      try {
        const r = await cli(["run"], exporterEnv(sim, prefix, { CF_DATASETS: HTTP, CF_API_URL: "http://127.0.0.1:9/", CF_MAX_RETRY_SECONDS: "1" }));
        assert.equal(r.code, 1);
        await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
        const found = await es.search({ index: `${prefix}-runs-*`, allow_no_indices: true, ignore_unavailable: true, size: 0 });
        assert.equal((found.hits.total as { value: number }).value, 1);
      } finally {
        await dropPrefix(es, prefix);
      }
    });

    it("real runs, gate: two runs the gate denies fire the rule; an allowed run quiets it", async () => {
      let gate: ScriptedServer | undefined;
      const live = await simulator();
      try {
        gate = await startScriptedServer("/allowed");
        gate.script = [{ body: "False" }];
        const env = exporterEnv(live, GATED, { CF_DATASETS: HTTP, NO_CONCURRENCY_URI: gate.url, LOCAL_CLUSTER: "eu-1", LOCAL_NAMESPACE: "cdn" });
        for (let i = 0; i < 2; i++) assert.equal((await cli(["run"], env)).code, 0);
        await es.indices.refresh({ index: `${GATED}-runs-*` });
        const gatedIndices = { ...indices, "cloudflare-runs": `${GATED}-runs-*` };
        const denied = await evaluateRule(es, rules["cloudflare-gate-denying"]!, { now: Date.now(), indices: gatedIndices });
        assert.equal(denied.firing.length, 1, JSON.stringify(denied.values));
        gate.script = [{ body: "True" }];
        assert.equal((await cli(["run"], env)).code, 0);
        await es.indices.refresh({ index: `${GATED}-runs-*` });
        const allowed = await evaluateRule(es, rules["cloudflare-gate-denying"]!, { now: Date.now(), indices: gatedIndices });
        assert.equal(allowed.firing.length, 0, JSON.stringify(allowed.values));
      } finally {
        await gate?.close();
        await live.close();
      }
    });

    it("real runs, gate error: a gate answering 404 fires the gate-error rule from the second run, and runs-failing at the third", async () => {
      const gate = await startScriptedServer("/allowed");
      try {
        gate.script = [{ status: 404, body: "Not Found" }];
        const env = exporterEnv(sim, GATE_ERRORS, { CF_DATASETS: HTTP, NO_CONCURRENCY_URI: gate.url });
        // Three CronJob runs, 5 minutes apart, each stamped with its own time.
        const at = (i: number) => NOW + i * 5 * MINUTE;
        for (let i = 0; i < 3; i++) {
          const r = await cli(["run", "--now", new Date(at(i)).toISOString()], env);
          assert.equal(r.code, 1, r.stderr);
        }
        await es.indices.refresh({ index: `${GATE_ERRORS}-runs-*` });
        const own = { ...indices, "cloudflare-runs": `${GATE_ERRORS}-runs-*` };
        const firing = async (uid: string, now: number) => (await evaluateRule(es, rules[uid]!, { now, indices: own })).firing.length;
        assert.equal(await firing("cloudflare-gate-error", at(0) + MINUTE), 0, "one gate error is not enough");
        assert.equal(await firing("cloudflare-gate-error", at(1) + MINUTE), 1);
        assert.equal(await firing("cloudflare-gate-error", at(2) + MINUTE), 1);
        assert.equal(await firing("cloudflare-gate-error", at(2) + 16 * MINUTE), 0, "quiet once the window has passed");
        assert.equal(await firing("cloudflare-runs-failing", at(1) + MINUTE), 0);
        assert.equal(await firing("cloudflare-runs-failing", at(2) + MINUTE), 1, "a gate error is a failed run");
        assert.equal(await firing("cloudflare-gate-denying", at(2) + MINUTE), 1, "and no run was allowed either");
      } finally {
        await gate.close();
      }
    });

    it("stale data for one zone only: deleting its newest 40 minutes makes exactly that zone fire", async () => {
      const zone = ZONES[1];
      // (The test distribution has no _delete_by_query.)
      const doomed = await es.search({
        index: dataIndex,
        size: 10_000,
        _source: false,
        query: { bool: { filter: [{ term: { "cloudflare.zone.name": zone.name } }, { range: { "@timestamp": { gte: stored.to - 40 * MINUTE } } }] } },
      });
      assert.ok(doomed.hits.hits.length >= 40, "the zone's last 40 minutes exist");
      await es.bulk({ refresh: true, operations: doomed.hits.hits.map((h) => ({ delete: { _index: h._index, _id: h._id! } })) });
      const result = await evaluate("cloudflare-data-stale", NOW);
      assert.deepEqual(
        result.firing.map((i) => i.labels["cloudflare.zone.name"]),
        [zone.name],
      );
    });
  });

  describe("plain Elasticsearch alert queries (docs/alerting.md)", () => {
    const queries = alertQueries();
    /** The jq condition docs/alerting.md gives for each file; checked with jq itself where it is installed. */
    const doc = readFileSync(join(repoRoot, "docs", "alerting.md"), "utf8");
    const conditions = new Map([...doc.matchAll(/q "\$(?:DATA|RUNS)" (\S+\.json) \| jq -e '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
    const hasJq = spawnSync("jq", ["--version"]).status === 0;
    const jqFires = (file: string, response: unknown): boolean | undefined => {
      if (!hasJq) return undefined;
      const r = spawnSync("jq", ["-e", conditions.get(file)!], { input: JSON.stringify(response) });
      assert.ok(r.status === 0 || r.status === 1, `jq: ${r.stderr.toString()}`);
      return r.status === 0;
    };
    const agrees = (file: string, response: unknown, fires: boolean) => {
      const jq = jqFires(file, response);
      if (jq !== undefined) assert.equal(jq, fires, `the jq condition of docs/alerting.md for ${file}`);
      return fires;
    };

    it("docs/alerting.md gives a jq condition for every query", () => {
      assert.deepEqual([...conditions.keys()].sort(), Object.keys(queries).sort());
    });
    /** The documented query as Elasticsearch would run it at `now`: date math anchored there instead of the clock. */
    const at = async (file: string, index: string, now: number) => {
      const text = JSON.stringify(queries[file]).replace(/"now(?=[-+/"])/g, `"${new Date(now).toISOString()}||`);
      return (await es.search({ index, ignore_unavailable: true, allow_no_indices: true, ...JSON.parse(text) } as never)) as unknown as Record<string, any>;
    };
    const staleZones = (r: Record<string, any>): string[] =>
      (r.aggregations.datasets.buckets as any[]).flatMap((d) =>
        [...(d.zones.buckets as any[]), ...(d.accounts.buckets as any[])].filter((z) => z.recent.doc_count === 0).map((z) => `${d.key} ${z.key}`),
      );

    it("stale-data.json lists exactly the stale zones (run after the one-zone deletion above)", async () => {
      const now = await at("stale-data.json", dataIndex, NOW);
      assert.ok(now.hits.total.value > 0);
      assert.deepEqual(staleZones(now), [`${HTTP} ${ZONES[1].name}`]);
      agrees("stale-data.json", now, true);
      const later = await at("stale-data.json", dataIndex, NOW + 40 * MINUTE);
      assert.deepEqual(staleZones(later).sort(), ZONES.map((z) => `${HTTP} ${z.name}`).sort());
      agrees("stale-data.json", await at("stale-data.json", dataIndex, NOW - 60 * MINUTE), false);
      const newest = (later.aggregations.datasets.buckets[0].zones.buckets as any[]).find((z) => z.key === ZONES[0].name).newest.value;
      assert.equal(newest, stored.to - MINUTE, "the newest stored minute, for the message");
      const gone = await at("stale-data.json", dataIndex, NOW + 8 * 24 * 60 * MINUTE);
      assert.equal(gone.hits.total.value, 0, "nothing in 7 days also counts as stale");
      agrees("stale-data.json", gone, true);
    });

    it("failing-runs.json: the 3 newest runs all failed only right after the third failure", async () => {
      const allFailed = (r: Record<string, any>) =>
        agrees("failing-runs.json", r, r.hits.hits.length === 3 && r.hits.hits.every((h: any) => ["failed", "gate-error"].includes(h._source.run.outcome)));
      assert.equal(allFailed(await at("failing-runs.json", runsIndex, runStart(20) + two)), true);
      assert.equal(allFailed(await at("failing-runs.json", runsIndex, runStart(19) + two)), false);
      assert.equal(allFailed(await at("failing-runs.json", runsIndex, runStart(21) + two)), false);
    });

    it("gate-denying.json: runs in the last 30 minutes and none allowed", async () => {
      const denied = (r: Record<string, any>) => agrees("gate-denying.json", r, r.hits.total.value > 0 && r.aggregations.allowed.doc_count === 0);
      assert.equal(denied(await at("gate-denying.json", runsIndex, runStart(11) + two)), true);
      assert.equal(denied(await at("gate-denying.json", runsIndex, runStart(12) + two)), false);
    });

    it("gate-error.json: two runs the gate could not answer in the last 15 minutes (the real runs above)", async () => {
      const index = `${GATE_ERRORS}-runs-*`;
      const fires = (r: Record<string, any>) => agrees("gate-error.json", r, r.hits.total.value >= 2);
      const second = NOW + 5 * MINUTE;
      assert.equal(fires(await at("gate-error.json", index, NOW + MINUTE)), false);
      const response = await at("gate-error.json", index, second + MINUTE);
      assert.equal(fires(response), true);
      assert.match(response.aggregations.reasons.buckets[0].key, /answered HTTP 404/);
      assert.equal(fires(await at("gate-error.json", index, second + 20 * MINUTE)), false);
      const failing = await at("failing-runs.json", index, NOW + 11 * MINUTE);
      assert.equal(agrees("failing-runs.json", failing, true), true, "three gate errors in a row are three failed runs");
    });

    it("query-budget.json: the last 5 minutes' queries against 80 % of the budget", async () => {
      const over = (r: Record<string, any>) => agrees("query-budget.json", r, r.aggregations.queries.value > 0.8 * r.aggregations.budget.value);
      assert.equal(over(await at("query-budget.json", runsIndex, runStart(13) + two)), true);
      assert.equal(over(await at("query-budget.json", runsIndex, runStart(14) + two)), false);
    });
  });
});
