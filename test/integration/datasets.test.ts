/**
 * Every dataset against the real Elasticsearch and the simulator: a run stores exactly what the simulator holds (per
 * minute and per dimension, with the top-N remainder keeping totals exact), a rerun changes nothing, deleted data
 * heals, datasets and fields a plan refuses are skipped with a warning, and one failing dataset leaves the others
 * written while the exit code and the summary name it.
 *
 * The expectations are stated here independently of the dataset modules: node, group-by dimensions and filter per
 * dataset, and the simulator's ground truth computed from its events without GraphQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import { ACCOUNT_DATASETS, ZONE_DATASETS } from "../../simulator/index.js";
import type { AdaptiveName } from "../../simulator/index.js";
import {
  cli,
  dataIndices,
  dropPrefix,
  esClient,
  exporterEnv,
  MINUTE,
  needsElasticsearch,
  simulator,
  snapshot,
  snapshotDifferences,
  ZONES,
} from "../support/harness.js";

const NOW = Date.parse("2026-11-20T12:00:30Z");
const now = ["--now", new Date(NOW).toISOString()];
const PREFIX = "it-datasets";
const TOP_N = 5;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ENTERPRISE = ZONES[0];
const FREE = ZONES[1];
const ACCOUNT = { id: "acc00000000000000000000000000a01", name: "prod-account" };

/** Minute nodes keep two hours here, hours two days, days ten: a full run of every dataset takes seconds. */
const retention = Object.fromEntries(
  [...ZONE_DATASETS, ...ACCOUNT_DATASETS].map((node) => [
    node,
    { notOlderThan: node === "httpRequests1dGroups" ? 10 * 86400 : node === "httpRequests1hGroups" ? 2 * 86400 : 2 * 3600 },
  ]),
);

interface Expectation {
  readonly node: AdaptiveName;
  readonly owner: "enterprise" | "free" | "account";
  /** Cloudflare dimensions in the order the dataset stores its key. */
  readonly dims: readonly string[];
  readonly filter?: Record<string, unknown>;
  /** Our field <- Cloudflare's path, for the figures that add up. */
  readonly additive: Readonly<Record<string, string>>;
  /** Our field <- Cloudflare's path, for per-entry figures (averages, quantiles). */
  readonly perEntry?: Readonly<Record<string, string>>;
  /** The figure entries are ranked by for the top-N cap; undefined: not capped. */
  readonly rank?: string;
  /** Dimension -> the value the entry is keyed by (request paths by pattern); rows of one key are one entry. */
  readonly keys?: Readonly<Record<string, (value: string) => string>>;
}

/**
 * The README's path rule, stated here on its own: a segment of digits is `{num}`, a UUID `{uuid}`, 16 or more hex
 * digits `{hex}`; everything else stays.
 */
const pathPattern = (path: string): string =>
  path
    .split("/")
    .map((s) =>
      /^[0-9]+$/.test(s)
        ? "{num}"
        : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
          ? "{uuid}"
          : /^[0-9a-f]{16,}$/i.test(s)
            ? "{hex}"
            : s,
    )
    .join("/");
const EYEBALL = { requestSource: "eyeball" };

const originStatuses = { cacheStatus_in: ["miss", "expired", "bypass", "dynamic", "revalidated"] };
const quantiles = {
  "cloudflare.origin.duration_p50_ms": "quantiles.originResponseDurationMsP50",
  "cloudflare.origin.duration_p95_ms": "quantiles.originResponseDurationMsP95",
  "cloudflare.origin.duration_p99_ms": "quantiles.originResponseDurationMsP99",
  "cloudflare.origin.duration_avg_ms": "avg.originResponseDurationMs",
};

const grouped: Readonly<Record<string, Expectation>> = {
  http_overview: {
    node: "httpRequestsOverviewAdaptiveGroups",
    owner: "free",
    dims: ["edgeResponseStatus", "clientCountryName"],
    additive: {
      "cloudflare.requests": "sum.requests",
      "cloudflare.bytes": "sum.bytes",
      "cloudflare.cached_requests": "sum.cachedRequests",
      "cloudflare.cached_bytes": "sum.cachedBytes",
      "cloudflare.page_views": "sum.pageViews",
      "cloudflare.visits": "sum.visits",
    },
    rank: "cloudflare.requests",
  },
  http_eyeball: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["edgeResponseStatus", "clientCountryName", "clientRequestHTTPHost"],
    filter: { requestSource: "eyeball" },
    additive: { "cloudflare.requests": "count", "cloudflare.bytes": "sum.edgeResponseBytes", "cloudflare.visits": "sum.visits" },
    rank: "cloudflare.requests",
  },
  http_origin: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["originResponseStatus", "clientCountryName", "clientRequestHTTPHost"],
    filter: originStatuses,
    additive: { "cloudflare.requests": "count" },
    perEntry: quantiles,
    rank: "cloudflare.requests",
  },
  http_colo: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["coloCode", "clientRequestHTTPHost"],
    additive: { "cloudflare.requests": "count", "cloudflare.visits": "sum.visits", "cloudflare.bytes": "sum.edgeResponseBytes" },
    rank: "cloudflare.requests",
  },
  http_cache: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["cacheStatus", "clientRequestHTTPHost", "edgeResponseContentTypeName"],
    filter: EYEBALL,
    additive: { "cloudflare.requests": "count", "cloudflare.bytes": "sum.edgeResponseBytes" },
    rank: "cloudflare.requests",
  },
  http_ttfb: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["clientRequestHTTPHost"],
    filter: EYEBALL,
    additive: { "cloudflare.requests": "count" },
    perEntry: {
      "cloudflare.edge.ttfb_p50_ms": "quantiles.edgeTimeToFirstByteMsP50",
      "cloudflare.edge.ttfb_p95_ms": "quantiles.edgeTimeToFirstByteMsP95",
      "cloudflare.edge.ttfb_p99_ms": "quantiles.edgeTimeToFirstByteMsP99",
      "cloudflare.edge.ttfb_avg_ms": "avg.edgeTimeToFirstByteMs",
    },
    rank: "cloudflare.requests",
  },
  http_paths: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["clientRequestHTTPHost", "clientRequestPath"],
    filter: EYEBALL,
    additive: { "cloudflare.requests": "count", "cloudflare.bytes": "sum.edgeResponseBytes" },
    rank: "cloudflare.requests",
    keys: { clientRequestPath: pathPattern },
  },
  http_origin_colo: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["coloCode", "clientRequestHTTPHost"],
    filter: originStatuses,
    additive: { "cloudflare.requests": "count" },
    perEntry: quantiles,
    rank: "cloudflare.requests",
  },
  http_asn: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["clientAsn", "clientASNDescription"],
    filter: EYEBALL,
    additive: { "cloudflare.requests": "count", "cloudflare.bytes": "sum.edgeResponseBytes" },
    rank: "cloudflare.requests",
  },
  http_bots: {
    node: "httpRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["botManagementDecision", "verifiedBotCategory", "clientRequestHTTPHost"],
    filter: EYEBALL,
    additive: { "cloudflare.requests": "count", "cloudflare.bytes": "sum.edgeResponseBytes" },
    rank: "cloudflare.requests",
  },
  firewall_events: {
    // The token may not read this zone's rulesets here: the description is refused and left out.
    node: "firewallEventsAdaptiveGroups",
    owner: "enterprise",
    dims: ["action", "source", "ruleId", "clientRequestHTTPHost", "clientCountryName"],
    additive: { "cloudflare.events": "count" },
    rank: "cloudflare.events",
  },
  health_checks: {
    node: "healthCheckEventsAdaptiveGroups",
    owner: "enterprise",
    dims: ["healthStatus", "healthCheckName", "originIP", "region", "fqdn"],
    additive: { "cloudflare.events": "count" },
    perEntry: { "cloudflare.health_check.rtt_avg_ms": "avg.rttMs", "cloudflare.health_check.ttfb_avg_ms": "avg.timeToFirstByteMs" },
  },
  load_balancing: {
    node: "loadBalancingRequestsAdaptiveGroups",
    owner: "enterprise",
    dims: ["lbName", "selectedPoolName", "selectedOriginName", "region", "steeringPolicy", "selectedPoolHealthy"],
    additive: { "cloudflare.requests": "count" },
    rank: "cloudflare.requests",
  },
  dns: {
    node: "dnsAnalyticsAdaptiveGroups",
    owner: "enterprise",
    dims: ["queryType", "responseCode", "responseCached", "coloName"],
    additive: { "cloudflare.queries": "count" },
    perEntry: { "cloudflare.dns.processing_avg_us": "avg.processingTimeUs" },
    rank: "cloudflare.queries",
  },
  workers: {
    node: "workersInvocationsAdaptive",
    owner: "account",
    dims: ["scriptName", "status"],
    additive: {
      "cloudflare.requests": "sum.requests",
      "cloudflare.errors": "sum.errors",
      "cloudflare.subrequests": "sum.subrequests",
      "cloudflare.worker.cpu_time_us": "sum.cpuTimeUs",
      "cloudflare.worker.duration_gb_s": "sum.duration",
    },
    perEntry: {
      "cloudflare.worker.cpu_time_p50_us": "quantiles.cpuTimeP50",
      "cloudflare.worker.cpu_time_p99_us": "quantiles.cpuTimeP99",
      "cloudflare.worker.duration_p50": "quantiles.durationP50",
      "cloudflare.worker.duration_p99": "quantiles.durationP99",
    },
    rank: "cloudflare.requests",
  },
  r2_operations: {
    node: "r2OperationsAdaptiveGroups",
    owner: "account",
    dims: ["bucketName", "actionType"],
    additive: { "cloudflare.requests": "sum.requests", "cloudflare.bytes": "sum.responseBytes" },
    rank: "cloudflare.requests",
  },
  r2_storage: {
    node: "r2StorageAdaptiveGroups",
    owner: "account",
    dims: ["bucketName", "storageClass"],
    additive: {
      "cloudflare.r2.payload_bytes": "max.payloadSize",
      "cloudflare.r2.metadata_bytes": "max.metadataSize",
      "cloudflare.r2.objects": "max.objectCount",
      "cloudflare.r2.uploads": "max.uploadCount",
    },
  },
  logpush_health: {
    node: "logpushHealthAdaptiveGroups",
    owner: "account",
    dims: ["jobId", "destinationType", "success"],
    additive: {
      "cloudflare.events": "count",
      "cloudflare.logpush.uploads": "sum.uploads",
      "cloudflare.logpush.records": "sum.records",
      "cloudflare.bytes": "sum.bytes",
    },
  },
};

type Source = Record<string, unknown>;
type Row = Record<string, unknown> & { dimensions: Record<string, unknown> };

const tagOf = (owner: Expectation["owner"]): string => (owner === "enterprise" ? ENTERPRISE.id : owner === "free" ? FREE.id : ACCOUNT.id);
const ownerField = (owner: Expectation["owner"]): string => (owner === "account" ? "cloudflare.account.id" : "cloudflare.zone.id");

function pick(row: Record<string, unknown>, path: string): number | undefined {
  const [group, field] = path.split(".");
  const holder = field === undefined ? row : (row[group!] as Record<string, unknown> | undefined);
  const value = holder?.[field ?? group!];
  return typeof value === "number" ? value : undefined;
}

/** Dotted field of a nested `_source`. */
function field(source: Source, path: string): unknown {
  return path.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], source);
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

async function storedDocuments(es: Client, dataset: string, owner: Expectation["owner"], prefix = PREFIX): Promise<Source[]> {
  const response = await es.search({
    index: `${prefix}-${dataset}-*`,
    size: 10_000,
    query: { term: { [ownerField(owner)]: tagOf(owner) } },
    sort: [{ "@timestamp": "asc" }],
  });
  assert.ok(response.hits.hits.length < 10_000, "too many documents for one search");
  return response.hits.hits.map((h) => h._source as Source);
}

/**
 * The ground truth's rows as entries: with `keys`, rows whose transformed dimensions are equal are one entry, their
 * additive figures summed (the expectations of such datasets have no per-entry figures to merge).
 */
function byKey(e: Expectation, rows: Row[]): Row[] {
  if (!e.keys) return rows;
  assert.equal(e.perEntry, undefined, "keyed expectations sum additive figures only");
  const merged = new Map<string, Row>();
  for (const row of rows) {
    const dimensions = Object.fromEntries(e.dims.map((d) => [d, e.keys![d] ? e.keys![d](String(row.dimensions[d])) : row.dimensions[d]]));
    const key = e.dims.map((d) => String(dimensions[d])).join("|");
    const into = merged.get(key) ?? { dimensions };
    for (const path of Object.values(e.additive)) {
      const [group, name] = path.split(".");
      const add = pick(row, path) ?? 0;
      if (name === undefined) into[group!] = Number(into[group!] ?? 0) + add;
      else
        into[group!] = {
          ...(into[group!] as Record<string, number> | undefined),
          [name]: Number((into[group!] as Record<string, number> | undefined)?.[name] ?? 0) + add,
        };
    }
    merged.set(key, into);
  }
  return [...merged.values()];
}

/** Differences between the stored documents of a grouped dataset and the simulator's ground truth, minute by minute. */
function compareGrouped(
  sim: Simulator,
  name: string,
  e: Expectation,
  stored: readonly Source[],
  range: { from: number; to: number },
  refused: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const byMinute = new Map<number, Source[]>();
  for (const doc of stored) {
    const t = Date.parse(String(doc["@timestamp"]));
    byMinute.set(t, [...(byMinute.get(t) ?? []), doc]);
  }
  for (let minute = range.from; minute < range.to; minute += MINUTE) {
    const at = `${name} ${new Date(minute).toISOString()}`;
    const rows = byKey(e, sim.groundTruth.groups(e.node, tagOf(e.owner), minute, minute + MINUTE, e.dims, e.filter ?? {}) as unknown as Row[]);
    const docs = byMinute.get(minute) ?? [];
    const total = docs.find((d) => field(d, "cloudflare.breakdown") === "total");
    if (!total) {
      problems.push(`${at}: no total`);
      continue;
    }
    if (field(total, "cloudflare.sampled") !== true) problems.push(`${at}: total not marked sampled`);
    for (const [ours, theirs] of Object.entries(e.additive)) {
      const expected = rows.reduce((n, r) => n + (pick(r, theirs) ?? 0), 0);
      if (!close(Number(field(total, ours)), expected)) problems.push(`${at}: total ${ours} ${String(field(total, ours))} != ${expected}`);
    }
    const keyOf = (r: Row): string => e.dims.map((d) => String(r.dimensions[d])).join("|");
    const ranked = e.rank
      ? [...rows].sort(
          (a, b) => (pick(b, e.additive[e.rank!]!) ?? 0) - (pick(a, e.additive[e.rank!]!) ?? 0) || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0),
        )
      : rows;
    const kept = e.rank ? ranked.slice(0, TOP_N) : ranked;
    const entries = new Map(docs.filter((d) => field(d, "cloudflare.breakdown") !== "total").map((d) => [String(field(d, "cloudflare.key")), d]));
    for (const row of kept) {
      const doc = entries.get(keyOf(row));
      if (!doc) {
        problems.push(`${at}: entry ${keyOf(row)} missing`);
        continue;
      }
      entries.delete(keyOf(row));
      for (const [ours, theirs] of Object.entries({ ...e.additive, ...e.perEntry })) {
        const value = field(doc, ours);
        if (refused.includes(ours)) {
          if (value !== undefined) problems.push(`${at}: ${ours} stored although the plan refuses it`);
          continue;
        }
        const expected = pick(row, theirs);
        if (expected === undefined || typeof value !== "number" || !close(value, expected))
          problems.push(`${at}: ${keyOf(row)} ${ours} ${String(value)} != ${expected}`);
      }
    }
    const rest = ranked.slice(kept.length);
    const other = entries.get("__other__");
    entries.delete("__other__");
    if (rest.length === 0 && other) problems.push(`${at}: an __other__ entry with nothing left over`);
    if (rest.length > 0) {
      if (!other) problems.push(`${at}: ${rest.length} entries beyond the top ${TOP_N} but no __other__`);
      else {
        if (field(other, "cloudflare.other_entries") !== rest.length)
          problems.push(`${at}: __other__ holds ${String(field(other, "cloudflare.other_entries"))}, not ${rest.length}`);
        for (const [ours, theirs] of Object.entries(e.additive)) {
          const expected = rest.reduce((n, r) => n + (pick(r, theirs) ?? 0), 0);
          if (!close(Number(field(other, ours)), expected)) problems.push(`${at}: __other__ ${ours} ${String(field(other, ours))} != ${expected}`);
        }
      }
    }
    for (const key of entries.keys()) problems.push(`${at}: unexpected entry ${key}`);
  }
  const outside = stored.filter((d) => {
    const t = Date.parse(String(d["@timestamp"]));
    return t < range.from || t >= range.to;
  });
  if (outside.length > 0)
    problems.push(`${name}: ${outside.length} documents outside [${new Date(range.from).toISOString()}, ${new Date(range.to).toISOString()})`);
  return problems;
}

/** Hourly and daily HTTP rollups: every unit's total against the simulator's sums, and the entries add up. */
function compareRollup(
  name: string,
  unit: number,
  stored: readonly Source[],
  range: { from: number; to: number },
  truth: (start: number) => { sum: { requests: number; bytes: number; threats: number; countryMap: unknown[] } } | null,
): string[] {
  const problems: string[] = [];
  for (let start = range.from; start < range.to; start += unit) {
    const at = `${name} ${new Date(start).toISOString()}`;
    const docs = stored.filter((d) => Date.parse(String(d["@timestamp"])) === start);
    const total = docs.find((d) => field(d, "cloudflare.breakdown") === "total");
    const t = truth(start);
    if (!total) {
      problems.push(`${at}: no total`);
      continue;
    }
    for (const metric of ["requests", "bytes", "threats"] as const) {
      if (field(total, `cloudflare.${metric}`) !== (t?.sum[metric] ?? 0))
        problems.push(`${at}: ${metric} ${String(field(total, `cloudflare.${metric}`))} != ${t?.sum[metric] ?? 0}`);
    }
    const countries = docs.filter((d) => field(d, "cloudflare.breakdown") === "country");
    if (countries.length !== (t?.sum.countryMap.length ?? 0))
      problems.push(`${at}: ${countries.length} country entries, Cloudflare has ${t?.sum.countryMap.length ?? 0}`);
    const sum = countries.reduce((n, d) => n + Number(field(d, "cloudflare.requests")), 0);
    if (sum !== (t?.sum.requests ?? 0)) problems.push(`${at}: country entries add up to ${sum}, not ${t?.sum.requests ?? 0}`);
  }
  if (stored.some((d) => Date.parse(String(d["@timestamp"])) < range.from || Date.parse(String(d["@timestamp"])) >= range.to))
    problems.push(`${name}: documents outside the range`);
  return problems;
}

/** The minute range a run at NOW covers: two hours less the safety margin, up to the settle delay. */
const minuteRange = { from: Math.floor(NOW / MINUTE) * MINUTE - 2 * HOUR + 10 * MINUTE, to: Math.floor(NOW / MINUTE) * MINUTE - 5 * MINUTE };
/** Hours: two days back (rounded up to the next whole hour after the margin), up to the last settled hour. */
const hourRange = {
  from: Math.ceil((Math.floor(NOW / MINUTE) * MINUTE - 2 * DAY + 10 * MINUTE) / HOUR) * HOUR,
  to: Math.floor((NOW - 5 * MINUTE) / HOUR) * HOUR,
};
const dayRange = { from: Math.ceil((Math.floor(NOW / MINUTE) * MINUTE - 10 * DAY + 10 * MINUTE) / DAY) * DAY, to: Math.floor((NOW - 5 * MINUTE) / DAY) * DAY };

describe("every dataset, exact against the simulator", { skip: needsElasticsearch }, () => {
  let sim: Simulator;
  let es: Client;
  let env: Record<string, string>;
  let first: Awaited<ReturnType<typeof cli>>;

  before(async () => {
    es = esClient();
    await dropPrefix(es, PREFIX);
    sim = await simulator({
      now: () => NOW,
      settings: retention,
      plans: { [FREE.id]: "free" },
      refusedFields: { [ENTERPRISE.id]: ["dimensions_description"] },
    });
    env = exporterEnv(sim, PREFIX, {
      CF_ZONES: `${ENTERPRISE.id}=${ENTERPRISE.name},${FREE.id}=${FREE.name}`,
      CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`,
      CF_DATASETS: "all",
      CF_TOP_N: String(TOP_N),
    });
    first = await cli(["run", ...now], env);
    await es.indices.refresh({ index: `${PREFIX}-*` });
  });
  after(async () => {
    await sim?.close();
    await dropPrefix(es, PREFIX);
    await es?.close();
  });

  it("completes with exit 0 and says which datasets a plan refuses, once each", () => {
    assert.equal(first.code, 0, first.stderr.slice(-3000));
    for (const name of ["http_requests", "firewall_events", "health_checks", "load_balancing"]) {
      assert.equal((first.stderr.match(new RegExp(`skipping ${name} for zone ${FREE.name.replace(".", "\\.")}`, "g")) ?? []).length, 1, name);
    }
    assert.match(first.stderr, /firewall_events for zone shop\.example: without dimensions_description/);
    assert.match(first.stderr, /http_origin for zone blog\.example: without quantiles_originResponseDurationMsP50/);
    assert.doesNotMatch(first.stderr, /skipping http_overview/, "a stand-in not needed is no warning");
    // The breakdowns a Free plan cannot have are off there, each with the fields the plan refuses as the reason.
    for (const [name, field] of [
      ["http_ttfb", "quantiles_edgeTimeToFirstByteMsP50"],
      ["http_origin_colo", "quantiles_originResponseDurationMsP50"],
      ["http_asn", "dimensions_clientAsn"],
      ["http_bots", "dimensions_botManagementDecision"],
    ]) {
      assert.match(first.stderr, new RegExp(`skipping ${name} for zone blog\\.example \\(\\w+\\): the plan does not offer [^"]*${field}`), name);
      assert.doesNotMatch(first.stderr, new RegExp(`skipping ${name} for zone shop`), name);
    }
  });

  it("http_paths: keys hold patterns, never an id; url.path only where the pattern is the real path", async () => {
    const stored = (await storedDocuments(es, "http_paths", "enterprise")).filter((d) => field(d, "cloudflare.breakdown") === "host_path");
    const patterns = stored.map((d) => field(d, "cloudflare.url.path_pattern")).filter((p) => p !== undefined);
    assert.ok(
      patterns.every((p) => typeof p === "string"),
      "path patterns are text",
    );
    assert.ok(
      patterns.some((p) => /\{(num|uuid|hex)\}/.test(p)),
      "the simulator serves paths with ids, collapsed",
    );
    for (const d of stored) {
      const key = String(field(d, "cloudflare.key"));
      assert.doesNotMatch(key, /\/\d+(\/|$)|[0-9a-f]{16}/i, `${key}: an id in a key`);
      const pattern = field(d, "cloudflare.url.path_pattern");
      if (pattern === undefined) continue;
      assert.equal(typeof pattern, "string", key);
      assert.equal(field(d, "url.path"), /\{/.test(pattern as string) ? undefined : pattern, key);
    }
  });

  for (const [name, e] of Object.entries(grouped)) {
    it(`${name}: every minute and entry equals the simulator, the top-${TOP_N} remainder keeps totals exact`, async () => {
      const stored = await storedDocuments(es, name, e.owner);
      const problems = compareGrouped(sim, name, e, stored, minuteRange);
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
      if (name === "firewall_events") assert.ok(stored.every((d) => field(d, "rule.description") === undefined));
    });
  }

  it("http_cache: cached_requests and cached_bytes equal the simulator's requests and bytes of cached statuses, per minute and entry", async () => {
    // Served from the cache: the statuses lablabs' exporter counts as cached (reference §6), stated here on their own.
    const cachedStatuses = ["hit", "stale", "updating", "revalidated", "deferred_hit", "revalidated_hit"];
    const stored = await storedDocuments(es, "http_cache", "enterprise");
    const problems: string[] = [];
    let [cachedSum, allSum] = [0, 0];
    for (let minute = minuteRange.from; minute < minuteRange.to; minute += MINUTE) {
      const at = new Date(minute).toISOString();
      const rows = sim.groundTruth.groups("httpRequestsAdaptiveGroups", ENTERPRISE.id, minute, minute + MINUTE, ["cacheStatus"], {
        ...EYEBALL,
        cacheStatus_in: cachedStatuses,
      }) as unknown as Row[];
      const want = {
        requests: rows.reduce((n, r) => n + (pick(r, "count") ?? 0), 0),
        bytes: rows.reduce((n, r) => n + (pick(r, "sum.edgeResponseBytes") ?? 0), 0),
      };
      const docs = stored.filter((d) => Date.parse(String(d["@timestamp"])) === minute);
      const total = docs.find((d) => field(d, "cloudflare.breakdown") === "total");
      if (!total) {
        problems.push(`${at}: no total`);
        continue;
      }
      if (field(total, "cloudflare.cached_requests") !== want.requests)
        problems.push(`${at}: total cached_requests ${String(field(total, "cloudflare.cached_requests"))} != ${want.requests}`);
      if (field(total, "cloudflare.cached_bytes") !== want.bytes)
        problems.push(`${at}: total cached_bytes ${String(field(total, "cloudflare.cached_bytes"))} != ${want.bytes}`);
      cachedSum += want.requests;
      allSum += Number(field(total, "cloudflare.requests"));
      const entries = docs.filter((d) => field(d, "cloudflare.breakdown") !== "total");
      const entrySum = entries.reduce((n, d) => n + Number(field(d, "cloudflare.cached_requests")), 0);
      if (entrySum !== want.requests) problems.push(`${at}: entries add up to ${entrySum} cached requests, not ${want.requests}`);
      for (const d of entries.filter((x) => field(x, "cloudflare.key") !== "__other__")) {
        const status = String(field(d, "cloudflare.cache.status"));
        const expected = cachedStatuses.includes(status) ? [field(d, "cloudflare.requests"), field(d, "cloudflare.bytes")] : [0, 0];
        const got = [field(d, "cloudflare.cached_requests"), field(d, "cloudflare.cached_bytes")];
        if (got[0] !== expected[0] || got[1] !== expected[1])
          problems.push(`${at} ${String(field(d, "cloudflare.key"))}: cached ${got.join("/")} != ${expected.join("/")}`);
      }
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
    assert.ok(cachedSum > 0 && cachedSum < allSum, `some requests cached, some not: ${cachedSum} of ${allSum}`);
  });

  it("http_origin on the Free zone: stored without the quantiles the plan refuses", async () => {
    const stored = await storedDocuments(es, "http_origin", "free");
    const problems = compareGrouped(sim, "http_origin (free)", { ...grouped.http_origin!, owner: "free" }, stored, minuteRange, Object.keys(quantiles));
    assert.deepEqual(problems.slice(0, 10), []);
  });

  it("http_requests_hourly and _daily hold every hour and day Cloudflare keeps, exactly", async () => {
    for (const owner of ["enterprise", "free"] as const) {
      const hours = await storedDocuments(es, "http_requests_hourly", owner);
      assert.deepEqual(compareRollup("hourly", HOUR, hours, hourRange, (h) => sim.groundTruth.hour(tagOf(owner), h)).slice(0, 10), []);
      const days = await storedDocuments(es, "http_requests_daily", owner);
      assert.deepEqual(compareRollup("daily", DAY, days, dayRange, (d) => sim.groundTruth.day(tagOf(owner), d)).slice(0, 10), []);
    }
  });

  it("writes nothing for what a plan refuses: no exact minutes, no firewall events on the Free zone, no overview on the paid one", async () => {
    for (const [dataset, owner] of [
      ["http_requests", FREE],
      ["firewall_events", FREE],
      ["load_balancing", FREE],
      ["http_ttfb", FREE],
      ["http_asn", FREE],
      ["http_bots", FREE],
      ["http_origin_colo", FREE],
      ["http_overview", ENTERPRISE],
    ] as const) {
      const count = await es.count({ index: `${PREFIX}-${dataset}-*`, allow_no_indices: true, query: { term: { "cloudflare.zone.id": owner.id } } });
      assert.equal(count.count, 0, `${dataset} ${owner.name}`);
    }
  });

  it("verify proves the stored hours against Cloudflare's daily rollup, and the sampled breakdowns against their totals", async () => {
    const day = ["--from", "2026-11-19T00:00Z", "--to", "2026-11-20T00:00Z"];
    const hourly = await cli(["verify", ...day, "--dataset", "http_requests_hourly"], env);
    assert.equal(hourly.code, 0, hourly.stdout + hourly.stderr);
    assert.match(hourly.stdout, /verified: 2\/2 days match Cloudflare's daily rollup/);
    const minutes = ["--from", new Date(minuteRange.from + 50 * MINUTE).toISOString(), "--to", new Date(minuteRange.to).toISOString()];
    const sampled = await cli(["verify", ...minutes, "--dataset", "firewall_events", "--dataset", "workers"], env);
    assert.equal(sampled.code, 0, sampled.stdout + sampled.stderr);
    assert.match(sampled.stdout, /dataset firewall_events[\s\S]*breakdowns: \d+ minutes checked, 0 mismatches/);
    assert.match(sampled.stdout, /dataset workers[\s\S]*verified: no coarser Cloudflare rollup/);
  });

  it("with CF_CONFIDENCE_LEVEL, sampled entries carry Cloudflare's bounds around their count", async () => {
    const prefix = `${PREFIX}-confidence`;
    try {
      const from = new Date(minuteRange.from + 30 * MINUTE).toISOString();
      const to = new Date(minuteRange.from + 40 * MINUTE).toISOString();
      const result = await cli(["backfill", "--from", from, "--to", to, ...now], {
        ...env,
        ES_INDEX_PREFIX: prefix,
        CF_DATASETS: "firewall_events,dns",
        CF_CONFIDENCE_LEVEL: "0.95",
      });
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      await es.indices.refresh({ index: `${prefix}-*` });
      const entries = await es.search({
        index: `${prefix}-*,-${prefix}-runs-*`,
        size: 5000,
        query: { bool: { must_not: [{ terms: { "cloudflare.breakdown": ["total"] } }, { term: { "cloudflare.key": "__other__" } }] } },
      });
      assert.ok(entries.hits.hits.length > 20);
      for (const hit of entries.hits.hits) {
        const doc = hit._source as Source;
        const count = Number(field(doc, "cloudflare.events") ?? field(doc, "cloudflare.queries"));
        const lower = Number(field(doc, "cloudflare.confidence.lower"));
        const upper = Number(field(doc, "cloudflare.confidence.upper"));
        assert.ok(lower <= count && count <= upper, `${hit._id}: ${lower} <= ${count} <= ${upper}`);
      }
    } finally {
      await dropPrefix(es, prefix);
    }
  });

  it("a rerun changes nothing", async () => {
    const before = await snapshot(es, PREFIX);
    const again = await cli(["run", ...now], env);
    assert.equal(again.code, 0, again.stderr.slice(-2000));
    assert.deepEqual(snapshotDifferences(await snapshot(es, PREFIX), before), []);
  });

  it("deleted minutes of zone and account datasets heal on the next run, exactly", async () => {
    const before = await snapshot(es, PREFIX);
    const hole = { gte: minuteRange.from + 30 * MINUTE, lt: minuteRange.from + 50 * MINUTE };
    const found = await es.search({
      index: `${PREFIX}-firewall_events-*,${PREFIX}-workers-*,${PREFIX}-dns-*`,
      size: 10_000,
      _source: false,
      query: { range: { "@timestamp": hole } },
    });
    assert.ok(found.hits.hits.length > 0);
    await es.bulk({ refresh: true, operations: found.hits.hits.map((h) => ({ delete: { _index: h._index, _id: h._id! } })) });
    const healed = await cli(["run", ...now], env);
    assert.equal(healed.code, 0, healed.stderr.slice(-2000));
    assert.deepEqual(snapshotDifferences(await snapshot(es, PREFIX), before), []);
    for (const name of ["firewall_events", "workers", "dns"]) {
      const e = grouped[name]!;
      assert.deepEqual(compareGrouped(sim, name, e, await storedDocuments(es, name, e.owner), minuteRange).slice(0, 5), []);
    }
  });

  it("one failing dataset does not stop the others; the exit code and the summary name it", async () => {
    // A page of one row cannot hold a minute of DNS queries: that dataset fails, every other one completes.
    sim.options.settings.dnsAnalyticsAdaptiveGroups = { ...sim.options.settings.dnsAnalyticsAdaptiveGroups, maxPageSize: 1 };
    const hole = { gte: minuteRange.to - 60 * MINUTE, lt: minuteRange.to - 40 * MINUTE };
    const found = await es.search({ index: dataIndices(PREFIX), size: 10_000, _source: false, query: { range: { "@timestamp": hole } } });
    await es.bulk({ refresh: true, operations: found.hits.hits.map((h) => ({ delete: { _index: h._index, _id: h._id! } })) });
    try {
      const result = await cli(["run", ...now], env);
      assert.equal(result.code, 1);
      const summary = result.stderr
        .split("\n")
        .filter((l) => l.includes('"summary"'))
        .map((l) => JSON.parse(l) as { summary: { datasets: Record<string, { status: string }> } })[0]!.summary;
      assert.equal(summary.datasets.dns?.status, "failed");
      for (const name of Object.keys(grouped).filter((n) => n !== "dns")) assert.equal(summary.datasets[name]?.status, "ok", name);
      assert.match(result.stderr, /completed|failed: .*dns/);
      await es.indices.refresh({ index: `${PREFIX}-*` });
      for (const name of ["firewall_events", "workers", "http_colo"]) {
        const e = grouped[name]!;
        assert.deepEqual(compareGrouped(sim, name, e, await storedDocuments(es, name, e.owner), minuteRange).slice(0, 5), [], name);
      }
      // The run records say the same, per zone and dataset (all runs here share the --now clock, so count them).
      const failedRecords = await es.count({
        index: `${PREFIX}-runs-*`,
        query: { bool: { filter: [{ term: { "cloudflare.dataset": "dns" } }, { term: { "run.status": "failed" } }] } },
      });
      assert.equal(failedRecords.count, 2, "DNS failed for both zones");
      const failedRuns = await es.count({
        index: `${PREFIX}-runs-*`,
        query: { bool: { filter: [{ term: { "run.kind": "run" } }, { term: { "run.outcome": "failed" } }] } },
      });
      assert.equal(failedRuns.count, 1);
    } finally {
      sim.options.settings.dnsAnalyticsAdaptiveGroups = { ...sim.options.settings.dnsAnalyticsAdaptiveGroups, maxPageSize: 10_000 };
    }
  });
});

describe("a run killed midway through the datasets", { skip: needsElasticsearch }, () => {
  it("leaves nothing wrong, and the next run completes every dataset exactly", async () => {
    const prefix = `${PREFIX}-killed`;
    const es = esClient();
    await dropPrefix(es, prefix);
    const sim = await simulator({
      now: () => NOW,
      settings: retention,
      plans: { [FREE.id]: "free" },
      refusedFields: { [ENTERPRISE.id]: ["dimensions_description"] },
      latencyMs: 150,
    });
    try {
      const env = exporterEnv(sim, prefix, {
        CF_ZONES: `${ENTERPRISE.id}=${ENTERPRISE.name},${FREE.id}=${FREE.name}`,
        CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`,
        CF_DATASETS: "all",
        CF_TOP_N: String(TOP_N),
      });
      // Answers are slowed down so the kill lands while datasets are still being fetched and written.
      const killed = await cli(["run", ...now], env, { killAfterMs: 1_500 });
      assert.equal(killed.signal, "SIGKILL", "the run finished before it could be killed; raise latencyMs");
      const healed = await cli(["run", ...now], env);
      assert.equal(healed.code, 0, healed.stderr.slice(-2000));
      await es.indices.refresh({ index: `${prefix}-*` });
      for (const [name, e] of Object.entries(grouped)) {
        const problems = compareGrouped(sim, name, e, await storedDocuments(es, name, e.owner, prefix), minuteRange);
        assert.deepEqual(problems.slice(0, 5), [], name);
      }
      const hours = await storedDocuments(es, "http_requests_hourly", "enterprise", prefix);
      assert.deepEqual(compareRollup("hourly", HOUR, hours, hourRange, (h) => sim.groundTruth.hour(ENTERPRISE.id, h)).slice(0, 5), []);
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
      await es.close();
    }
  });
});

describe("late data in sampled datasets", { skip: needsElasticsearch }, () => {
  it("a re-read replaces a young minute's entries: those Cloudflare no longer returns are deleted, so entries add up again", async () => {
    const prefix = `${PREFIX}-late`;
    const es = esClient();
    await dropPrefix(es, prefix);
    let clock = NOW;
    // Young minutes show only part of their events; the top 5 of a part differ from the top 5 of the whole.
    const sim = await simulator({ now: () => clock, settings: retention, lateMinutes: 10, refusedFields: { [ENTERPRISE.id]: ["dimensions_description"] } });
    try {
      const env = exporterEnv(sim, prefix, {
        CF_ZONES: `${ENTERPRISE.id}=${ENTERPRISE.name}`,
        CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`,
        CF_DATASETS: "firewall_events,http_colo,workers",
        CF_TOP_N: String(TOP_N),
      });
      const first = await cli(["run", "--now", new Date(clock).toISOString()], env);
      assert.equal(first.code, 0, first.stderr.slice(-2000));
      clock = NOW + 10 * MINUTE;
      const second = await cli(["run", "--now", new Date(clock).toISOString()], env);
      assert.equal(second.code, 0, second.stderr.slice(-2000));
      await es.indices.refresh({ index: `${prefix}-*` });
      const range = { from: minuteRange.from, to: Math.floor((clock - 5 * MINUTE) / MINUTE) * MINUTE };
      for (const name of ["firewall_events", "http_colo", "workers"]) {
        const e = grouped[name]!;
        assert.deepEqual(compareGrouped(sim, name, e, await storedDocuments(es, name, e.owner, prefix), range).slice(0, 5), [], name);
      }
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
      await es.close();
    }
  });
});

describe("every grouped dataset on real answer shapes", { skip: needsElasticsearch }, () => {
  it("rows repeated under one key, an availableFields list that says nothing, plan refusals found from errors: still exact", async () => {
    const prefix = `${PREFIX}-shapes`;
    const es = esClient();
    await dropPrefix(es, prefix);
    // Adaptive rows split into slices with the same dimensions; refused fields only show up as (lower-case) errors.
    const sim = await simulator({
      now: () => NOW,
      settings: retention,
      plans: { [FREE.id]: "free" },
      refusedFields: { [ENTERPRISE.id]: ["dimensions_description"] },
      repeatedGroupRows: true,
      hideAvailableFields: true,
      statusCodes: "documented",
    });
    try {
      const env = exporterEnv(sim, prefix, {
        CF_ZONES: `${ENTERPRISE.id}=${ENTERPRISE.name},${FREE.id}=${FREE.name}`,
        CF_ACCOUNTS: `${ACCOUNT.id}=${ACCOUNT.name}`,
        CF_DATASETS: "all",
        CF_TOP_N: String(TOP_N),
      });
      const result = await cli(["run", ...now], env);
      assert.equal(result.code, 0, result.stderr.slice(-3000));
      assert.match(result.stderr, /firewall_events for zone shop\.example: without dimensions_description \(refused by Cloudflare for this zone\)/);
      assert.match(
        result.stderr,
        /http_origin for zone blog\.example: without .*quantiles_originResponseDurationMsP50.* \(refused by Cloudflare for this zone\)/,
      );
      assert.doesNotMatch(
        result.stderr,
        /skipping firewall_events for zone shop|skipping http_origin for zone blog/,
        "refused fields do not turn a dataset off",
      );
      await es.indices.refresh({ index: `${prefix}-*` });
      for (const [name, e] of Object.entries(grouped)) {
        const problems = compareGrouped(sim, name, e, await storedDocuments(es, name, e.owner, prefix), minuteRange);
        assert.deepEqual(problems.slice(0, 5), [], name);
      }
      const free = await storedDocuments(es, "http_origin", "free", prefix);
      assert.deepEqual(
        compareGrouped(sim, "http_origin (free)", { ...grouped.http_origin!, owner: "free" }, free, minuteRange, Object.keys(quantiles)).slice(0, 5),
        [],
      );
      const again = await cli(["run", ...now], env);
      assert.equal(again.code, 0, again.stderr.slice(-2000));
    } finally {
      await sim.close();
      await dropPrefix(es, prefix);
      await es.close();
    }
  });
});
