/**
 * The synthetic "request cells" of a minute (see traffic.ts): vocabularies, the seeded PRNG, per-zone profiles and
 * the generator. The cells go into preallocated typed arrays that every call refills, so a minute allocates nothing;
 * the caller aggregates them at once.
 */

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// ---- Vocabularies (values as Cloudflare reports them) ----

export const COUNTRIES = [
  "US",
  "DE",
  "GB",
  "FR",
  "NL",
  "CA",
  "JP",
  "IN",
  "BR",
  "CN",
  "AU",
  "SE",
  "CH",
  "IT",
  "ES",
  "PL",
  "RU",
  "KR",
  "SG",
  "IE",
  "BE",
  "AT",
  "DK",
  "FI",
  "NO",
  "CZ",
  "PT",
  "MX",
  "AR",
  "ZA",
  "TR",
  "UA",
  "IL",
  "HK",
  "TW",
  "ID",
  "VN",
  "TH",
  "PH",
  "NZ",
  "RO",
  "HU",
  "GR",
  "CL",
  "CO",
  "XX",
  "T1",
] as const;
// In order of frequency; a minute uses the first 3..8 of them.
export const STATUSES = [200, 304, 301, 404, 302, 403, 206, 500, 502, 503, 499, 520] as const;
const STATUS_403 = STATUSES.indexOf(403);
export const CONTENT_TYPES = ["html", "javascript", "css", "png", "jpeg", "json", "webp", "svg", "woff2", "gif", "empty"] as const;
/** Typical body size in bytes per content type (index-aligned with CONTENT_TYPES). */
const CONTENT_SIZES = [35_000, 45_000, 18_000, 60_000, 90_000, 3_000, 40_000, 6_000, 30_000, 20_000, 0];
/** Chance that a successful response of this content type came from cache. */
const CACHE_CHANCE = [0.3, 0.9, 0.9, 0.85, 0.85, 0.1, 0.85, 0.9, 0.95, 0.85, 0];
const HTML = 0;
export const BROWSERS = [
  "Chrome",
  "Safari",
  "MobileSafari",
  "Firefox",
  "Edge",
  "ChromeMobile",
  "SamsungInternet",
  "Opera",
  "Googlebot",
  "PingdomBot",
  "Other",
] as const;
const GOOGLEBOT = BROWSERS.indexOf("Googlebot");
const PINGDOM = BROWSERS.indexOf("PingdomBot");
export const SSL = ["none", "TLSv1.2", "TLSv1.3"] as const;
export const SSL_NONE = 0;
export const HTTP = ["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"] as const;
export const IP_CLASSES = ["noRecord", "clean", "searchEngine", "monitoringService", "unknown", "tor", "badHost"] as const;
const IP_SEARCH = IP_CLASSES.indexOf("searchEngine");
const IP_MONITORING = IP_CLASSES.indexOf("monitoringService");
export const THREATS = ["user.ban.ctry", "user.ban.ip", "bic.ban.unknown", "hot.ban.unknown", "macro.ban.unknown"] as const;
export const NO_THREAT = 255;

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
export const cCountry = new Uint8Array(MAX_CELLS);
export const cStatus = new Uint8Array(MAX_CELLS);
export const cType = new Uint8Array(MAX_CELLS);
export const cBrowser = new Uint8Array(MAX_CELLS);
export const cSsl = new Uint8Array(MAX_CELLS);
export const cHttp = new Uint8Array(MAX_CELLS);
export const cIp = new Uint8Array(MAX_CELLS);
export const cCached = new Uint8Array(MAX_CELLS);
export const cThreat = new Uint8Array(MAX_CELLS);
export const cCount = new Float64Array(MAX_CELLS);
export const cBytes = new Float64Array(MAX_CELLS);
export const cEdgeBytes = new Float64Array(MAX_CELLS);
export const cPageViews = new Float64Array(MAX_CELLS);
/** The final unique visitor count of the minute whose cells are in the scratch arrays. */
export let cellsUniques = 0;

/** Fills the scratch arrays with the minute's final cells and returns their number; 0 = a minute without traffic. */
export function generateCells(zoneTag: string, minuteMs: number): number {
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
    fillCell(i, zone.countries[pick(nCountries, 2.5)]!, pick(nStatuses, 8), zone.contentTypes[pick(nTypes, 2)]!, pick(nBrowsers, 2));
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
      fillCell(n, zone.countries[pick(nCountries, 2.5)]!, s, zone.contentTypes[pick(nTypes, 2)]!, pick(nBrowsers, 2));
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

/**
 * Sets cell i's dimensions (indexes into the vocabularies). The ones that depend on each other (bots and IP class, TLS
 * and HTTP version, 403 and threats) stay coherent.
 */
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
  cIp[i] = browser === GOOGLEBOT ? IP_SEARCH : browser === PINGDOM ? IP_MONITORING : pick(IP_CLASSES.length, 10);
  // A 403 here is Cloudflare blocking the request: that is what the (deprecated) threat counters count.
  cThreat[i] = status === STATUS_403 ? pick(THREATS.length, 1.5) : NO_THREAT;
}
