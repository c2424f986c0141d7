/**
 * Deterministic ground truth for the simulator: what Cloudflare's httpRequests1mGroups would hold for any zone tag and
 * minute.
 *
 * A minute is built from synthetic "request cells". Each cell is a bunch of requests that share one value of every
 * dimension (country, status, content type, browser, TLS and HTTP version, IP class, cached or not, threat). The
 * totals and all eight maps are sums over the same cells, so the maps always add up to the totals. That invariant is
 * what an exporter must keep intact. The cells come from a PRNG seeded with the zone tag and the minute. Nothing is
 * stored, and the same question always gets the same answer, in any process.
 *
 * Late data: Cloudflare's newest minutes keep growing for a few minutes. `observedMinute` scales every cell by a
 * growth factor that reaches exactly 1 when the minute is `lateMinutes` old. It floors per cell, so the young minute
 * still adds up.
 *
 * Speed matters: integration tests and the benchmark generate about a million zone-minutes. Cells live in
 * preallocated typed arrays (cells.ts); a minute allocates only the objects it returns.
 */

import {
  BROWSERS,
  CONTENT_TYPES,
  COUNTRIES,
  HTTP,
  IP_CLASSES,
  MINUTE_MS,
  NO_THREAT,
  SSL,
  SSL_NONE,
  STATUSES,
  THREATS,
  cBrowser,
  cBytes,
  cCached,
  cCount,
  cCountry,
  cEdgeBytes,
  cHttp,
  cIp,
  cPageViews,
  cSsl,
  cStatus,
  cThreat,
  cType,
  cellsUniques,
  generateCells,
} from "./cells.js";

export { MINUTE_MS };
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

// ---- What a group row holds (field names are the GraphQL ones, so rows are served as they are) ----

export interface CountryMapEntry {
  clientCountryName: string;
  requests: number;
  bytes: number;
  threats: number;
}
export interface ResponseStatusMapEntry {
  edgeResponseStatus: number;
  requests: number;
}
export interface ContentTypeMapEntry {
  edgeResponseContentTypeName: string;
  requests: number;
  bytes: number;
}
export interface BrowserMapEntry {
  uaBrowserFamily: string;
  pageViews: number;
}
export interface ClientSSLMapEntry {
  clientSSLProtocol: string;
  requests: number;
}
export interface ClientHTTPVersionMapEntry {
  clientHTTPProtocol: string;
  requests: number;
}
export interface IpClassMapEntry {
  ipType: string;
  requests: number;
}
export interface ThreatPathingMapEntry {
  threatPathingName: string;
  requests: number;
}

export interface TrafficSum {
  requests: number;
  bytes: number;
  cachedRequests: number;
  cachedBytes: number;
  encryptedRequests: number;
  encryptedBytes: number;
  edgeRequestBytes: number;
  pageViews: number;
  threats: number;
  countryMap: CountryMapEntry[];
  responseStatusMap: ResponseStatusMapEntry[];
  contentTypeMap: ContentTypeMapEntry[];
  browserMap: BrowserMapEntry[];
  clientSSLMap: ClientSSLMapEntry[];
  clientHTTPVersionMap: ClientHTTPVersionMapEntry[];
  ipClassMap: IpClassMapEntry[];
  threatPathingMap: ThreatPathingMapEntry[];
}

/** One group row's values: a minute, an hour, or any run of minutes merged. */
export interface TrafficData {
  sum: TrafficSum;
  uniq: { uniques: number };
  /** Per-request averages; rollups are unsampled, so sampleInterval is 1. */
  avg: { bytes: number; edgeRequestBytes: number; sampleInterval: number };
}

function checkMinute(minuteMs: number): void {
  if (!Number.isInteger(minuteMs) || minuteMs % MINUTE_MS !== 0) {
    throw new RangeError(`not a minute-aligned epoch ms: ${minuteMs}`);
  }
}

// ---- Aggregation ----

/** What a TrafficAccumulator holds, copied out (see `snapshot` / `merge`). */
export interface AccumulatorState {
  readonly arrays: readonly Float64Array[];
  readonly scalars: readonly number[];
}

/**
 * Sums cells into one group row. One instance accumulates a minute, an hour or any run of minutes; `take()` returns
 * the row and resets the accumulator for the next group.
 */
export class TrafficAccumulator {
  private readonly country = new Float64Array(COUNTRIES.length);
  private readonly countryBytes = new Float64Array(COUNTRIES.length);
  private readonly countryThreats = new Float64Array(COUNTRIES.length);
  private readonly status = new Float64Array(STATUSES.length);
  private readonly type = new Float64Array(CONTENT_TYPES.length);
  private readonly typeBytes = new Float64Array(CONTENT_TYPES.length);
  private readonly browserViews = new Float64Array(BROWSERS.length);
  private readonly ssl = new Float64Array(SSL.length);
  private readonly http = new Float64Array(HTTP.length);
  private readonly ip = new Float64Array(IP_CLASSES.length);
  private readonly threat = new Float64Array(THREATS.length);
  private requests = 0;
  private bytes = 0;
  private cachedRequests = 0;
  private cachedBytes = 0;
  private encryptedRequests = 0;
  private encryptedBytes = 0;
  private edgeRequestBytes = 0;
  private pageViews = 0;
  private threats = 0;
  private minutes = 0;
  private uniquesSum = 0;
  private uniquesMax = 0;

  /**
   * Adds one minute as seen at `nowMs` (final when `lateMinutes` is 0 or the minute is old enough).
   * Returns false when the minute has no row (yet).
   */
  addMinute(zoneTag: string, minuteMs: number, nowMs: number, lateMinutes: number): boolean {
    const growth = growthFactor(minuteMs, nowMs, lateMinutes);
    if (growth <= 0) return false;
    const n = generateCells(zoneTag, minuteMs);
    let added = 0;
    for (let i = 0; i < n; i++) {
      // Flooring per cell keeps a young minute's maps equal to its totals.
      const count = growth === 1 ? cCount[i]! : Math.floor(cCount[i]! * growth);
      if (count === 0) continue; // these requests have not arrived yet
      const bytes = growth === 1 ? cBytes[i]! : Math.floor(cBytes[i]! * growth);
      const views = growth === 1 ? cPageViews[i]! : Math.floor(cPageViews[i]! * growth);
      const c = cCountry[i]!;
      const t = cType[i]!;
      this.country[c]! += count;
      this.countryBytes[c]! += bytes;
      this.status[cStatus[i]!]! += count;
      this.type[t]! += count;
      this.typeBytes[t]! += bytes;
      this.browserViews[cBrowser[i]!]! += views;
      this.ssl[cSsl[i]!]! += count;
      this.http[cHttp[i]!]! += count;
      this.ip[cIp[i]!]! += count;
      if (cThreat[i] !== NO_THREAT) {
        this.threat[cThreat[i]!]! += count;
        this.countryThreats[c]! += count;
        this.threats += count;
      }
      if (cCached[i]) {
        this.cachedRequests += count;
        this.cachedBytes += bytes;
      }
      if (cSsl[i] !== SSL_NONE) {
        this.encryptedRequests += count;
        this.encryptedBytes += bytes;
      }
      this.edgeRequestBytes += growth === 1 ? cEdgeBytes[i]! : Math.floor(cEdgeBytes[i]! * growth);
      this.requests += count;
      this.bytes += bytes;
      this.pageViews += views;
      added += count;
    }
    if (added === 0) return false;
    const uniques = Math.min(added, Math.max(1, Math.floor(cellsUniques * growth)));
    this.minutes++;
    this.uniquesSum += uniques;
    this.uniquesMax = Math.max(this.uniquesMax, uniques);
    return true;
  }

  private arrays(): Float64Array[] {
    return [
      this.country,
      this.countryBytes,
      this.countryThreats,
      this.status,
      this.type,
      this.typeBytes,
      this.browserViews,
      this.ssl,
      this.http,
      this.ip,
      this.threat,
    ];
  }

  /** A copy of what has been accumulated (to cache a settled day); the accumulator is left as it is. */
  snapshot(): AccumulatorState {
    return {
      arrays: this.arrays().map((a) => a.slice()),
      scalars: [
        this.requests,
        this.bytes,
        this.cachedRequests,
        this.cachedBytes,
        this.encryptedRequests,
        this.encryptedBytes,
        this.edgeRequestBytes,
        this.pageViews,
        this.threats,
        this.minutes,
        this.uniquesSum,
        this.uniquesMax,
      ],
    };
  }

  /** Adds a snapshot: the same as adding its minutes again, one by one. */
  merge(state: AccumulatorState): void {
    this.arrays().forEach((a, i) => {
      const b = state.arrays[i]!;
      for (let j = 0; j < a.length; j++) a[j]! += b[j]!;
    });
    const [
      requests,
      bytes,
      cachedRequests,
      cachedBytes,
      encryptedRequests,
      encryptedBytes,
      edgeRequestBytes,
      pageViews,
      threats,
      minutes,
      uniquesSum,
      uniquesMax,
    ] = state.scalars as [number, number, number, number, number, number, number, number, number, number, number, number];
    this.requests += requests;
    this.bytes += bytes;
    this.cachedRequests += cachedRequests;
    this.cachedBytes += cachedBytes;
    this.encryptedRequests += encryptedRequests;
    this.encryptedBytes += encryptedBytes;
    this.edgeRequestBytes += edgeRequestBytes;
    this.pageViews += pageViews;
    this.threats += threats;
    this.minutes += minutes;
    this.uniquesSum += uniquesSum;
    this.uniquesMax = Math.max(this.uniquesMax, uniquesMax);
  }

  private countryMap(): CountryMapEntry[] {
    return ranked(this.country).map((i) => ({
      clientCountryName: COUNTRIES[i]!,
      requests: this.country[i]!,
      bytes: this.countryBytes[i]!,
      threats: this.countryThreats[i]!,
    }));
  }

  /** The accumulated row, or null when no minute had traffic; resets the accumulator either way. */
  take(): TrafficData | null {
    if (this.minutes === 0) return null;
    const requests = this.requests;
    // Unique visitors are not additive: over several minutes many come back. Any value between the largest minute
    // and the request count is plausible; this one is deterministic.
    const uniques = this.minutes === 1 ? this.uniquesSum : Math.min(requests, Math.max(this.uniquesMax, Math.floor(this.uniquesSum * 0.45)));
    const row: TrafficData = {
      sum: {
        requests,
        bytes: this.bytes,
        cachedRequests: this.cachedRequests,
        cachedBytes: this.cachedBytes,
        encryptedRequests: this.encryptedRequests,
        encryptedBytes: this.encryptedBytes,
        edgeRequestBytes: this.edgeRequestBytes,
        pageViews: this.pageViews,
        threats: this.threats,
        countryMap: this.countryMap(),
        responseStatusMap: ranked(this.status).map((i) => ({ edgeResponseStatus: STATUSES[i]!, requests: this.status[i]! })),
        contentTypeMap: ranked(this.type).map((i) => ({
          edgeResponseContentTypeName: CONTENT_TYPES[i]!,
          requests: this.type[i]!,
          bytes: this.typeBytes[i]!,
        })),
        browserMap: ranked(this.browserViews).map((i) => ({ uaBrowserFamily: BROWSERS[i]!, pageViews: this.browserViews[i]! })),
        clientSSLMap: ranked(this.ssl).map((i) => ({ clientSSLProtocol: SSL[i]!, requests: this.ssl[i]! })),
        clientHTTPVersionMap: ranked(this.http).map((i) => ({ clientHTTPProtocol: HTTP[i]!, requests: this.http[i]! })),
        ipClassMap: ranked(this.ip).map((i) => ({ ipType: IP_CLASSES[i]!, requests: this.ip[i]! })),
        threatPathingMap: ranked(this.threat).map((i) => ({ threatPathingName: THREATS[i]!, requests: this.threat[i]! })),
      },
      uniq: { uniques },
      avg: { bytes: this.bytes / requests, edgeRequestBytes: this.edgeRequestBytes / requests, sampleInterval: 1 },
    };
    for (const a of [
      this.country,
      this.countryBytes,
      this.countryThreats,
      this.status,
      this.type,
      this.typeBytes,
      this.browserViews,
      this.ssl,
      this.http,
      this.ip,
      this.threat,
    ])
      a.fill(0);
    this.requests = this.bytes = this.cachedRequests = this.cachedBytes = this.encryptedRequests = 0;
    this.encryptedBytes = this.edgeRequestBytes = this.pageViews = this.threats = 0;
    this.minutes = this.uniquesSum = this.uniquesMax = 0;
    return row;
  }
}

/**
 * Indexes of the non-zero values, largest first (ties in vocabulary order): a map lists only keys that occurred.
 * Insertion sort, because the arrays are tiny and this runs for every map of every row.
 */
function ranked(values: Float64Array): number[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v <= 0) continue;
    let j = order.length;
    while (j > 0 && values[order[j - 1]!]! < v) j--;
    order.splice(j, 0, i);
  }
  return order;
}

// ---- Public ground truth ----

/**
 * How much of a minute's final traffic is visible at `nowMs`: 0 before the minute has ended, rising linearly with the
 * minute's age (counted from its start) and exactly 1 from `lateMinutes` on. With `lateMinutes` 0 an ended minute is
 * final at once.
 */
export function growthFactor(minuteMs: number, nowMs: number, lateMinutes: number): number {
  const age = nowMs - minuteMs;
  if (age < MINUTE_MS) return 0;
  const settle = lateMinutes * MINUTE_MS;
  return age >= settle ? 1 : age / settle;
}

const shared = new TrafficAccumulator();

/** The minute's final values, or null when Cloudflare has no row for it (a minute without any request). */
export function finalMinute(zoneTag: string, minuteMs: number): TrafficData | null {
  checkMinute(minuteMs);
  shared.addMinute(zoneTag, minuteMs, Number.POSITIVE_INFINITY, 0);
  return shared.take();
}

/**
 * The minute as Cloudflare shows it at `nowMs` when data takes `lateMinutes` to settle: null before the minute has
 * ended (or when nothing has arrived yet), smaller than final while young, equal to `finalMinute` once settled.
 */
export function observedMinute(zoneTag: string, minuteMs: number, nowMs: number, lateMinutes: number): TrafficData | null {
  checkMinute(minuteMs);
  shared.addMinute(zoneTag, minuteMs, nowMs, lateMinutes);
  return shared.take();
}

/** The sum of the hour's 60 final minutes (what httpRequests1hGroups holds once the hour is settled). */
export function hourTotals(zoneTag: string, hourMs: number): TrafficData | null {
  if (!Number.isInteger(hourMs) || hourMs % HOUR_MS !== 0) throw new RangeError(`not an hour-aligned epoch ms: ${hourMs}`);
  for (let m = hourMs; m < hourMs + HOUR_MS; m += MINUTE_MS) shared.addMinute(zoneTag, m, Number.POSITIVE_INFINITY, 0);
  return shared.take();
}

// ---- Settled days (httpRequests1dGroups): 1,440 minutes each, so they are cached once final ----

const days = new Map<string, AccumulatorState>();
const MAX_DAYS = 5_000;

/**
 * The accumulated final minutes of a UTC day, cached (a day is settled for good once its last minute is final, and
 * a year of days for several zones would otherwise be regenerated by every query).
 */
export function settledDay(zoneTag: string, dayMs: number): AccumulatorState {
  const key = `${zoneTag}\u0000${dayMs}`;
  let state = days.get(key);
  if (!state) {
    const acc = new TrafficAccumulator();
    for (let m = dayMs; m < dayMs + DAY_MS; m += MINUTE_MS) acc.addMinute(zoneTag, m, Number.POSITIVE_INFINITY, 0);
    state = acc.snapshot();
    if (days.size >= MAX_DAYS) days.delete(days.keys().next().value!);
    days.set(key, state);
  }
  return state;
}

/** Whether every minute of the day starting at `dayMs` is final at `nowMs`. */
export function daySettled(dayMs: number, nowMs: number, lateMinutes: number): boolean {
  return growthFactor(dayMs + DAY_MS - MINUTE_MS, nowMs, lateMinutes) >= 1;
}

/** The sum of the day's 1,440 final minutes (what httpRequests1dGroups holds once the day is settled). */
export function dayTotals(zoneTag: string, dayMs: number): TrafficData | null {
  if (!Number.isInteger(dayMs) || dayMs % DAY_MS !== 0) throw new RangeError(`not a day-aligned epoch ms: ${dayMs}`);
  shared.merge(settledDay(zoneTag, dayMs));
  return shared.take();
}
