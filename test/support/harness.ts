/**
 * Integration-test plumbing: the built CLI as a real child process, the simulator in this process, and read-back
 * helpers on the real Elasticsearch. Nothing here fakes our own code; the only fakes are peers at the wire.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Client } from "@elastic/elasticsearch";
import { finalMinute, startSimulator, type Simulator, type SimulatorOptions } from "../../simulator/index.js";
import { repoRoot } from "./paths.js";

export const ES_URL = process.env.ES_URL;
export const needsElasticsearch = ES_URL ? false : "ES_URL is not set: run the integration tests through `npm test`, which starts Elasticsearch";

export const MINUTE = 60_000;
export const ZONES = [
  { id: "0a0000000000000000000000000000a1", name: "shop.example" },
  { id: "0b0000000000000000000000000000b2", name: "blog.example" },
  { id: "0c0000000000000000000000000000c3", name: "api.example" },
] as const;

/** The exporter's defaults in these tests: six hours of history (the simulated zones keep six hours). */
const SIM_RETENTION_SECONDS = 6 * 3600;
const SETTLE_MINUTES = 5;

export function esClient(): Client {
  return new Client({ node: ES_URL! });
}

export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    ...options,
    settings: {
      ...options.settings,
      httpRequests1mGroups: { notOlderThan: SIM_RETENTION_SECONDS, maxDuration: 3600, ...options.settings?.httpRequests1mGroups },
    },
  });
}

/** The range a run at `now` must cover: Cloudflare's six hours less the safety margin, up to the settle delay. */
export function expectedRange(now: number): { from: number; to: number } {
  const minute = Math.floor(now / MINUTE) * MINUTE;
  return { from: minute - SIM_RETENTION_SECONDS * 1000 + 10 * MINUTE, to: minute - SETTLE_MINUTES * MINUTE };
}

export function exporterEnv(sim: Simulator, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    CF_API_URL: sim.url,
    CF_API_TOKEN: "test-token-0123456789",
    CF_ZONES: ZONES.map((z) => `${z.id}=${z.name}`).join(","),
    ES_URL: ES_URL!,
    ES_INDEX_PREFIX: prefix,
    MAX_BACKFILL_DAYS: "1",
    SETTLE_MINUTES: String(SETTLE_MINUTES),
    OVERLAP_MINUTES: "15",
    LOG_FORMAT: "json",
    // The core scenarios are about the exact per-minute dataset; datasets.test.ts covers the others.
    CF_DATASETS: "http_requests",
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`dist/src/cli.js`) as its own process; optionally SIGKILLs it after `killAfterMs`. */
export function cli(args: readonly string[], env: Record<string, string>, options: { killAfterMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "dist", "src", "cli.js"), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function dropPrefix(es: Client, prefix: string): Promise<void> {
  // Two prefixes may overlap (`it-chart-*` holds `it-chart-backfill-*`): an index another drop removed a moment ago
  // is gone either way.
  await es.indices.delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true }).catch((error: unknown) => {
    if (!String((error as Error).message).includes("index_not_found_exception")) throw error;
  });
  await es.indices.deleteIndexTemplate({ name: `${prefix}-*` }).catch(() => undefined);
  await es.cluster.deleteComponentTemplate({ name: `${prefix}-*` }).catch(() => undefined);
}

/** The data indices of a prefix, without the run records (which every run adds to). */
export const dataIndices = (prefix: string): string => `${prefix}-*,-${prefix}-runs-*`;

/** Every stored data document of a prefix: id -> hash of its source (to tell "changed" from "rewritten identically"). */
export async function snapshot(es: Client, prefix: string): Promise<Map<string, string>> {
  await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
  const result = new Map<string, string>();
  let response = await es.search({ index: dataIndices(prefix), allow_no_indices: true, size: 5000, scroll: "1m", sort: ["_doc"] });
  while (response.hits.hits.length > 0) {
    for (const hit of response.hits.hits) result.set(`${hit._index}/${hit._id}`, createHash("sha1").update(JSON.stringify(hit._source)).digest("hex"));
    response = await es.scroll({ scroll_id: response._scroll_id!, scroll: "1m" });
  }
  if (response._scroll_id) await es.clearScroll({ scroll_id: response._scroll_id });
  return result;
}

/**
 * The documents that differ between two snapshots (at most 20, each named by its key): compare with `[]`. A failing
 * assert.deepEqual of two maps with thousands of entries spends minutes printing its diff.
 */
export function snapshotDifferences(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .filter((k) => a.get(k) !== b.get(k))
    .slice(0, 20)
    .map((k) => `${k}: ${a.get(k) ?? "missing"} vs ${b.get(k) ?? "missing"}`);
}

type Sums = Record<string, number>;
interface StoredMinute {
  total: Sums | undefined;
  /** breakdown -> number of entries and sums of their metrics */
  breakdowns: Map<string, { entries: number; sums: Sums }>;
}

const METRICS = [
  "requests",
  "bytes",
  "cached_requests",
  "cached_bytes",
  "encrypted_requests",
  "encrypted_bytes",
  "page_views",
  "uniques",
  "threats",
  "edge_request_bytes",
];

/** Per minute of one zone: the stored total and, per breakdown, entry count and sums (one aggregation, exact). */
export async function storedMinutes(es: Client, prefix: string, zoneId: string, range: { from: number; to: number }): Promise<Map<number, StoredMinute>> {
  await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
  const response = await es.search({
    index: `${prefix}-http_requests-*`,
    allow_no_indices: true,
    size: 0,
    query: {
      bool: { filter: [{ term: { "cloudflare.zone.id": zoneId } }, { range: { "@timestamp": { gte: range.from, lt: range.to, format: "epoch_millis" } } }] },
    },
    aggs: {
      minutes: {
        date_histogram: { field: "@timestamp", fixed_interval: "1m", min_doc_count: 1 },
        aggs: {
          breakdowns: {
            terms: { field: "cloudflare.breakdown", size: 50 },
            aggs: Object.fromEntries(METRICS.map((m) => [m, { sum: { field: `cloudflare.${m}` } }])),
          },
        },
      },
    },
  });
  type B = { key: string; doc_count: number } & Record<string, { value: number }>;
  const minutes = (response.aggregations as { minutes: { buckets: { key: number; breakdowns: { buckets: B[] } }[] } }).minutes.buckets;
  const result = new Map<number, StoredMinute>();
  for (const m of minutes) {
    const entry: StoredMinute = { total: undefined, breakdowns: new Map() };
    for (const b of m.breakdowns.buckets) {
      const sums = Object.fromEntries(METRICS.map((k) => [k, b[k]!.value]));
      if (b.key === "total") {
        assertEqual(b.doc_count, 1, `one total per minute at ${new Date(m.key).toISOString()}`);
        entry.total = sums;
      } else entry.breakdowns.set(b.key, { entries: b.doc_count, sums });
    }
    result.set(m.key, entry);
  }
  return result;
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** What Cloudflare's final figures say a minute must look like once stored. */
export function expectedMinute(zoneId: string, minute: number, truth = finalMinute): StoredMinute {
  const data = truth(zoneId, minute);
  const zero = Object.fromEntries(METRICS.map((m) => [m, 0]));
  if (!data) return { total: zero, breakdowns: new Map() };
  const s = data.sum;
  const total: Sums = {
    ...zero,
    requests: s.requests,
    bytes: s.bytes,
    cached_requests: s.cachedRequests,
    cached_bytes: s.cachedBytes,
    encrypted_requests: s.encryptedRequests,
    encrypted_bytes: s.encryptedBytes,
    page_views: s.pageViews,
    uniques: data.uniq.uniques,
    threats: s.threats,
    edge_request_bytes: s.edgeRequestBytes,
  };
  const breakdowns = new Map<string, { entries: number; sums: Sums }>();
  // One document per distinct key (Cloudflare may list a name twice: the slices are summed into one), plus one
  // `__unattributed__` entry when the map covers less than the total, so that the stored map adds up to the total.
  const add = (name: string, entries: readonly Record<string, unknown>[], key: string, pick: (e: Record<string, unknown>) => Sums, totals: Sums) => {
    const sums = { ...zero };
    for (const e of entries) for (const [k, v] of Object.entries(pick(e))) sums[k] = (sums[k] ?? 0) + v;
    const partial = Object.keys(totals).some((k) => sums[k]! < totals[k]!);
    const count = new Set(entries.map((e) => String(e[key]))).size + (partial ? 1 : 0);
    if (count === 0) return;
    breakdowns.set(name, { entries: count, sums: partial ? { ...sums, ...totals } : sums });
  };
  const n = (v: unknown) => Number(v);
  add("country", s.countryMap as never, "clientCountryName", (e) => ({ requests: n(e.requests), bytes: n(e.bytes), threats: n(e.threats) }), {
    requests: s.requests,
    bytes: s.bytes,
    threats: s.threats,
  });
  add("status", s.responseStatusMap as never, "edgeResponseStatus", (e) => ({ requests: n(e.requests) }), { requests: s.requests });
  add("content_type", s.contentTypeMap as never, "edgeResponseContentTypeName", (e) => ({ requests: n(e.requests), bytes: n(e.bytes) }), {
    requests: s.requests,
    bytes: s.bytes,
  });
  add("browser", s.browserMap as never, "uaBrowserFamily", (e) => ({ page_views: n(e.pageViews) }), { page_views: s.pageViews });
  add("ssl_protocol", s.clientSSLMap as never, "clientSSLProtocol", (e) => ({ requests: n(e.requests) }), { requests: s.requests });
  add("http_protocol", s.clientHTTPVersionMap as never, "clientHTTPProtocol", (e) => ({ requests: n(e.requests) }), { requests: s.requests });
  add("ip_class", s.ipClassMap as never, "ipType", (e) => ({ requests: n(e.requests) }), { requests: s.requests });
  add("threat_pathing", s.threatPathingMap as never, "threatPathingName", (e) => ({ requests: n(e.requests) }), { requests: s.threats });
  return { total, breakdowns };
}

/**
 * Compares every minute of `range` for every zone with the ground truth, exactly. Returns a list of differences
 * (empty when exact) rather than throwing at the first, so a failure shows its extent.
 */
export async function differences(es: Client, prefix: string, range: { from: number; to: number }, truth = finalMinute): Promise<string[]> {
  const problems: string[] = [];
  for (const zone of ZONES) {
    const stored = await storedMinutes(es, prefix, zone.id, range);
    for (let minute = range.from; minute < range.to; minute += MINUTE) {
      const at = `${zone.name} ${new Date(minute).toISOString()}`;
      const got = stored.get(minute);
      if (!got?.total) {
        problems.push(`${at}: no total stored`);
        continue;
      }
      const want = expectedMinute(zone.id, minute, truth);
      for (const m of METRICS) if (got.total[m] !== want.total![m]) problems.push(`${at} total ${m}: ${got.total[m]} != ${want.total![m]}`);
      const names = new Set([...got.breakdowns.keys(), ...want.breakdowns.keys()]);
      for (const name of names) {
        const g = got.breakdowns.get(name);
        const w = want.breakdowns.get(name);
        if (g?.entries !== w?.entries) problems.push(`${at} ${name}: ${g?.entries ?? 0} entries != ${w?.entries ?? 0}`);
        for (const m of METRICS) if ((g?.sums[m] ?? 0) !== (w?.sums[m] ?? 0)) problems.push(`${at} ${name} ${m}: ${g?.sums[m] ?? 0} != ${w?.sums[m] ?? 0}`);
      }
    }
    for (const minute of stored.keys())
      if (minute < range.from || minute >= range.to) problems.push(`${zone.name}: unexpected minute ${new Date(minute).toISOString()}`);
  }
  return problems;
}

/** Number of documents the ground truth implies for a range (1 total per minute plus one per map entry). */
export function expectedDocumentCount(range: { from: number; to: number }, truth = finalMinute): number {
  let count = 0;
  for (const zone of ZONES) {
    for (let minute = range.from; minute < range.to; minute += MINUTE) {
      const want = expectedMinute(zone.id, minute, truth);
      count += 1 + [...want.breakdowns.values()].reduce((n, b) => n + b.entries, 0);
    }
  }
  return count;
}

export async function countDocuments(es: Client, prefix: string): Promise<number> {
  await es.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
  return (await es.count({ index: dataIndices(prefix), allow_no_indices: true })).count;
}
