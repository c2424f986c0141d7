/**
 * Fields more than one dataset writes, declared once, and the stored form of Cloudflare's dimensions.
 *
 * Where ECS has a field for a dimension, the dimension is stored under it; where Cloudflare's value does not fit what
 * ECS expects, it is converted (TLS and HTTP versions) or, where it cannot be, stored under `cloudflare.*` instead
 * (Cloudflare's non-country codes). A value that contradicts ECS is never stored under an ECS name. The entry's
 * `cloudflare.key` always keeps Cloudflare's value as given.
 */
import type { FieldValue } from "./document.js";
import { dimension, metric, type FieldDecl } from "./fields.js";

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

// ---------------------------------------------------------------- Cloudflare-only dimensions several datasets share

export const colo = asIs(dimension("cloudflare.colo", "keyword", "Cloudflare data centre (IATA code, e.g. `FRA`)."));
export const region = asIs(dimension("cloudflare.region", "keyword", "Cloudflare region the check or request ran from (e.g. `WEU`, `ENAM`)."));
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
