/**
 * `httpRequests1mGroups`: Cloudflare's exact per-minute HTTP rollup (not sampled). Per zone and minute it gives the
 * totals, `uniq.uniques` and eight maps; we store one `total` document and one document per map entry.
 */
import type { Zone } from "../config/types.js";
import type { BreakdownCheck, Flattened, Rollup, Window, ZoneDataset } from "./dataset.js";
import { documentId, type ExportDocument, type FieldValue } from "./document.js";
import type { FieldDecl } from "./fields.js";
import { asArray, asCount, asMinute, asObject, asText, MalformedResponseError } from "./shape.js";

const NAME = "http_requests";
const NODE = "httpRequests1mGroups";

/** Cloudflare `sum` scalar -> our metric name (stored as `cloudflare.<metric>`). */
const totalMetrics = {
  requests: "requests",
  bytes: "bytes",
  cachedRequests: "cached_requests",
  cachedBytes: "cached_bytes",
  encryptedRequests: "encrypted_requests",
  encryptedBytes: "encrypted_bytes",
  pageViews: "page_views",
  threats: "threats",
  edgeRequestBytes: "edge_request_bytes",
} as const;

interface MapSpec {
  /** Cloudflare's map field under `sum`. */
  readonly map: string;
  /** Our `cloudflare.breakdown` value. */
  readonly breakdown: string;
  /** The element field that names the entry (stored as `cloudflare.key`). */
  readonly key: string;
  /** Element metric -> [our metric name, the total metric it adds up to]. */
  readonly metrics: Readonly<Record<string, readonly [string, string]>>;
}

const maps: readonly MapSpec[] = [
  {
    map: "countryMap",
    breakdown: "country",
    key: "clientCountryName",
    metrics: { requests: ["requests", "requests"], bytes: ["bytes", "bytes"], threats: ["threats", "threats"] },
  },
  { map: "responseStatusMap", breakdown: "status", key: "edgeResponseStatus", metrics: { requests: ["requests", "requests"] } },
  {
    map: "contentTypeMap",
    breakdown: "content_type",
    key: "edgeResponseContentTypeName",
    metrics: { requests: ["requests", "requests"], bytes: ["bytes", "bytes"] },
  },
  { map: "browserMap", breakdown: "browser", key: "uaBrowserFamily", metrics: { pageViews: ["page_views", "page_views"] } },
  { map: "clientSSLMap", breakdown: "ssl_protocol", key: "clientSSLProtocol", metrics: { requests: ["requests", "requests"] } },
  { map: "clientHTTPVersionMap", breakdown: "http_protocol", key: "clientHTTPProtocol", metrics: { requests: ["requests", "requests"] } },
  { map: "ipClassMap", breakdown: "ip_class", key: "ipType", metrics: { requests: ["requests", "requests"] } },
  // Threat pathing entries count threatened requests, so they add up to the minute's `threats`.
  { map: "threatPathingMap", breakdown: "threat_pathing", key: "threatPathingName", metrics: { requests: ["requests", "threats"] } },
];

const query = `query HttpRequests1m($zoneTags: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag_in: $zoneTags }, limit: 10) {
      zoneTag
      ${NODE}(limit: $limit, filter: { datetime_geq: $from, datetime_lt: $to }, orderBy: [datetime_ASC]) {
        dimensions { datetime }
        uniq { uniques }
        sum {
          ${Object.keys(totalMetrics).join(" ")}
          ${maps.map((m) => `${m.map} { ${[m.key, ...Object.keys(m.metrics)].join(" ")} }`).join("\n          ")}
        }
      }
    }
  }
}`;

const metric = (name: string, description: string): FieldDecl => ({ name: `cloudflare.${name}`, type: "long", description });

const fields: readonly FieldDecl[] = [
  metric("requests", "Requests. On `total`: all requests of the minute; on a breakdown entry: that entry's requests."),
  metric("bytes", "Bytes sent to clients (`total`, `country`, `content_type`)."),
  metric("cached_requests", "Requests served from Cloudflare's cache (`total`)."),
  metric("cached_bytes", "Bytes served from Cloudflare's cache (`total`)."),
  metric("encrypted_requests", "Requests over TLS (`total`)."),
  metric("encrypted_bytes", "Bytes sent over TLS (`total`)."),
  metric("page_views", "Successful HTML responses (`total`, `browser`)."),
  metric("uniques", "Unique client IPs in the minute (`total`). Not additive: a sum over minutes over-counts."),
  metric("threats", "Requests Cloudflare classed as threats (`total`, `country`). Deprecated by Cloudflare in favour of firewall events."),
  metric("edge_request_bytes", "Bytes received from clients (`total`)."),
  {
    name: "http.response.status_code",
    type: "integer",
    description: "Edge response status on `status` documents, numeric so that ranges such as 500-599 work.",
  },
];

const breakdownChecks: readonly BreakdownCheck[] = maps.map((m) => ({
  breakdown: m.breakdown,
  metrics: Object.values(m.metrics).map(([entry, total]) => ({ entry, total })),
}));

function rowsOf(zoneObject: unknown): readonly unknown[] {
  return asArray(asObject(zoneObject, "zone")[NODE], `zone.${NODE}`);
}

function flatten(rows: readonly unknown[], zone: Zone, window: Window): Flattened {
  const byMinute = new Map<number, Record<string, unknown>>();
  for (const row of rows) {
    const r = asObject(row, NODE);
    const minute = asMinute(asObject(r.dimensions, `${NODE}.dimensions`).datetime, `${NODE}.dimensions.datetime`);
    if (minute < window.from || minute >= window.to) {
      throw new MalformedResponseError(`${NODE}: row for ${new Date(minute).toISOString()} is outside the window asked for`);
    }
    if (byMinute.has(minute)) throw new MalformedResponseError(`${NODE}: two rows for ${new Date(minute).toISOString()}`);
    // Checked now, so a bad number fails the window before anything is written.
    asObject(r.sum, `${NODE}.sum`);
    asObject(r.uniq, `${NODE}.uniq`);
    byMinute.set(minute, r);
  }
  return {
    entries: {
      *[Symbol.iterator]() {
        for (const [minute, row] of byMinute) yield* entryDocuments(row, zone, minute);
      },
    },
    totals: {
      *[Symbol.iterator]() {
        for (let minute = window.from; minute < window.to; minute += 60_000) {
          const row = byMinute.get(minute);
          yield row ? totalDocument(row, zone, minute) : zeroTotal(zone, minute);
        }
      },
    },
  };
}

function base(zone: Zone, minute: number, breakdown: string): Record<string, FieldValue> {
  return {
    "@timestamp": new Date(minute).toISOString(),
    "cloudflare.dataset": NAME,
    "cloudflare.zone.id": zone.id,
    "cloudflare.zone.name": zone.name,
    "cloudflare.breakdown": breakdown,
  };
}

function doc(zone: Zone, minute: number, breakdown: string, key: string, fields: Record<string, FieldValue>): ExportDocument {
  return { id: documentId([NAME, zone.id, new Date(minute).toISOString().slice(0, 16), breakdown, key]), dataset: NAME, timestamp: minute, fields };
}

/** "Fetched, no traffic" is a fact worth storing: it keeps the series dense and tells it from "never fetched". */
function zeroTotal(zone: Zone, minute: number): ExportDocument {
  const fields = base(zone, minute, "total");
  for (const name of [...Object.values(totalMetrics), "uniques"]) fields[`cloudflare.${name}`] = 0;
  return doc(zone, minute, "total", "", fields);
}

function totalDocument(row: Record<string, unknown>, zone: Zone, minute: number): ExportDocument {
  const sum = asObject(row.sum, `${NODE}.sum`);
  const total = base(zone, minute, "total");
  for (const [cf, ours] of Object.entries(totalMetrics)) total[`cloudflare.${ours}`] = asCount(sum[cf], `${NODE}.sum.${cf}`);
  total["cloudflare.uniques"] = asCount(asObject(row.uniq, `${NODE}.uniq`).uniques, `${NODE}.uniq.uniques`);
  return doc(zone, minute, "total", "", total);
}

function* entryDocuments(row: Record<string, unknown>, zone: Zone, minute: number): Generator<ExportDocument> {
  const sum = asObject(row.sum, `${NODE}.sum`);
  for (const spec of maps) {
    for (const entry of asArray(sum[spec.map], `${NODE}.sum.${spec.map}`)) {
      const e = asObject(entry, `${NODE}.sum.${spec.map}[]`);
      const key = asText(e[spec.key], `${NODE}.sum.${spec.map}[].${spec.key}`);
      const fields = base(zone, minute, spec.breakdown);
      fields["cloudflare.key"] = key;
      if (spec.breakdown === "status") fields["http.response.status_code"] = asCount(e[spec.key], `${spec.map}[].${spec.key}`);
      for (const [cf, [ours]] of Object.entries(spec.metrics)) {
        fields[`cloudflare.${ours}`] = asCount(e[cf], `${NODE}.sum.${spec.map}[].${cf}`);
      }
      yield doc(zone, minute, spec.breakdown, key, fields);
    }
  }
}

/** Cloudflare's hourly rollup carries the same sums; `uniques` are left out because they do not add up. */
const rolledUp = Object.entries(totalMetrics);
const HOURLY = "httpRequests1hGroups";
const rollup: Rollup = {
  node: HOURLY,
  metrics: rolledUp.map(([, ours]) => ours),
  query: `query HttpRequests1h($zoneTag: string, $from: Time!, $to: Time!, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag: $zoneTag }, limit: 1) {
      zoneTag
      ${HOURLY}(limit: $limit, filter: { datetime_geq: $from, datetime_lt: $to }, orderBy: [datetime_ASC]) {
        dimensions { datetime }
        sum { ${rolledUp.map(([cf]) => cf).join(" ")} }
      }
    }
  }
}`,
  hours(zoneObject: unknown): Map<number, Record<string, number>> {
    const hours = new Map<number, Record<string, number>>();
    for (const row of asArray(asObject(zoneObject, "zone")[HOURLY], `zone.${HOURLY}`)) {
      const r = asObject(row, HOURLY);
      const hour = asMinute(asObject(r.dimensions, `${HOURLY}.dimensions`).datetime, `${HOURLY}.dimensions.datetime`);
      const sum = asObject(r.sum, `${HOURLY}.sum`);
      hours.set(hour, Object.fromEntries(rolledUp.map(([cf, ours]) => [ours, asCount(sum[cf], `${HOURLY}.sum.${cf}`)])));
    }
    return hours;
  },
};

export const httpRequests: ZoneDataset = { name: NAME, node: NODE, fields, breakdownChecks, rollup, query, rowsOf, flatten };
