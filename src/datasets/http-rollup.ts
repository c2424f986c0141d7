/**
 * Cloudflare's exact HTTP rollups (`httpRequests1mGroups`, `...1hGroups`, `...1dGroups`; not sampled) share one
 * shape: per zone and unit (minute, hour, day) the totals, `uniq.uniques` and eight maps. We store one `total`
 * document and one document per map entry. The three dataset modules differ only in node, unit and time field.
 */
import type { BreakdownCheck, Dataset, FlattenOptions, Flattened, Owner, Rollup, Window } from "./dataset.js";
import { documentId, type ExportDocument, type FieldValue } from "./document.js";
import { ecsFields, type FieldDecl, metric, UNATTRIBUTED } from "./fields.js";
import {
  browser,
  bytes,
  cachedBytes,
  cachedRequests,
  country,
  edgeStatus,
  httpVersion,
  pageViews,
  requests,
  sslProtocol,
  type StoredDimension,
} from "./shared-fields.js";
import { ownerFields, scopedQuery } from "./query.js";
import { asArray, asCount, asObject, asText, asUnitStart, MalformedResponseError } from "./shape.js";
import { unitName } from "../time.js";

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
  /** The ECS (or other) fields an entry's key is also stored as, beside `cloudflare.key`. */
  readonly stored?: StoredDimension;
}

const maps: readonly MapSpec[] = [
  {
    map: "countryMap",
    breakdown: "country",
    key: "clientCountryName",
    stored: country,
    metrics: { requests: ["requests", "requests"], bytes: ["bytes", "bytes"], threats: ["threats", "threats"] },
  },
  { map: "responseStatusMap", breakdown: "status", key: "edgeResponseStatus", metrics: { requests: ["requests", "requests"] } },
  {
    map: "contentTypeMap",
    breakdown: "content_type",
    key: "edgeResponseContentTypeName",
    metrics: { requests: ["requests", "requests"], bytes: ["bytes", "bytes"] },
  },
  { map: "browserMap", breakdown: "browser", key: "uaBrowserFamily", metrics: { pageViews: ["page_views", "page_views"] }, stored: browser },
  { map: "clientSSLMap", breakdown: "ssl_protocol", key: "clientSSLProtocol", metrics: { requests: ["requests", "requests"] }, stored: sslProtocol },
  {
    map: "clientHTTPVersionMap",
    breakdown: "http_protocol",
    key: "clientHTTPProtocol",
    metrics: { requests: ["requests", "requests"] },
    stored: httpVersion,
  },
  { map: "ipClassMap", breakdown: "ip_class", key: "ipType", metrics: { requests: ["requests", "requests"] } },
  // Threat pathing entries count threatened requests, so they add up to the minute's `threats`.
  { map: "threatPathingMap", breakdown: "threat_pathing", key: "threatPathingName", metrics: { requests: ["requests", "threats"] } },
];

/**
 * `sum.threats` and `countryMap.threats` are deprecated in Cloudflare's schema (replaced by the firewall datasets):
 * they are the first to go when a query has to shed fields to fit `maxNumberOfFields`, the entries' figure before the
 * total, so that no entry figure is ever stored without the total it adds up to.
 */
const DEPRECATED = ["sum_countryMap_threats", "sum_threats"];
/**
 * What the query can do without, in the order fields are shed under a field cap (deprecated first): without the
 * threat figures the threat-pathing map cannot be checked against a total, so it follows them; Cloudflare's own
 * exporter never asks for `edgeRequestBytes`.
 */
const OPTIONAL = [...DEPRECATED, "sum_threatPathingMap_threatPathingName", "sum_threatPathingMap_requests", "sum_edgeRequestBytes"];

const own = (name: string, additivity: "sum" | "none", description: string): FieldDecl => metric(`cloudflare.${name}`, "long", additivity, description);

const fields: readonly FieldDecl[] = [
  requests,
  bytes,
  cachedRequests,
  cachedBytes,
  pageViews,
  own("encrypted_requests", "sum", "Requests over TLS."),
  own("encrypted_bytes", "sum", "Bytes sent over TLS."),
  own("uniques", "none", "Unique client IPs in the minute, hour or day (`total`). Not additive: a sum over several units over-counts."),
  own(
    "threats",
    "sum",
    "Requests Cloudflare classed as threats (`total`, `country`). Deprecated by Cloudflare in favour of firewall events; absent when a field cap made the query leave it out.",
  ),
  own("edge_request_bytes", "sum", "Bytes received from clients (`total`); absent when a field cap made the query leave it out."),
  ...edgeStatus.fields,
  ...maps.flatMap((m) => m.stored?.fields ?? []),
];

const breakdownChecks: readonly BreakdownCheck[] = maps.map((m) => ({
  breakdown: m.breakdown,
  metrics: Object.values(m.metrics).map(([entry, total]) => ({ entry: `cloudflare.${entry}`, total: `cloudflare.${total}` })),
}));

export interface RollupSpec<Name extends string = string> {
  readonly name: Name;
  readonly node: string;
  /** Minute, hour or day, in ms. */
  readonly unit: number;
  /** The dimension and filter field holding the unit start: `datetime` (minute, hour) or `date` (day). */
  readonly timeField: "datetime" | "date";
  readonly description: string;
  /** Cloudflare's next coarser rollup, which `verify` compares with. */
  readonly rollup?: Rollup;
}

/** The maps and their metrics a query with `omit` selects; a map without its key field or any metric is left out. */
function selectedMaps(omit: ReadonlySet<string>): { spec: MapSpec; metrics: string[] }[] {
  return maps
    .filter((m) => !omit.has(`sum_${m.map}_${m.key}`))
    .map((spec) => ({ spec, metrics: Object.keys(spec.metrics).filter((cf) => !omit.has(`sum_${spec.map}_${cf}`)) }))
    .filter((m) => m.metrics.length > 0);
}

/** The query for up to 10 zones: one row per zone and unit, with every sum and map the plan and field cap allow. */
function rollupQuery(spec: RollupSpec, omit: ReadonlySet<string>): string {
  const totals = Object.keys(totalMetrics).filter((cf) => !omit.has(`sum_${cf}`));
  const selection = `${spec.node}(limit: $limit, filter: { ${spec.timeField}_geq: $from, ${spec.timeField}_lt: $to }, orderBy: [${spec.timeField}_ASC]) {
        dimensions { ${spec.timeField} }
        uniq { uniques }
        sum {
          ${totals.join(" ")}
          ${selectedMaps(omit)
            .map(({ spec: m, metrics }) => `${m.map} { ${[m.key, ...metrics].join(" ")} }`)
            .join("\n          ")}
        }
      }`;
  const op = spec.node[0]!.toUpperCase() + spec.node.slice(1);
  return scopedQuery("zone", op, spec.timeField === "date" ? "Date" : "Time", selection);
}

/** A figure at `path` (`sum_threats`) the query may have left out: absent stays absent, present must be a count. */
function optionalCount(holder: Record<string, unknown>, field: string, path: string, what: string): number | undefined {
  return holder[field] === undefined && OPTIONAL.includes(path) ? undefined : asCount(holder[field], what);
}

/** One key of a map, its slices summed. */
interface Entry {
  readonly metrics: Record<string, number>;
  /** `responseStatusMap` only: the status as a number. */
  readonly status?: number;
}

interface MapFigures {
  readonly spec: MapSpec;
  readonly entries: Map<string, Entry>;
  /** What the entries leave of the unit's totals, when they do not cover them. */
  readonly rest: Record<string, number> | undefined;
}

/** A unit's totals (our metric names) and its maps. */
interface UnitFigures {
  readonly totals: Record<string, number>;
  readonly breakdowns: readonly MapFigures[];
}

export function httpRollupDataset<const Name extends string>(spec: RollupSpec<Name>): Dataset<Name> {
  const { name, node, unit, timeField } = spec;

  function rowsOf(zoneObject: unknown): readonly unknown[] {
    return asArray(asObject(zoneObject, "zone")[node], `zone.${node}`);
  }

  function rowUnit(row: unknown): number {
    return asUnitStart(asObject(asObject(row, node).dimensions, `${node}.dimensions`)[timeField], unit, `${node}.dimensions.${timeField}`);
  }

  function flatten(rows: readonly unknown[], zone: Owner, window: Window, options: FlattenOptions): Flattened {
    const omit = options.omit ?? new Set<string>();
    const byUnit = new Map<number, UnitFigures>();
    for (const row of rows) {
      const r = asObject(row, node);
      const start = asUnitStart(asObject(r.dimensions, `${node}.dimensions`)[timeField], unit, `${node}.dimensions.${timeField}`);
      if (start < window.from || start >= window.to) {
        throw new MalformedResponseError(`${node}: row for ${new Date(start).toISOString()} is outside the window asked for`);
      }
      // Two totals for one unit cannot be merged (uniques do not add up): the answer is not what we asked for.
      if (byUnit.has(start)) throw new MalformedResponseError(`${node}: two rows for ${new Date(start).toISOString()}`);
      // Read (and so checked) now, so a bad number or a breakdown larger than its total fails the window before
      // anything is written; the documents themselves are built lazily, when the sink iterates.
      byUnit.set(start, read(r, start));
    }
    return {
      entries: {
        *[Symbol.iterator]() {
          for (const [start, figures] of byUnit) yield* entryDocuments(figures, zone, start);
        },
      },
      totals: {
        *[Symbol.iterator]() {
          for (let start = window.from; start < window.to; start += unit) {
            const figures = byUnit.get(start);
            yield figures ? totalDocument(figures, zone, start) : zeroTotal(zone, start, omit);
          }
        },
      },
    };
  }

  /**
   * A unit's figures, checked and merged. Cloudflare can list a name twice in a map with different figures (several
   * MIME types share the short name `js`): those are separate slices of the same key, so they are summed. A map can
   * also cover less than the unit's total (seen for `countryMap`): the difference becomes one `__unattributed__`
   * entry, so every breakdown adds up to its total. A map adding up to more than its total is not a real answer.
   */
  function read(row: Record<string, unknown>, start: number): UnitFigures {
    const sum = asObject(row.sum, `${node}.sum`);
    const totals: Record<string, number> = {};
    for (const [cf, ours] of Object.entries(totalMetrics)) {
      const value = optionalCount(sum, cf, `sum_${cf}`, `${node}.sum.${cf}`);
      if (value !== undefined) totals[ours] = value;
    }
    totals.uniques = asCount(asObject(row.uniq, `${node}.uniq`).uniques, `${node}.uniq.uniques`);
    const breakdowns: MapFigures[] = [];
    for (const m of maps) {
      if (sum[m.map] === undefined && OPTIONAL.includes(`sum_${m.map}_${m.key}`)) continue;
      const entries = new Map<string, Entry>();
      for (const item of asArray(sum[m.map], `${node}.sum.${m.map}`)) {
        const e = asObject(item, `${node}.sum.${m.map}[]`);
        const key = asText(e[m.key], `${node}.sum.${m.map}[].${m.key}`);
        let entry = entries.get(key);
        if (!entry) {
          entry = { metrics: {}, ...(m.breakdown === "status" ? { status: asCount(e[m.key], `${m.map}[].${m.key}`) } : {}) };
          entries.set(key, entry);
        }
        for (const [cf, [ours]] of Object.entries(m.metrics)) {
          const value = optionalCount(e, cf, `sum_${m.map}_${cf}`, `${node}.sum.${m.map}[].${cf}`);
          if (value !== undefined) entry.metrics[ours] = (entry.metrics[ours] ?? 0) + value;
        }
      }
      breakdowns.push({ spec: m, entries, rest: remainder(m, [...entries.values()], totals, start) });
    }
    return { totals, breakdowns };
  }

  /** What a map's entries leave of the unit's totals, per metric; undefined when they add up exactly. */
  function remainder(m: MapSpec, entries: readonly Entry[], totals: Readonly<Record<string, number>>, start: number): Record<string, number> | undefined {
    const rest: Record<string, number> = {};
    let partial = false;
    for (const [ours, of] of Object.values(m.metrics)) {
      const whole = totals[of];
      // A metric the query left out (or its total) cannot be checked, and is not stored on the remainder either.
      if (whole === undefined || entries.some((e) => e.metrics[ours] === undefined)) continue;
      const covered = entries.reduce((n, e) => n + e.metrics[ours]!, 0);
      if (covered > whole) {
        throw new MalformedResponseError(
          `${node}.sum.${m.map} at ${new Date(start).toISOString()} adds up to ${covered} ${of}, more than the ${unitName(unit)}'s ${whole}`,
        );
      }
      rest[ours] = whole - covered;
      if (covered < whole) partial = true;
    }
    return partial ? rest : undefined;
  }

  function base(zone: Owner, start: number, breakdown: string): Record<string, FieldValue> {
    return {
      "@timestamp": new Date(start).toISOString(),
      "cloudflare.dataset": name,
      ...ownerFields(zone),
      "cloudflare.breakdown": breakdown,
      ...ecsFields(name),
    };
  }

  function doc(zone: Owner, start: number, breakdown: string, key: string, fields: Record<string, FieldValue>): ExportDocument {
    const minute = (fields["@timestamp"] as string).slice(0, 16);
    return { id: documentId([name, zone.id, minute, breakdown, key]), dataset: name, timestamp: start, fields };
  }

  /** "Fetched, no traffic" is a fact worth storing: it keeps the series dense and tells it from "never fetched". */
  function zeroTotal(zone: Owner, start: number, omit: ReadonlySet<string>): ExportDocument {
    const fields = base(zone, start, "total");
    for (const [cf, ours] of Object.entries(totalMetrics)) if (!omit.has(`sum_${cf}`)) fields[`cloudflare.${ours}`] = 0;
    fields["cloudflare.uniques"] = 0;
    return doc(zone, start, "total", "", fields);
  }

  function totalDocument(figures: UnitFigures, zone: Owner, start: number): ExportDocument {
    const fields = base(zone, start, "total");
    for (const [metric, value] of Object.entries(figures.totals)) fields[`cloudflare.${metric}`] = value;
    return doc(zone, start, "total", "", fields);
  }

  /** One document per distinct key of each map, and the `__unattributed__` rest of a partial one. */
  function* entryDocuments(figures: UnitFigures, zone: Owner, start: number): Generator<ExportDocument> {
    for (const { spec: m, entries, rest } of figures.breakdowns) {
      // The fields every entry of this map shares, built once and copied: a busy minute has hundreds of entries.
      const head = base(zone, start, m.breakdown);
      for (const [key, entry] of entries) {
        const fields = { ...head };
        fields["cloudflare.key"] = key;
        if (entry.status !== undefined) Object.assign(fields, edgeStatus.store(entry.status));
        if (m.stored) Object.assign(fields, m.stored.store(key));
        for (const [metric, value] of Object.entries(entry.metrics)) fields[`cloudflare.${metric}`] = value;
        yield doc(zone, start, m.breakdown, key, fields);
      }
      if (rest) {
        const fields = { ...head };
        fields["cloudflare.key"] = UNATTRIBUTED;
        for (const [metric, value] of Object.entries(rest)) fields[`cloudflare.${metric}`] = value;
        yield doc(zone, start, m.breakdown, UNATTRIBUTED, fields);
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
    optionalFields: OPTIONAL,
    deprecatedFields: DEPRECATED,
    requiredFields: [],
    timeType: timeField === "date" ? "Date" : "Time",
    query: (omit) => rollupQuery(spec, omit),
    rowsOf,
    rowUnit,
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
