/**
 * Rows of the rollup datasets: candidate minutes (or hours) in the filter's window, grouped by the time dimensions
 * the query selects, ordered and cut at `limit` like Cloudflare does.
 */

import { Kind, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import { matches, rowBounds, type CompiledFilter, type FieldUnits } from "./filters.js";
import type { RollupName, SimulatorConfig } from "./options.js";
import { shapeTraffic } from "./shapes.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, TrafficAccumulator, daySettled, settledDay, type TrafficData } from "./traffic.js";

interface DatasetShape {
  /** The rollup's row length. */
  unit: number;
  /** Each time field (filter and dimension) and its granularity. */
  units: FieldUnits;
}

export const SHAPES: Readonly<Record<RollupName, DatasetShape>> = {
  httpRequests1mGroups: {
    unit: MINUTE_MS,
    units: {
      date: DAY_MS,
      datetime: MINUTE_MS,
      datetimeMinute: MINUTE_MS,
      datetimeFiveMinutes: 5 * MINUTE_MS,
      datetimeFifteenMinutes: 15 * MINUTE_MS,
      datetimeHalfOfHour: 30 * MINUTE_MS,
      datetimeHour: HOUR_MS,
      datetimeDay: DAY_MS,
    },
  },
  httpRequests1hGroups: { unit: HOUR_MS, units: { date: DAY_MS, datetime: HOUR_MS } },
  httpRequests1dGroups: { unit: DAY_MS, units: { date: DAY_MS } },
};

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit;
const isoTime = (t: number): string => new Date(t).toISOString().replace(".000Z", "Z");

/** A row's `dimensions`: computed only for the fields the query selects (graphql-js reads them as properties). */
class Dimensions {
  constructor(
    private readonly start: number,
    private readonly units: FieldUnits,
  ) {}
  private at(field: string): string {
    return isoTime(floorTo(this.start, this.units[field]!));
  }
  get date(): string {
    return this.at("date").slice(0, 10);
  }
  get datetime(): string {
    return this.at("datetime");
  }
  get datetimeMinute(): string {
    return this.at("datetimeMinute");
  }
  get datetimeFiveMinutes(): string {
    return this.at("datetimeFiveMinutes");
  }
  get datetimeFifteenMinutes(): string {
    return this.at("datetimeFifteenMinutes");
  }
  get datetimeHalfOfHour(): string {
    return this.at("datetimeHalfOfHour");
  }
  get datetimeHour(): string {
    return this.at("datetimeHour");
  }
  get datetimeDay(): string {
    return this.at("datetimeDay");
  }
}

export interface GroupRow extends TrafficData {
  /** Start of the group (not a GraphQL field; used for ordering). */
  start: number;
  dimensions: Dimensions;
}

export interface RowQuery {
  dataset: RollupName;
  zoneTag: string;
  filter: CompiledFilter;
  limit: number;
  orderBy: readonly string[];
  /** The selected `dimensions` fields: rows are grouped by them; none selected gives one total row. */
  groupBy: readonly string[];
  now: number;
  lateMinutes: number;
  /** No row starts before this (the dataset's notOlderThan, already checked against the request). */
  earliest: number;
  /** The answer-shape switches that change rollup maps (shapes.ts); absent: the model's maps. */
  shapes?: Pick<SimulatorConfig, "repeatedMapNames" | "partialMaps">;
}

export function buildRows(q: RowQuery): GroupRow[] {
  const { unit, units } = SHAPES[q.dataset];
  const granularity = Math.min(...q.groupBy.map((f) => units[f] ?? Number.POSITIVE_INFINITY));
  const bounds = rowBounds(q.filter);
  const first = Math.ceil(Math.max(bounds.lo, q.earliest) / unit) * unit;
  const end = Math.min(bounds.hi, q.now); // nothing has happened after now

  const acc = new TrafficAccumulator();
  const rows: GroupRow[] = [];
  let groupKey = Number.NaN;
  let groupStart = 0;
  // A row's place seeds its shapes: a 1m query grouped by hour gets the same hour row as httpRequests1hGroups.
  const span = granularity === Number.POSITIVE_INFINITY ? 0 : granularity;
  const flush = (): void => {
    let data = acc.take();
    if (data && q.shapes) data = shapeTraffic(data, { zoneTag: q.zoneTag, start: groupStart, span }, q.shapes);
    if (data) rows.push({ ...data, start: groupStart, dimensions: new Dimensions(groupStart, units) });
  };
  for (let t = first; t < end; t += unit) {
    if (!matches(q.filter, t)) continue;
    const key = granularity === Number.POSITIVE_INFINITY ? 0 : floorTo(t, granularity);
    if (key !== groupKey) {
      if (!Number.isNaN(groupKey)) flush();
      groupKey = key;
      groupStart = granularity === Number.POSITIVE_INFINITY ? t : key;
    }
    if (unit === DAY_MS && daySettled(t, q.now, q.lateMinutes)) acc.merge(settledDay(q.zoneTag, t));
    else for (let m = t; m < t + unit; m += MINUTE_MS) acc.addMinute(q.zoneTag, m, q.now, q.lateMinutes);
  }
  if (!Number.isNaN(groupKey)) flush();

  // Rows come out in time order, which is the default order (by the group-by fields). Cloudflare appends the
  // group-by fields to any order given, so time stays the last tie-breaker.
  if (q.orderBy.length > 0) {
    const keys = q.orderBy.map((o) => orderKey(o, units));
    rows.sort((a, b) => {
      for (const k of keys) {
        const d = k.value(a) - k.value(b);
        if (d !== 0) return k.descending ? -d : d;
      }
      return a.start - b.start;
    });
  }
  return rows.length > q.limit ? rows.slice(0, q.limit) : rows;
}

/** `sum_requests_DESC` → a numeric key of a row; `datetimeHour_ASC` → the row's start floored to the hour. */
function orderKey(value: string, units: FieldUnits): { value: (row: GroupRow) => number; descending: boolean } {
  const cut = value.lastIndexOf("_");
  const path = value.slice(0, cut);
  const descending = value.slice(cut + 1) === "DESC";
  const dot = path.indexOf("_");
  const group = dot > 0 ? path.slice(0, dot) : "";
  const field = path.slice(dot + 1);
  if (group === "sum" || group === "uniq" || group === "avg") {
    return { value: (row) => (row[group] as unknown as Record<string, number>)[field] ?? 0, descending };
  }
  const u = units[path] ?? MINUTE_MS;
  return { value: (row) => floorTo(row.start, u), descending };
}

/** The fields of a selection set, looking through inline fragments and fragment spreads. */
export function fieldsOf(set: SelectionSetNode | undefined, fragments: Readonly<Record<string, FragmentDefinitionNode>>, out: FieldNode[] = []): FieldNode[] {
  for (const s of set?.selections ?? []) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) fieldsOf(s.selectionSet, fragments, out);
    else fieldsOf(fragments[s.name.value]?.selectionSet, fragments, out);
  }
  return out;
}
