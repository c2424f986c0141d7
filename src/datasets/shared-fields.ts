/**
 * Fields more than one dataset writes, declared once, and the stored form of Cloudflare's dimensions.
 *
 * Where ECS has a field for a dimension, the dimension is stored under it; where Cloudflare's value does not fit what
 * ECS expects, it is converted (TLS and HTTP versions) or, where it cannot be, stored under `cloudflare.*` instead
 * (Cloudflare's non-country codes). A value that contradicts ECS is never stored under an ECS name. The entry's
 * `cloudflare.key` always keeps Cloudflare's value as given.
 */
import type { FieldValue } from "./document.js";
import { dimension, metric, type FieldDecl, type MetricDecl } from "./fields.js";
import { isRealPath } from "./paths.js";

/** A Cloudflare dimension as stored: the fields it may become, and how one value becomes them. */
export interface StoredDimension {
  readonly fields: readonly FieldDecl[];
  /** How Cloudflare's value is read: a number (status codes, 0/1 flags) or text. */
  readonly reads: "integer" | "text";
  /** Cloudflare's value -> the fields it is stored as (none when it has no stored form besides the key). */
  store(value: FieldValue): Record<string, FieldValue>;
}

/** A dimension stored as it comes, under one field. */
export function asIs(field: FieldDecl): StoredDimension {
  return { fields: [field], reads: field.type === "keyword" ? "text" : "integer", store: (value) => ({ [field.name]: value }) };
}

// ---------------------------------------------------------------- dimensions with an ECS field

const countryCode = dimension(
  "source.geo.country_iso_code",
  "keyword",
  "ECS: the client's country, ISO 3166-1 alpha-2 (`DE`, `US`). Absent where Cloudflare gives no country (see `cloudflare.country`).",
);
const cloudflareCountry = dimension(
  "cloudflare.country",
  "keyword",
  "Cloudflare's country value where it is no ISO 3166 country, so not stored under `source.geo.country_iso_code`: `XX` (unknown), `T1` (Tor).",
);

/** `clientCountryName`: ISO codes under ECS; `XX` (unknown) and `T1` (Tor) are Cloudflare's own, kept as such. */
export const country: StoredDimension = {
  fields: [countryCode, cloudflareCountry],
  reads: "text",
  store: (value) => {
    const code = String(value);
    return /^[A-Z]{2}$/.test(code) && code !== "XX" ? { [countryCode.name]: code } : { [cloudflareCountry.name]: code };
  },
};

const domain = dimension(
  "url.domain",
  "keyword",
  "ECS: the host name the request asked for (Cloudflare's `clientRequestHTTPHost`, without a port; the key keeps it as given).",
);

/** `clientRequestHTTPHost`: a Host header may carry a port, which ECS keeps out of `url.domain`. */
export const host: StoredDimension = {
  fields: [domain],
  reads: "text",
  store: (value) => {
    const name = String(value).replace(/:\d+$/, "");
    return name === "" ? {} : { [domain.name]: name };
  },
};

/** `edgeResponseStatus`: the status Cloudflare's edge answered the client with. */
export const edgeStatus = asIs(
  dimension("http.response.status_code", "integer", "ECS: the edge's response status to the client, numeric so that ranges such as 500-599 work."),
);

const tlsVersion = dimension("tls.version", "keyword", "ECS: the client's TLS version, numeric part only (`1.2`, `1.3`); Cloudflare's `TLSv1.2` converted.");
const tlsProtocol = dimension("tls.version_protocol", "keyword", "ECS: `tls` (or `ssl` for SSLv3) beside `tls.version`.");

/** `clientSSLProtocol` (`TLSv1.3`, `TLSv1`, `SSLv3`, `none`): ECS splits it into protocol and numeric version. */
export const sslProtocol: StoredDimension = {
  fields: [tlsVersion, tlsProtocol],
  reads: "text",
  store: (value) => {
    const m = /^(TLS|SSL)v(\d+)(?:\.(\d+))?$/.exec(String(value));
    // `none` (plain HTTP) and anything unknown have no ECS form: the key holds them.
    return m ? { [tlsVersion.name]: `${m[2]!}.${m[3] ?? "0"}`, [tlsProtocol.name]: m[1]!.toLowerCase() } : {};
  },
};

const httpVersionField = dimension("http.version", "keyword", "ECS: the client's HTTP version (`1.1`, `2`, `3`); Cloudflare's `HTTP/2` converted.");

/** `clientHTTPProtocol` (`HTTP/1.1`, `HTTP/2`, `HTTP/3`): ECS wants the version alone. */
export const httpVersion: StoredDimension = {
  fields: [httpVersionField],
  reads: "text",
  store: (value) => {
    const m = /^HTTP\/(\d+(?:\.\d+)?)$/.exec(String(value));
    return m ? { [httpVersionField.name]: m[1]! } : {};
  },
};

const agentName = dimension(
  "user_agent.name",
  "keyword",
  "ECS: the browser family of the page views (`Chrome`, `Firefox`, ...); absent where Cloudflare says `Unknown`.",
);

/** `uaBrowserFamily` (`Chrome`, `Safari`, `Unknown`): ECS `user_agent.name`, which has no value for "unknown". */
export const browser: StoredDimension = {
  fields: [agentName],
  reads: "text",
  store: (value) => (value === "Unknown" || value === "" ? {} : { [agentName.name]: value }),
};

const realPath = dimension(
  "url.path",
  "keyword",
  "ECS: the request's path (Cloudflare's `clientRequestPath`, no query string), on entries whose path held no id: then it is the path itself. Absent where ids were collapsed (see `cloudflare.url.path_pattern`).",
);
const pathPatternField = dimension(
  "cloudflare.url.path_pattern",
  "keyword",
  "The request's path with every id segment replaced: digits by `{num}`, a UUID by `{uuid}`, 16 or more hex digits by `{hex}` (`/orders/{num}`); a path without ids as it is. Entries of one pattern are one entry, their figures merged.",
);

/**
 * `clientRequestPath` after `collapsePath` (paths.ts): the pattern always, ECS `url.path` only where the pattern is
 * the real path. A collapsed pattern under `url.path` would claim a path no client asked for.
 */
export const pathPattern: StoredDimension = {
  fields: [pathPatternField, realPath],
  reads: "text",
  store: (value) => {
    const pattern = String(value);
    return isRealPath(pattern) ? { [pathPatternField.name]: pattern, [realPath.name]: pattern } : { [pathPatternField.name]: pattern };
  },
};

const asNumber = dimension(
  "source.as.number",
  "long",
  "ECS: the client's autonomous system number (Cloudflare's `clientAsn`, a text there). Absent where Cloudflare gives no number.",
);
const asName = dimension(
  "source.as.organization.name",
  "keyword",
  "ECS: the organisation of the client's autonomous system (Cloudflare's `clientASNDescription`).",
);

/** `clientAsn`: Cloudflare types it as text; ECS wants the number. Anything but an AS number (0 to 2^32 - 1) stays in the key. */
export const clientAsn: StoredDimension = {
  fields: [asNumber],
  reads: "text",
  store: (value) => {
    const text = String(value);
    return /^\d{1,10}$/.test(text) && Number(text) > 0 && Number(text) < 2 ** 32 ? { [asNumber.name]: Number(text) } : {};
  },
};

/** `clientASNDescription`; empty where Cloudflare has no name for the AS. */
export const clientAsName: StoredDimension = {
  fields: [asName],
  reads: "text",
  store: (value) => (value === "" ? {} : { [asName.name]: value }),
};

// ---------------------------------------------------------------- Cloudflare-only dimensions several datasets share

export const colo = asIs(dimension("cloudflare.colo", "keyword", "Cloudflare data centre (IATA code, e.g. `FRA`)."));
export const region = asIs(dimension("cloudflare.region", "keyword", "Cloudflare region the check or request ran from (e.g. `WEU`, `ENAM`)."));
export const cacheStatus = asIs(
  dimension(
    "cloudflare.cache.status",
    "keyword",
    "Cloudflare's cache status of the request: `hit`, `miss`, `expired`, `stale`, `updating`, `revalidated`, `bypass`, `dynamic`, ...",
  ),
);
export const contentType = asIs(
  dimension(
    "cloudflare.content_type",
    "keyword",
    "Cloudflare's short name of the response's content type (`html`, `javascript`, `png`, `json`, `empty`, ...), not a MIME type.",
  ),
);

/** A text dimension whose empty value means "none": stored only when there is one (the key keeps the empty value). */
function unlessEmpty(field: FieldDecl): StoredDimension {
  return { fields: [field], reads: "text", store: (value) => (value === "" ? {} : { [field.name]: value }) };
}

export const botDecision = unlessEmpty(
  dimension(
    "cloudflare.bot.management_decision",
    "keyword",
    "Bot Management's decision on the request (`likely_human`, `likely_automated`, `verified_bot`, ...); needs Bot Management.",
  ),
);
export const verifiedBotCategory = unlessEmpty(
  dimension(
    "cloudflare.bot.verified_category",
    "keyword",
    "Category of a verified bot (`Search Engine Crawler`, `Monitoring & Analytics`, ...); absent for requests of no verified bot.",
  ),
);
export const bucket = asIs(dimension("cloudflare.r2.bucket", "keyword", "R2 bucket (jurisdictional buckets are named `eu_<name>`)."));

// ---------------------------------------------------------------- metrics several datasets share

export const requests = metric(
  "cloudflare.requests",
  "long",
  "sum",
  "Requests: on `total` all of the unit's, on an entry that entry's (on sampled datasets Cloudflare's estimate).",
);
export const bytes = metric(
  "cloudflare.bytes",
  "long",
  "sum",
  "Bytes: sent to clients (HTTP datasets), sent in responses (R2 operations), uploaded uncompressed (Logpush).",
);
export const visits = metric("cloudflare.visits", "long", "sum", "Visits: page views that came from another site or directly.");
export const events = metric("cloudflare.events", "long", "sum", "Events (Cloudflare's estimate from the sample).");
export const pageViews = metric("cloudflare.page_views", "long", "sum", "Successful HTML responses.");
export const cachedRequests = metric("cloudflare.cached_requests", "long", "sum", "Requests served from Cloudflare's cache.");
export const cachedBytes = metric("cloudflare.cached_bytes", "long", "sum", "Bytes served from Cloudflare's cache.");

/** P50, P95 and P99 of a per-request time, as `<prefix>_p50_ms` ...: not additive, merged count-weighted. */
function msQuantiles(prefix: string, what: string, absent: string): Record<"P50" | "P95" | "P99", MetricDecl> {
  const one = (q: "P50" | "P95" | "P99"): MetricDecl =>
    metric(`${prefix}_${q.toLowerCase()}_ms`, "double", "none", `${q} of ${what} in ms for the entry; not additive. ${absent}`);
  return { P50: one("P50"), P95: one("P95"), P99: one("P99") };
}

/** The origin's response time (`originResponseDurationMs`), which Cloudflare offers from Pro up. */
export const originDuration = msQuantiles("cloudflare.origin.duration", "the origin's response time", "Absent where the plan does not offer it (Free).");
export const originDurationAvg = metric(
  "cloudflare.origin.duration_avg_ms",
  "double",
  "none",
  "Mean origin response time in ms for the entry; not additive. Absent where the plan does not offer it (Free).",
);

/** Time to first byte at Cloudflare's edge (`edgeTimeToFirstByteMs`): what clients wait for, cached or not (Pro and up). */
export const edgeTtfb = msQuantiles("cloudflare.edge.ttfb", "the time to first byte at the edge", "Pro plans and up.");
export const edgeTtfbAvg = metric(
  "cloudflare.edge.ttfb_avg_ms",
  "double",
  "none",
  "Mean time to first byte at the edge in ms for the entry; not additive. Pro plans and up.",
);
