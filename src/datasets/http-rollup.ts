/**
 * Cloudflare's exact HTTP rollups (`httpRequests1mGroups`, `...1hGroups`, `...1dGroups`; not sampled) share one
 * shape: per zone and unit (minute, hour, day) the totals, `uniq.uniques` and eight maps. We store one `total`
 * document and one document per map entry. The three dataset modules differ only in node, unit and time field.
 */
import type { BreakdownCheck, Dataset, Flattened, Owner, Rollup, Window } from "./dataset.js";
import { documentId, type ExportDocument, type FieldValue } from "./document.js";
import type { FieldDecl } from "./fields.js";
import { ownerFields, scopedQuery } from "./query.js";
import { asArray, asCount, asObject, asText, asUnitStart, MalformedResponseError } from "./shape.js";

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

const metric = (name: string, description: string): FieldDecl => ({ name: `cloudflare.${name}`, type: "long", description });

const fields: readonly FieldDecl[] = [
  metric("requests", "Requests. On `total`: all requests of the minute; on a breakdown entry: that entry's requests."),
  metric("bytes", "Bytes sent to clients (`total`, `country`, `content_type`)."),
  metric("cached_requests", "Requests served from Cloudflare's cache (`total`)."),
  metric("cached_bytes", "Bytes served from Cloudflare's cache (`total`)."),
  metric("encrypted_requests", "Requests over TLS (`total`)."),
  metric("encrypted_bytes", "Bytes sent over TLS (`total`)."),
  metric("page_views", "Successful HTML responses (`total`, `browser`)."),
  metric("uniques", "Unique client IPs in the minute, hour or day (`total`). Not additive: a sum over several units over-counts."),
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
  metrics: Object.values(m.metrics).map(([entry, total]) => ({ entry: `cloudflare.${entry}`, total: `cloudflare.${total}` })),
}));

export interface RollupSpec {
  readonly name: string;
  readonly node: string;
  /** Minute, hour or day, in ms. */
  readonly unit: number;
  /** The dimension and filter field holding the unit start: `datetime` (minute, hour) or `date` (day). */
  readonly timeField: "datetime" | "date";
  readonly description: string;
  /** Cloudflare's next coarser rollup, which `verify` compares with. */
  readonly rollup?: Rollup;
}

/** The query for up to 10 zones: one row per zone and unit, with every sum and map (30 fields, Cloudflare's cap). */
function rollupQuery(spec: RollupSpec): string {
  const selection = `${spec.node}(limit: $limit, filter: { ${spec.timeField}_geq: $from, ${spec.timeField}_lt: $to }, orderBy: [${spec.timeField}_ASC]) {
        dimensions { ${spec.timeField} }
        uniq { uniques }
        sum {
          ${Object.keys(totalMetrics).join(" ")}
          ${maps.map((m) => `${m.map} { ${[m.key, ...Object.keys(m.metrics)].join(" ")} }`).join("\n          ")}
        }
      }`;
  const op = spec.node[0]!.toUpperCase() + spec.node.slice(1);
  return scopedQuery("zone", op, spec.timeField === "date" ? "Date" : "Time", selection);
}

export function httpRollupDataset(spec: RollupSpec): Dataset {
  const { name, node, unit, timeField } = spec;
  const query = rollupQuery(spec);

  function rowsOf(zoneObject: unknown): readonly unknown[] {
    return asArray(asObject(zoneObject, "zone")[node], `zone.${node}`);
  }

  function flatten(rows: readonly unknown[], zone: Owner, window: Window): Flattened {
    const byUnit = new Map<number, Record<string, unknown>>();
    for (const row of rows) {
      const r = asObject(row, node);
      const start = asUnitStart(asObject(r.dimensions, `${node}.dimensions`)[timeField], unit, `${node}.dimensions.${timeField}`);
      if (start < window.from || start >= window.to) {
        throw new MalformedResponseError(`${node}: row for ${new Date(start).toISOString()} is outside the window asked for`);
      }
      if (byUnit.has(start)) throw new MalformedResponseError(`${node}: two rows for ${new Date(start).toISOString()}`);
      // Checked now, so a bad number fails the window before anything is written.
      asObject(r.sum, `${node}.sum`);
      asObject(r.uniq, `${node}.uniq`);
      byUnit.set(start, r);
    }
    return {
      entries: {
        *[Symbol.iterator]() {
          for (const [start, row] of byUnit) yield* entryDocuments(row, zone, start);
        },
      },
      totals: {
        *[Symbol.iterator]() {
          for (let start = window.from; start < window.to; start += unit) {
            const row = byUnit.get(start);
            yield row ? totalDocument(row, zone, start) : zeroTotal(zone, start);
          }
        },
      },
    };
  }

  function base(zone: Owner, start: number, breakdown: string): Record<string, FieldValue> {
    return { "@timestamp": new Date(start).toISOString(), "cloudflare.dataset": name, ...ownerFields(zone), "cloudflare.breakdown": breakdown };
  }

  function doc(zone: Owner, start: number, breakdown: string, key: string, fields: Record<string, FieldValue>): ExportDocument {
    return { id: documentId([name, zone.id, new Date(start).toISOString().slice(0, 16), breakdown, key]), dataset: name, timestamp: start, fields };
  }

  /** "Fetched, no traffic" is a fact worth storing: it keeps the series dense and tells it from "never fetched". */
  function zeroTotal(zone: Owner, start: number): ExportDocument {
    const fields = base(zone, start, "total");
    for (const metric of [...Object.values(totalMetrics), "uniques"]) fields[`cloudflare.${metric}`] = 0;
    return doc(zone, start, "total", "", fields);
  }

  function totalDocument(row: Record<string, unknown>, zone: Owner, start: number): ExportDocument {
    const sum = asObject(row.sum, `${node}.sum`);
    const total = base(zone, start, "total");
    for (const [cf, ours] of Object.entries(totalMetrics)) total[`cloudflare.${ours}`] = asCount(sum[cf], `${node}.sum.${cf}`);
    total["cloudflare.uniques"] = asCount(asObject(row.uniq, `${node}.uniq`).uniques, `${node}.uniq.uniques`);
    return doc(zone, start, "total", "", total);
  }

  function* entryDocuments(row: Record<string, unknown>, zone: Owner, start: number): Generator<ExportDocument> {
    const sum = asObject(row.sum, `${node}.sum`);
    for (const m of maps) {
      for (const item of asArray(sum[m.map], `${node}.sum.${m.map}`)) {
        const e = asObject(item, `${node}.sum.${m.map}[]`);
        const key = asText(typeof e[m.key] === "number" ? String(e[m.key]) : e[m.key], `${node}.sum.${m.map}[].${m.key}`);
        const fields = base(zone, start, m.breakdown);
        fields["cloudflare.key"] = key;
        if (m.breakdown === "status") fields["http.response.status_code"] = asCount(e[m.key], `${m.map}[].${m.key}`);
        for (const [cf, [ours]] of Object.entries(m.metrics)) fields[`cloudflare.${ours}`] = asCount(e[cf], `${node}.sum.${m.map}[].${cf}`);
        yield doc(zone, start, m.breakdown, key, fields);
      }
    }
  }

  return {
    name,
    node,
    scope: "zone",
    unit,
    sampled: false,
    description: spec.description,
    fields,
    breakdownChecks,
    ...(spec.rollup ? { rollup: spec.rollup } : {}),
    rowsPerUnit: 1,
    optionalFields: [],
    requiredFields: [],
    timeType: timeField === "date" ? "Date" : "Time",
    query: () => query,
    rowsOf,
    flatten,
  };
}

/**
 * Cloudflare's coarser rollup as `verify` reads it: the same sums per hour or day (`uniques` are left out because
 * they do not add up).
 */
export function coarserRollup(node: string, unit: number, timeField: "datetime" | "date"): Rollup {
  const rolledUp = Object.entries(totalMetrics);
  const timeType = timeField === "date" ? "Date" : "Time";
  return {
    node,
    unit,
    timeType,
    metrics: rolledUp.map(([, ours]) => ours),
    query: `query Verify${node}($zoneTag: string, $from: ${timeType}!, $to: ${timeType}!, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag: $zoneTag }, limit: 1) {
      zoneTag
      ${node}(limit: $limit, filter: { ${timeField}_geq: $from, ${timeField}_lt: $to }, orderBy: [${timeField}_ASC]) {
        dimensions { ${timeField} }
        sum { ${rolledUp.map(([cf]) => cf).join(" ")} }
      }
    }
  }
}`,
    rows(zoneObject: unknown): Map<number, Record<string, number>> {
      const result = new Map<number, Record<string, number>>();
      for (const row of asArray(asObject(zoneObject, "zone")[node], `zone.${node}`)) {
        const r = asObject(row, node);
        const start = asUnitStart(asObject(r.dimensions, `${node}.dimensions`)[timeField], unit, `${node}.dimensions.${timeField}`);
        const sum = asObject(r.sum, `${node}.sum`);
        result.set(start, Object.fromEntries(rolledUp.map(([cf, ours]) => [ours, asCount(sum[cf], `${node}.sum.${cf}`)])));
      }
      return result;
    },
  };
}
