/**
 * Dataset filters (`datetime_geq`, `datetimeHour_in`, `date_lt`, `action_in`, `clientRequestHTTPHost_like`, `AND`,
 * `OR`, ...), evaluated the way Cloudflare documents them: a time dimension is the row's (or event's) time floored to
 * the field's granularity, and `<field>_<op>` compares that value; any other `<field>_<op>` compares the dimension's
 * value. Pure functions; the resolvers build rows with them.
 */

import { CloudflareError } from "./errors.js";

/** A filter input object as graphql-js hands it to a resolver (values are the Time/Date strings of the request). */
export type TimeFilter = Readonly<Record<string, unknown>>;

/** Granularity in ms of each time field a dataset knows, e.g. `{ datetime: 60_000, datetimeHour: 3_600_000 }`. */
export type FieldUnits = Readonly<Record<string, number>>;

/** A non-time dimension's value. */
export type DimValue = string | number | readonly string[] | readonly number[];

const OPERATORS = new Set(["geq", "gt", "leq", "lt", "in", "notin", "neq", "like", "notlike", "has", "hasall", "hasany", "isempty", "nothas"]);

interface TimeCondition {
  readonly kind: "time";
  readonly field: string;
  readonly unit: number;
  readonly op: string; // "eq" or one of OPERATORS
  readonly value: number | number[];
}

interface ValueCondition {
  readonly kind: "value";
  readonly field: string;
  readonly test: (value: DimValue) => boolean;
}

type Condition = TimeCondition | ValueCondition;

/** A filter with its values parsed once, so testing thousands of rows costs no parsing. */
export interface CompiledFilter {
  readonly conditions: readonly Condition[];
  readonly and: readonly CompiledFilter[];
  readonly or: readonly CompiledFilter[];
  /** The non-time fields the filter reads, at any depth. */
  readonly fields: ReadonlySet<string>;
}

/**
 * Compiles a filter. Keys on the `units` fields are time conditions. With `values` set, other keys are conditions on
 * that dimension; without it (the rollups, whose filters only know time) they are ignored.
 */
export function compileFilter(filter: TimeFilter, units: FieldUnits, values = false): CompiledFilter {
  const conditions: Condition[] = [];
  let and: CompiledFilter[] = [];
  let or: CompiledFilter[] = [];
  const fields = new Set<string>();
  for (const [key, raw] of Object.entries(filter)) {
    if (key === "AND") and = ((raw ?? []) as TimeFilter[]).map((f) => compileFilter(f, units, values));
    else if (key === "OR") or = ((raw ?? []) as TimeFilter[]).map((f) => compileFilter(f, units, values));
    else {
      const c = conditionOf(key, raw, units, values);
      if (c) conditions.push(c);
      if (c?.kind === "value") fields.add(c.field);
    }
  }
  for (const f of [...and, ...or]) for (const name of f.fields) fields.add(name);
  return { conditions, and, or, fields };
}

/** Splits `datetimeHour_geq` / `action_in` into field and operator. */
export function splitKey(key: string): { field: string; op: string } {
  const cut = key.lastIndexOf("_");
  const suffix = cut > 0 ? key.slice(cut + 1) : "";
  return OPERATORS.has(suffix) ? { field: key.slice(0, cut), op: suffix } : { field: key, op: "eq" };
}

function conditionOf(key: string, raw: unknown, units: FieldUnits, values: boolean): Condition | undefined {
  const { field, op } = splitKey(key);
  if (raw === null || raw === undefined) return undefined;
  const unit = units[field];
  if (unit !== undefined) {
    const value = Array.isArray(raw) ? raw.map((v) => timeOf(v, key)) : timeOf(raw, key);
    return { kind: "time", field, unit, op, value };
  }
  return values ? { kind: "value", field, test: valueTest(op, raw) } : undefined;
}

/** Epoch ms of a Time ("2026-01-01T10:00:00Z") or Date ("2026-01-01", midnight UTC) value. */
function timeOf(value: unknown, argument: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  // Reached only when a variable was declared with a non-Cloudflare type (e.g. String) that skipped Time parsing.
  if (Number.isNaN(ms)) throw new CloudflareError(`error parsing args: invalid time ${JSON.stringify(value)} for ${argument}`, "parse");
  return ms;
}

/**
 * A list operand. Cloudflare types the `_in`/`_notin` lists of uint8 dimensions as `bytes`, Go's []byte, which JSON
 * carries as base64: "AAE=" is [0, 1]. Real lists pass through.
 */
function listOf(raw: unknown): readonly (string | number)[] {
  if (Array.isArray(raw)) return raw as (string | number)[];
  if (typeof raw === "string") return [...Buffer.from(raw, "base64")];
  return [raw as string | number];
}

/** SQL LIKE: `%` any run of characters, `_` any one character; case-sensitive, the whole value. */
function likePattern(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern) source += ch === "%" ? "[\\s\\S]*" : ch === "_" ? "[\\s\\S]" : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${source}$`);
}

function valueTest(op: string, raw: unknown): (v: DimValue) => boolean {
  const x = raw as string | number;
  switch (op) {
    case "eq":
      return (v) => v === x;
    case "neq":
      return (v) => v !== x;
    case "gt":
      return (v) => (v as string | number) > x;
    case "geq":
      return (v) => (v as string | number) >= x;
    case "lt":
      return (v) => (v as string | number) < x;
    case "leq":
      return (v) => (v as string | number) <= x;
    case "in": {
      const set = new Set(listOf(raw));
      return (v) => set.has(v as string | number);
    }
    case "notin": {
      const set = new Set(listOf(raw));
      return (v) => !set.has(v as string | number);
    }
    case "like": {
      const re = likePattern(String(raw));
      return (v) => re.test(String(v));
    }
    case "notlike": {
      const re = likePattern(String(raw));
      return (v) => !re.test(String(v));
    }
    case "has":
      return (v) => (v as readonly unknown[]).includes(x);
    case "nothas":
      return (v) => !(v as readonly unknown[]).includes(x);
    case "hasall":
      return (v) => listOf(raw).every((item) => (v as readonly unknown[]).includes(item));
    case "hasany":
      return (v) => listOf(raw).some((item) => (v as readonly unknown[]).includes(item));
    default:
      return (v) => ((v as readonly unknown[]).length === 0) === (raw === true); // isempty
  }
}

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number): number => Math.ceil(t / unit) * unit;

function holds(c: TimeCondition, time: number): boolean {
  const v = floorTo(time, c.unit);
  const x = c.value;
  switch (c.op) {
    case "eq":
      return v === x;
    case "neq":
      return v !== x;
    case "gt":
      return v > (x as number);
    case "geq":
      return v >= (x as number);
    case "lt":
      return v < (x as number);
    case "leq":
      return v <= (x as number);
    case "in":
      return (x as number[]).includes(v);
    default:
      return !(x as number[]).includes(v); // notin
  }
}

const NO_VALUES = (): DimValue => "";

/**
 * Whether a row starting at `time` (or an event at `time` with dimension values from `value`) passes the filter: all
 * conditions hold, AND sub-filters all pass, and at least one OR sub-filter passes when there are any.
 */
export function matches(filter: CompiledFilter, time: number, value: (field: string) => DimValue = NO_VALUES): boolean {
  for (const c of filter.conditions) {
    if (c.kind === "time" ? !holds(c, time) : !c.test(value(c.field))) return false;
  }
  for (const f of filter.and) if (!matches(f, time, value)) return false;
  return filter.or.length === 0 || filter.or.some((f) => matches(f, time, value));
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
  for (const c of filter.conditions) {
    if (c.kind !== "time") continue;
    const { unit: u, op, value: v } = c;
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
    narrow(froms.includes(undefined) ? undefined : Math.min(...(froms as number[])), tos.includes(undefined) ? undefined : Math.max(...(tos as number[])));
  }
  for (const c of filter.conditions) {
    if (c.kind !== "time") continue;
    const { unit, op, value: v } = c;
    if (op === "eq") narrow(v as number, (v as number) + unit);
    else if (op === "geq" || op === "gt") narrow(v as number, undefined);
    else if (op === "lt" || op === "leq") narrow(undefined, v as number);
    else if (op === "in" && (v as number[]).length > 0) {
      narrow(Math.min(...(v as number[])), Math.max(...(v as number[])) + unit);
    }
  }
  return { from, to };
}
