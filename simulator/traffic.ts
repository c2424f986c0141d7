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
 * Speed matters: integration tests and the benchmark generate about a million zone-minutes. One minute uses
 * preallocated typed arrays and allocates only the objects it returns.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// ---- What a group row holds (field names are the GraphQL ones, so rows are served as they are) ----

export interface CountryMapEntry { clientCountryName: string; requests: number; bytes: number; threats: number }
export interface ResponseStatusMapEntry { edgeResponseStatus: number; requests: number }
export interface ContentTypeMapEntry { edgeResponseContentTypeName: string; requests: number; bytes: number }
export interface BrowserMapEntry { uaBrowserFamily: string; pageViews: number }
export interface ClientSSLMapEntry { clientSSLProtocol: string; requests: number }
export interface ClientHTTPVersionMapEntry { clientHTTPProtocol: string; requests: number }
export interface IpClassMapEntry { ipType: string; requests: number }
export interface ThreatPathingMapEntry { threatPathingName: string; requests: number }

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

// ---- Vocabularies (values as Cloudflare reports them) ----

const COUNTRIES = [
  "US", "DE", "GB", "FR", "NL", "CA", "JP", "IN", "BR", "CN", "AU", "SE", "CH", "IT", "ES", "PL", "RU", "KR", "SG",
  "IE", "BE", "AT", "DK", "FI", "NO", "CZ", "PT", "MX", "AR", "ZA", "TR", "UA", "IL", "HK", "TW", "ID", "VN", "TH",
  "PH", "NZ", "RO", "HU", "GR", "CL", "CO", "XX", "T1",
] as const;
// In order of frequency; a minute uses the first 3..8 of them.
const STATUSES = [200, 304, 301, 404, 302, 403, 206, 500, 502, 503, 499, 520] as const;
const STATUS_403 = STATUSES.indexOf(403);
const CONTENT_TYPES = ["html", "javascript", "css", "png", "jpeg", "json", "webp", "svg", "woff2", "gif", "empty"] as const;
/** Typical body size in bytes per content type (index-aligned with CONTENT_TYPES). */
const CONTENT_SIZES = [35_000, 45_000, 18_000, 60_000, 90_000, 3_000, 40_000, 6_000, 30_000, 20_000, 0];
/** Chance that a successful response of this content type came from cache. */
const CACHE_CHANCE = [0.3, 0.9, 0.9, 0.85, 0.85, 0.1, 0.85, 0.9, 0.95, 0.85, 0];
const HTML = 0;
const BROWSERS = [
  "Chrome", "Safari", "MobileSafari", "Firefox", "Edge", "ChromeMobile", "SamsungInternet", "Opera", "Googlebot",
  "PingdomBot", "Other",
] as const;
const GOOGLEBOT = BROWSERS.indexOf("Googlebot");
const PINGDOM = BROWSERS.indexOf("PingdomBot");
const SSL = ["none", "TLSv1.2", "TLSv1.3"] as const;
const SSL_NONE = 0;
const HTTP = ["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"] as const;
const IP_CLASSES = ["noRecord", "clean", "searchEngine", "monitoringService", "unknown", "tor", "badHost"] as const;
const IP_SEARCH = IP_CLASSES.indexOf("searchEngine");
const IP_MONITORING = IP_CLASSES.indexOf("monitoringService");
const THREATS = ["user.ban.ctry", "user.ban.ip", "bic.ban.unknown", "hot.ban.unknown", "macro.ban.unknown"] as const;
const NO_THREAT = 255;

// ---- PRNG: mulberry32 with module state, so a minute costs no closure or object ----

let rngState = 0;
function rnd(): number {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
/** A power-law pick among the first k ranks: rank 0 is the most likely, and a higher skew makes it more so. */
function pick(k: number, skew: number): number {
  return Math.floor(k * Math.pow(rnd(), skew));
}

// ---- Per-zone profile (small and bounded, so it may be cached) ----

interface ZoneProfile {
  hash: number;
  /** Mean requests per minute over a day. */
  base: number;
  /** Phase of the daily sine, so zones peak at different hours. */
  phase: number;
  countries: Uint8Array;
  contentTypes: Uint8Array;
}

const profiles = new Map<string, ZoneProfile>();
function profileOf(zoneTag: string): ZoneProfile {
  let p = profiles.get(zoneTag);
  if (p) return p;
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < zoneTag.length; i++) h = Math.imul(h ^ zoneTag.charCodeAt(i), 0x01000193);
  rngState = mix32(h >>> 0);
  const countries = shuffled(COUNTRIES.length, 0);
  const contentTypes = shuffled(CONTENT_TYPES.length, 1); // html stays first: every site serves pages
  p = { hash: h >>> 0, base: 400 + rnd() * 1600, phase: rnd() * 2 * Math.PI, countries, contentTypes };
  if (profiles.size >= 10_000) profiles.clear(); // a long-running `simulate` must not grow without bound
  profiles.set(zoneTag, p);
  return p;
}
function shuffled(n: number, keepFirst: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > keepFirst; i--) {
    const j = keepFirst + Math.floor(rnd() * (i - keepFirst + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

// ---- Cells of one minute (scratch arrays, refilled by every generateCells call) ----

const MAX_CELLS = 128;
const cCountry = new Uint8Array(MAX_CELLS);
const cStatus = new Uint8Array(MAX_CELLS);
const cType = new Uint8Array(MAX_CELLS);
const cBrowser = new Uint8Array(MAX_CELLS);
const cSsl = new Uint8Array(MAX_CELLS);
const cHttp = new Uint8Array(MAX_CELLS);
const cIp = new Uint8Array(MAX_CELLS);
const cCached = new Uint8Array(MAX_CELLS);
const cThreat = new Uint8Array(MAX_CELLS);
const cCount = new Float64Array(MAX_CELLS);
const cBytes = new Float64Array(MAX_CELLS);
const cEdgeBytes = new Float64Array(MAX_CELLS);
const cPageViews = new Float64Array(MAX_CELLS);
/** The final unique visitor count of the minute whose cells are in the scratch arrays. */
let cellsUniques = 0;

function checkMinute(minuteMs: number): void {
  if (!Number.isInteger(minuteMs) || minuteMs % MINUTE_MS !== 0) {
    throw new RangeError(`not a minute-aligned epoch ms: ${minuteMs}`);
  }
}

/** Fills the scratch arrays with the minute's final cells and returns their number; 0 = a minute without traffic. */
function generateCells(zoneTag: string, minuteMs: number): number {
  const zone = profileOf(zoneTag);
  rngState = mix32(zone.hash ^ mix32(Math.floor(minuteMs / MINUTE_MS) | 0));
  if (rnd() < 0.01) return 0; // about 1 % of minutes see no request at all: Cloudflare then has no row

  const dayPhase = (2 * Math.PI * (((minuteMs % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
  const target = zone.base * (1 + 0.45 * Math.sin(dayPhase + zone.phase)) * (0.85 + 0.3 * rnd());
  const nCountries = Math.min(5 + Math.floor(rnd() * 21), 5 + Math.floor(target / 40));
  const nStatuses = 3 + Math.floor(rnd() * 6);
  const nTypes = 2 + Math.floor(rnd() * 5);
  const nBrowsers = 2 + Math.floor(rnd() * 7);

  // Main cells carry the traffic with realistic marginals: a few countries, status 200 and html dominate.
  const main = 12 + Math.floor(rnd() * 20);
  let weightSum = 0;
  for (let i = 0; i < main; i++) {
    fillCell(i, zone.countries[pick(nCountries, 2.5)]!, pick(nStatuses, 8), zone.contentTypes[pick(nTypes, 2)]!,
      pick(nBrowsers, 2));
    cCount[i] = 0.5 + rnd(); // weight for now, requests below
    weightSum += cCount[i]!;
  }
  for (let i = 0; i < main; i++) cCount[i] = Math.max(1, Math.floor((target * cCount[i]!) / weightSum));

  // Coverage cells: every country and status chosen for this minute appears at least once, with a few requests,
  // so a minute has 5-25 countries and 3-8 statuses, as the maps of a real zone do.
  let n = main;
  for (let c = 0; c < nCountries; c++) {
    const country = zone.countries[c]!;
    if (!contains(cCountry, n, country)) {
      fillCell(n, country, pick(nStatuses, 8), zone.contentTypes[pick(nTypes, 2)]!, pick(nBrowsers, 2));
      cCount[n++] = 1 + Math.floor(rnd() * 3);
    }
  }
  for (let s = 0; s < nStatuses; s++) {
    if (!contains(cStatus, n, s)) {
      fillCell(n, zone.countries[pick(nCountries, 2.5)]!, s, zone.contentTypes[pick(nTypes, 2)]!,
        pick(nBrowsers, 2));
      cCount[n++] = 1 + Math.floor(rnd() * 3);
    }
  }

  let requests = 0;
  for (let i = 0; i < n; i++) {
    const count = cCount[i]!;
    const status = STATUSES[cStatus[i]!]!;
    const ok = status === 200 || status === 206;
    const perRequest = ok ? CONTENT_SIZES[cType[i]!]! * (0.6 + 0.8 * rnd()) + 400 : 250 + rnd() * 1200;
    cBytes[i] = Math.floor(count * perRequest);
    cEdgeBytes[i] = Math.floor(count * (400 + rnd() * 1000));
    cCached[i] = (ok || status === 304) && rnd() < CACHE_CHANCE[cType[i]!]! ? 1 : 0;
    cPageViews[i] = status === 200 && cType[i] === HTML ? count : 0; // a page view is a successful HTML response
    requests += count;
  }
  cellsUniques = Math.max(1, Math.floor(requests * (0.3 + 0.4 * rnd())));
  return n;
}

function contains(values: Uint8Array, n: number, value: number): boolean {
  for (let i = 0; i < n; i++) if (values[i] === value) return true;
  return false;
}

/** Sets cell i's dimensions; the ones that depend on each other (bots, TLS and HTTP version, threats) stay coherent. */
function fillCell(i: number, country: number, status: number, type: number, browser: number): void {
  cCountry[i] = country;
  cStatus[i] = status;
  cType[i] = type;
  cBrowser[i] = browser;
  const r = rnd();
  const ssl = r < 0.05 ? SSL_NONE : r < 0.35 ? 1 : 2;
  cSsl[i] = ssl;
  const h = rnd();
  cHttp[i] = ssl === SSL_NONE ? (h < 0.1 ? 0 : 1) : h < 0.15 ? 1 : h < 0.7 ? 2 : 3; // h2 and h3 need TLS
  cIp[i] = browser === GOOGLEBOT ? IP_SEARCH : browser === PINGDOM ? IP_MONITORING : pick(IP_CLASSES.length, 6);
  // A 403 here is Cloudflare blocking the request: that is what the (deprecated) threat counters count.
  cThreat[i] = status === STATUS_403 ? pick(THREATS.length, 1.5) : NO_THREAT;
}

// ---- Aggregation ----

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

  private countryMap(): CountryMapEntry[] {
    return ranked(this.country).map((i) => ({
      clientCountryName: COUNTRIES[i]!, requests: this.country[i]!, bytes: this.countryBytes[i]!, threats: this.countryThreats[i]!,
    }));
  }

  /** The accumulated row, or null when no minute had traffic; resets the accumulator either way. */
  take(): TrafficData | null {
    if (this.minutes === 0) return null;
    const requests = this.requests;
    // Unique visitors are not additive: over several minutes many come back. Any value between the largest minute
    // and the request count is plausible; this one is deterministic.
    const uniques = this.minutes === 1 ? this.uniquesSum
      : Math.min(requests, Math.max(this.uniquesMax, Math.floor(this.uniquesSum * 0.45)));
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
          edgeResponseContentTypeName: CONTENT_TYPES[i]!, requests: this.type[i]!, bytes: this.typeBytes[i]!,
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
    for (const a of [this.country, this.countryBytes, this.countryThreats, this.status, this.type, this.typeBytes,
      this.browserViews, this.ssl, this.http, this.ip, this.threat]) a.fill(0);
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
