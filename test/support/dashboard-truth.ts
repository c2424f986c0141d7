/**
 * Ground truth for the dashboard tests: what the simulator says Cloudflare holds for a set of zones and a range of
 * minutes (totals and every map entry), and run documents with a known history of outcomes, gate decisions and
 * query costs (the exporter writes one such history over time; a test indexes it at once).
 */
import { adaptiveGroups, finalMinute, type AdaptiveName, type GroundTruthRow } from "../../simulator/index.js";
import { loadConfig } from "../../src/config/index.js";
import type { ExportDocument } from "../../src/datasets/document.js";
import type { DatasetReport, RunResult } from "../../src/run.js";
import { runDocuments } from "../../src/runs/run-document.js";

export const MINUTE = 60_000;

type Sums = Record<string, number>;

export interface TruthMinute {
  zone: string;
  minute: number;
  total: Sums;
  /** breakdown -> key -> metric sums */
  maps: Map<string, Map<string, Sums>>;
}

const TOTAL_METRICS: Record<string, string> = {
  requests: "requests",
  bytes: "bytes",
  cachedRequests: "cached_requests",
  cachedBytes: "cached_bytes",
  encryptedRequests: "encrypted_requests",
  encryptedBytes: "encrypted_bytes",
  pageViews: "page_views",
  threats: "threats",
  edgeRequestBytes: "edge_request_bytes",
};

/** Cloudflare map -> [our breakdown, key field, {Cloudflare metric: our metric}]. */
const MAPS: [string, string, string, Record<string, string>][] = [
  ["countryMap", "country", "clientCountryName", { requests: "requests", bytes: "bytes", threats: "threats" }],
  ["responseStatusMap", "status", "edgeResponseStatus", { requests: "requests" }],
  ["contentTypeMap", "content_type", "edgeResponseContentTypeName", { requests: "requests", bytes: "bytes" }],
  ["browserMap", "browser", "uaBrowserFamily", { pageViews: "page_views" }],
  ["clientSSLMap", "ssl_protocol", "clientSSLProtocol", { requests: "requests" }],
  ["clientHTTPVersionMap", "http_protocol", "clientHTTPProtocol", { requests: "requests" }],
  ["ipClassMap", "ip_class", "ipType", { requests: "requests" }],
  ["threatPathingMap", "threat_pathing", "threatPathingName", { requests: "requests" }],
];

function truthMinute(zone: { id: string; name: string }, minute: number): TruthMinute {
  const data = finalMinute(zone.id, minute);
  const total: Sums = Object.fromEntries([...Object.values(TOTAL_METRICS), "uniques"].map((m) => [m, 0]));
  const maps = new Map<string, Map<string, Sums>>();
  if (data) {
    const sum = data.sum as unknown as Record<string, unknown>;
    for (const [cf, ours] of Object.entries(TOTAL_METRICS)) total[ours] = Number(sum[cf]);
    total.uniques = data.uniq.uniques;
    for (const [map, breakdown, keyField, metrics] of MAPS) {
      const entries = new Map<string, Sums>();
      for (const e of sum[map] as Record<string, unknown>[]) {
        const key = String(e[keyField]);
        const sums = entries.get(key) ?? {};
        for (const [cf, ours] of Object.entries(metrics)) sums[ours] = (sums[ours] ?? 0) + Number(e[cf]);
        entries.set(key, sums);
      }
      maps.set(breakdown, entries);
    }
  }
  return { zone: zone.name, minute, total, maps };
}

/** The simulator's figures for the zones and the minutes of `[from, to)`. */
export class Truth {
  readonly minutes: TruthMinute[] = [];

  constructor(
    zones: readonly { id: string; name: string }[],
    readonly from: number,
    readonly to: number,
  ) {
    for (const zone of zones) for (let m = from; m < to; m += MINUTE) this.minutes.push(truthMinute(zone, m));
  }

  total(metric: string, where: (m: TruthMinute) => boolean = () => true): number {
    return this.minutes.filter(where).reduce((s, m) => s + m.total[metric]!, 0);
  }

  /** Per key of a breakdown, the metric summed over the range. */
  keyTotals(breakdown: string, metric: string, where: (m: TruthMinute) => boolean = () => true): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.minutes.filter(where)) {
      for (const [key, sums] of m.maps.get(breakdown) ?? []) if (metric in sums) out.set(key, (out.get(key) ?? 0) + sums[metric]!);
    }
    return out;
  }

  /** Start of each histogram bucket of the range, as Elasticsearch aligns fixed intervals (on the epoch). */
  buckets(interval: number, to = this.to): number[] {
    const out: number[] = [];
    for (let b = Math.floor(this.from / interval) * interval; b < to; b += interval) out.push(b);
    return out;
  }

  /** A value per bucket: `pick` gives a minute's contribution, `combine` merges them (sum by default). */
  perBucket(interval: number, pick: (m: TruthMinute) => number | undefined, combine: (a: number, b: number) => number = (a, b) => a + b): (number | null)[] {
    return this.buckets(interval).map((b) => {
      let acc: number | null = null;
      for (const m of this.minutes) {
        if (m.minute < b || m.minute >= b + interval) continue;
        const v = pick(m);
        if (v === undefined) continue;
        acc = acc === null ? v : combine(acc, v);
      }
      return acc;
    });
  }

  /** Requests of status entries whose numeric status satisfies `test`. */
  static statusRequests(m: TruthMinute, test: (status: number) => boolean): number {
    let n = 0;
    for (const [key, sums] of m.maps.get("status") ?? []) if (test(Number(key))) n += sums.requests!;
    return n;
  }
}

// ---------------------------------------------------------------- run documents

export type RunDoc = Record<string, string | number | boolean>;

const RUN_START = Date.parse("2026-11-20T09:00:00Z");
const RUN_EVERY = 5 * MINUTE;
const RUN_COUNT = 24;
export const runStart = (i: number): number => RUN_START + i * RUN_EVERY + 7_000;

type Scenario = "completed" | "not-active" | "failed";

/** Runs 6-11 are denied by the gate, 18-20 fail, the rest complete; run 13 is a catch-up that costs 220 queries. */
function scenario(i: number): Scenario {
  if (i >= 6 && i <= 11) return "not-active";
  if (i >= 18 && i <= 20) return "failed";
  return "completed";
}

/**
 * A known two-hour history of runs every 5 minutes, as the exporter's own `runDocuments` turns run results into
 * documents (the exporter writes such a history over hours; a test indexes it at once).
 */
export function runHistory(zones: readonly { id: string; name: string }[], budget = 250): ExportDocument[] {
  // A real configuration, loaded as the exporter loads it: run records need all of it (secrets to redact included).
  const config = loadConfig({
    flags: {},
    env: {
      CF_API_TOKEN: "history-token-0123456789",
      CF_ZONES: zones.map((z) => `${z.id}=${z.name}`).join(","),
      CF_QUERY_BUDGET: String(budget),
      LOCAL_CLUSTER: "eu-1",
      LOCAL_NAMESPACE: "cdn",
    },
  });
  const docs: ExportDocument[] = [];
  for (let i = 0; i < RUN_COUNT; i++) {
    const startedAt = runStart(i);
    const kind = scenario(i);
    const durationMs = 20_000 + i * 100;
    const endedAt = startedAt + durationMs;
    const documents = kind === "completed" ? 1000 + i * 10 : 0;
    const queries = kind === "completed" ? (i === 13 ? 219 : 27) : kind === "failed" ? 9 : 0;
    // Freshness: 7 minutes behind while runs succeed; each failed run leaves the data 5 minutes older.
    const lag = kind === "completed" ? 7 : 7 + 5 * (i - 17);
    const reports: DatasetReport[] =
      kind === "not-active"
        ? []
        : zones.map((z) => ({
            owner: { scope: "zone", id: z.id, name: z.name },
            dataset: "http_requests",
            status: kind === "completed" ? "ok" : "failed",
            windows: kind === "completed" ? 1 : 0,
            documents: documents / 10,
            queries: queries / 3,
            newest: Math.floor(endedAt / MINUTE) * MINUTE - lag * MINUTE,
            ...(kind === "failed" ? { error: "Cloudflare answered 503" } : {}),
          }));
    const result: RunResult = {
      outcome: kind,
      gate: kind === "not-active" ? { allowed: false, reason: "the gate answered False" } : { allowed: true, reason: "no gate configured" },
      reports,
      windows: kind === "completed" ? 3 : 0,
      requests: kind === "completed" ? 3 : 0,
      queries: queries + (kind === "not-active" ? 0 : 3),
      documents,
      bulkRetries: i === 5 ? 12 : 0,
      startedAt,
      durationMs,
    };
    docs.push(...runDocuments({ result, command: "run", exitCode: kind === "failed" ? 1 : 0, config, endedAt, id: `synthetic-${i}` }));
  }
  return docs;
}

// ---------------------------------------------------------------- sampled (Adaptive) datasets

/** A value of a ground-truth row by path: `count`, `sum.requests`, `avg.rttMs`, `quantiles.cpuTimeP99`, `max.payloadSize`. */
export function rowValue(row: GroundTruthRow, path: string): number {
  const v = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], row);
  return Number(v ?? 0);
}

/**
 * The simulator's figures of an Adaptive node for some zones or accounts: what Cloudflare answers for the same
 * question (grouped by Cloudflare's dimension names, filtered with its GraphQL filter syntax).
 */
export class AdaptiveTruth {
  constructor(
    readonly owners: readonly { id: string }[],
    readonly from: number,
    readonly to: number,
  ) {}

  rows(node: AdaptiveName, from: number, to: number, groupBy: readonly string[] = [], filter: Record<string, unknown> = {}): GroundTruthRow[] {
    return this.owners.flatMap((o) => adaptiveGroups(node, o.id, from, to, groupBy, filter));
  }

  total(node: AdaptiveName, path: string, filter: Record<string, unknown> = {}): number {
    return this.rows(node, this.from, this.to, [], filter).reduce((s, r) => s + rowValue(r, path), 0);
  }

  /** Per value of one dimension (several joined by a space), the metric summed over `[from, to)`. */
  byDimension(
    node: AdaptiveName,
    path: string,
    dims: readonly string[],
    filter: Record<string, unknown> = {},
    from = this.from,
    to = this.to,
  ): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.rows(node, from, to, dims, filter)) {
      const key = dims.map((d) => String(r.dimensions[d])).join(" ");
      out.set(key, (out.get(key) ?? 0) + rowValue(r, path));
    }
    return out;
  }

  buckets(interval: number): number[] {
    const out: number[] = [];
    for (let b = Math.floor(this.from / interval) * interval; b < this.to; b += interval) out.push(b);
    return out;
  }

  /** Per dimension value, the metric summed per histogram bucket (0 where the value has no events). */
  perBucket(node: AdaptiveName, path: string, dims: readonly string[], interval: number, filter: Record<string, unknown> = {}): Map<string, number[]> {
    const buckets = this.buckets(interval);
    const out = new Map<string, number[]>();
    buckets.forEach((b, i) => {
      for (const [key, value] of this.byDimension(node, path, dims, filter, b, b + interval)) {
        const list = out.get(key) ?? buckets.map(() => 0);
        list[i] = value;
        out.set(key, list);
      }
    });
    return out;
  }

  /**
   * Per dimension value, the largest per-minute entry value in each bucket: an entry is one minute and one combination
   * of all the breakdown's dimensions (`entryDims`), as the exporter stores it, among the events `filter` selects (the
   * dataset's own GraphQL filter). Null where there is none.
   */
  peakPerBucket(
    node: AdaptiveName,
    path: string,
    dims: readonly string[],
    entryDims: readonly string[],
    interval: number,
    filter: Record<string, unknown> = {},
  ): Map<string, (number | null)[]> {
    const buckets = this.buckets(interval);
    const out = new Map<string, (number | null)[]>();
    buckets.forEach((b, i) => {
      for (const r of this.rows(node, b, b + interval, ["datetimeMinute", ...entryDims], filter)) {
        const key = dims.map((d) => String(r.dimensions[d])).join(" ");
        const list = out.get(key) ?? buckets.map(() => null);
        const v = rowValue(r, path);
        list[i] = list[i] === null ? v : Math.max(list[i]!, v);
        out.set(key, list);
      }
    });
    return out;
  }
}
