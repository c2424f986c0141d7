/**
 * Time filters of the rollup datasets (`datetime_geq`, `datetimeHour_in`, `date_lt`, `AND`, `OR`, ...), evaluated the
 * way Cloudflare documents them: a row's time dimension is its start floored to the field's granularity, and
 * `<field>_<op>` compares that value. Pure functions; the resolver builds rows with them.
 */

import { CloudflareError } from "./errors.js";

/** A filter input object as graphql-js hands it to a resolver (values are the Time/Date strings of the request). */
export type TimeFilter = Readonly<Record<string, unknown>>;

/** Granularity in ms of each time field a dataset knows, e.g. `{ datetime: 60_000, datetimeHour: 3_600_000 }`. */
export type FieldUnits = Readonly<Record<string, number>>;

const OPERATORS = new Set(["geq", "gt", "leq", "lt", "in", "notin", "neq"]);

interface Condition {
  unit: number;
  op: string; // "eq" or one of OPERATORS
  value: number | number[];
}

/** A filter with its values parsed once, so testing thousands of rows costs no parsing. */
export interface CompiledFilter {
  readonly conditions: readonly Condition[];
  readonly and: readonly CompiledFilter[];
  readonly or: readonly CompiledFilter[];
}

export function compileFilter(filter: TimeFilter, units: FieldUnits): CompiledFilter {
  const conditions: Condition[] = [];
  let and: CompiledFilter[] = [];
  let or: CompiledFilter[] = [];
  for (const [key, raw] of Object.entries(filter)) {
    if (key === "AND") and = ((raw ?? []) as TimeFilter[]).map((f) => compileFilter(f, units));
    else if (key === "OR") or = ((raw ?? []) as TimeFilter[]).map((f) => compileFilter(f, units));
    else {
      const c = conditionOf(key, raw, units);
      if (c) conditions.push(c);
    }
  }
  return { conditions, and, or };
}

/** Splits `datetimeHour_geq` into its field's unit, the operator and the parsed value(s). */
function conditionOf(key: string, raw: unknown, units: FieldUnits): Condition | undefined {
  const cut = key.lastIndexOf("_");
  const suffix = cut > 0 ? key.slice(cut + 1) : "";
  const [field, op] = OPERATORS.has(suffix) ? [key.slice(0, cut), suffix] : [key, "eq"];
  const unit = units[field];
  if (unit === undefined || raw === null || raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.map((v) => timeOf(v, key)) : timeOf(raw, key);
  return { unit, op, value };
}

/** Epoch ms of a Time ("2026-01-01T10:00:00Z") or Date ("2026-01-01", midnight UTC) value. */
export function timeOf(value: unknown, argument: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  // Reached only when a variable was declared with a non-Cloudflare type (e.g. String) that skipped Time parsing.
  if (Number.isNaN(ms)) throw new CloudflareError(`error parsing args: invalid time ${JSON.stringify(value)} for ${argument}`, "parse");
  return ms;
}

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number): number => Math.ceil(t / unit) * unit;

function holds(c: Condition, rowStart: number): boolean {
  const v = floorTo(rowStart, c.unit);
  const x = c.value;
  switch (c.op) {
    case "eq": return v === x;
    case "neq": return v !== x;
    case "gt": return v > (x as number);
    case "geq": return v >= (x as number);
    case "lt": return v < (x as number);
    case "leq": return v <= (x as number);
    case "in": return (x as number[]).includes(v);
    default: return !(x as number[]).includes(v); // notin
  }
}

/** Whether the row starting at `rowStart` passes the filter (all conditions hold; AND/OR combine sub-filters). */
export function matches(filter: CompiledFilter, rowStart: number): boolean {
  for (const c of filter.conditions) if (!holds(c, rowStart)) return false;
  for (const f of filter.and) if (!matches(f, rowStart)) return false;
  return filter.or.length === 0 || filter.or.some((f) => matches(f, rowStart));
}

/** Half-open range of row start times that can pass the filter, for enumerating candidates. Infinite when open. */
export function rowBounds(filter: CompiledFilter): { lo: number; hi: number } {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  const narrow = (l: number, h: number): void => {
    lo = Math.max(lo, l);
    hi = Math.min(hi, h);
  };
  for (const f of filter.and) {
    const b = rowBounds(f);
    narrow(b.lo, b.hi);
  }
  if (filter.or.length > 0) {
    const parts = filter.or.map((f) => rowBounds(f));
    narrow(Math.min(...parts.map((b) => b.lo)), Math.max(...parts.map((b) => b.hi)));
  }
  for (const { unit: u, op, value: v } of filter.conditions) {
    if (op === "eq") narrow(v as number, (v as number) + u);
    else if (op === "geq") narrow(ceilTo(v as number, u), hi);
    else if (op === "gt") narrow(floorTo(v as number, u) + u, hi);
    else if (op === "lt") narrow(lo, ceilTo(v as number, u));
    else if (op === "leq") narrow(lo, floorTo(v as number, u) + u);
    else if (op === "in" && (v as number[]).length > 0) narrow(Math.min(...(v as number[])), Math.max(...(v as number[])) + u);
    else if (op === "in") narrow(0, 0); // an empty list matches nothing
  }
  return { lo, hi };
}

/**
 * The time range the request asks for, from the raw filter values, as Cloudflare checks it against `maxDuration` and
 * `notOlderThan`: `from` is the earliest start asked for (undefined = unbounded), `to` the end (undefined = open).
 * `_lt`/`_leq` bound at their value, an equality or `_in` covers its whole unit.
 */
export function requestedRange(filter: CompiledFilter): { from: number | undefined; to: number | undefined } {
  let from: number | undefined;
  let to: number | undefined;
  const narrow = (f: number | undefined, t: number | undefined): void => {
    if (f !== undefined) from = from === undefined ? f : Math.max(from, f);
    if (t !== undefined) to = to === undefined ? t : Math.min(to, t);
  };
  for (const f of filter.and) {
    const r = requestedRange(f);
    narrow(r.from, r.to);
  }
  if (filter.or.length > 0) {
    const parts = filter.or.map((f) => requestedRange(f));
    const froms = parts.map((r) => r.from);
    const tos = parts.map((r) => r.to);
    narrow(froms.includes(undefined) ? undefined : Math.min(...(froms as number[])),
      tos.includes(undefined) ? undefined : Math.max(...(tos as number[])));
  }
  for (const { unit, op, value: v } of filter.conditions) {
    if (op === "eq") narrow(v as number, (v as number) + unit);
    else if (op === "geq" || op === "gt") narrow(v as number, undefined);
    else if (op === "lt" || op === "leq") narrow(undefined, v as number);
    else if (op === "in" && (v as number[]).length > 0) {
      narrow(Math.min(...(v as number[])), Math.max(...(v as number[])) + unit);
    }
  }
  return { from, to };
}
