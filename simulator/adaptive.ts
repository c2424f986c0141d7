/**
 * The adaptive (sampled) nodes: events of the filter's minutes (events.ts, specs.ts), filtered, grouped by the
 * selected dimensions and aggregated the way ABR estimates are:
 * - `count` = Σ sampleInterval (the extrapolated number of events);
 * - `sum.x` = Σ x × sampleInterval;
 * - `avg.x` = the sampleInterval-weighted mean of x (originResponseDurationMs leaves out zeros, as Cloudflare's schema
 *   says); `avg.sampleInterval` = count / sampled events, the mean interval;
 * - `max.x` / `min.x` over the sampled events;
 * - `quantiles.xPnn` = the weighted nearest-rank quantile: the smallest value whose cumulative sampleInterval reaches
 *   nn % of the count;
 * - `ratio.x` = Σ x × sampleInterval over the count (over Σ bytes × sampleInterval for `...Bytes` ratios);
 * - `confidence(level)`: estimate = count or sum, sampleSize = sampled events, bounds from the Horvitz-Thompson
 *   variance Σ si(si - 1) x² and the normal quantile of the level; isValid when 10 or more events were sampled.
 * Integer-typed fields are rounded; float32 ones printed as float32. Rows are sorted by `orderBy`, then by the group-by
 * fields (Cloudflare appends them), and cut at `limit`.
 */

import { growthFactor } from "./traffic.js";
import { Ev, MINUTE_MS, minuteEvents, placeEvent, profileOf } from "./events.js";
import { matches, rowBounds, type CompiledFilter, type DimValue } from "./filters.js";
import { isInteger, type Leaf, type NodeModel, type Section } from "./model.js";
import { AVG_EXCLUDES_ZERO, ratioDenominator, specOf } from "./specs.js";

/** Which aggregates a query reads: `count`, section fields, `confidence`. */
export interface Needed {
  count: boolean;
  sections: Map<Section, Set<string>>;
  confidence: boolean;
}

/** Everything the node offers (the ground truth's rows). */
export function everything(model: NodeModel): Needed {
  const sections = new Map<Section, Set<string>>();
  for (const [s, leaves] of model.sections) sections.set(s, new Set(leaves.map((l) => l.name)));
  return { count: model.count, sections, confidence: false };
}

export interface AdaptiveQuery {
  model: NodeModel;
  tag: string;
  filter: CompiledFilter;
  /** Dimension fields to group by (each once); none gives one total row. */
  groupBy: readonly string[];
  needed: Needed;
  orderBy: readonly string[];
  limit: number;
  now: number;
  lateMinutes: number;
  /** No event before this (the node's notOlderThan) or, with `to`, from this on only. */
  from: number;
  /** No event at or after this. */
  to: number;
}

/** One output row: GraphQL field names; `confidence` is called with its arguments when the query selects it. */
export type AdaptiveRow = Record<string, unknown>;

const QUANTILE = /^(.*)P(\d+)$/;

/**
 * What the query computes, worked out once: the per-event numbers (metrics) it reads, which of them need every value
 * kept (quantiles), and each output field with where its number comes from.
 */
interface AggPlan {
  metrics: string[];
  /** Per metric: keep every value (for quantiles). */
  keep: boolean[];
  outputs: Output[];
  count: boolean;
  confidence: { count: boolean; sum: { name: string; metric: number }[] } | undefined;
}

interface Output {
  section: Section;
  field: string;
  leaf: Leaf;
  kind: "list" | "quantile" | "meanInterval" | "sum" | "max" | "min" | "ratio" | "avgNonZero" | "avg";
  metric: number;
  /** Quantile level, or the ratio's denominator metric (-1: the count). */
  extra: number;
}

function aggPlan(model: NodeModel, needed: Needed): AggPlan {
  const metrics: string[] = [];
  const keep: boolean[] = [];
  const metricIndex = (name: string, kept = false): number => {
    let i = metrics.indexOf(name);
    if (i < 0) {
      i = metrics.push(name) - 1;
      keep.push(false);
    }
    if (kept) keep[i] = true;
    return i;
  };
  const outputs: Output[] = [];
  for (const [section, fields] of needed.sections) {
    const leaves = new Map((model.sections.get(section) ?? []).map((l) => [l.name, l]));
    for (const field of fields) {
      const leaf = leaves.get(field);
      if (!leaf) continue;
      const out = (kind: Output["kind"], metric = -1, extra = 0): number => outputs.push({ section, field, leaf, kind, metric, extra });
      if (leaf.list)
        out("list"); // bot / fraud detection arrays: the simulated events carry no detections
      else if (section === "quantiles") {
        const m = QUANTILE.exec(field);
        out("quantile", metricIndex(m?.[1] ?? field, true), Number(`0.${m?.[2] ?? "5"}`));
      } else if (section === "avg" && field === "sampleInterval") out("meanInterval");
      else if (section === "sum") out("sum", metricIndex(field));
      else if (section === "max" || section === "min") out(section, metricIndex(field));
      else if (section === "ratio") {
        const den = ratioDenominator(field);
        out("ratio", metricIndex(field), den ? metricIndex(den) : -1);
      } else if (AVG_EXCLUDES_ZERO.has(field)) out("avgNonZero", metricIndex(field));
      else out("avg", metricIndex(field)); // uniq does not occur on adaptive nodes
    }
  }
  const confidence =
    needed.confidence && model.confidence
      ? { count: model.confidence.count, sum: model.confidence.sum.map((name) => ({ name, metric: metricIndex(name) })) }
      : undefined;
  return { metrics, keep, outputs, count: needed.count && model.count, confidence };
}

/**
 * One group's running totals: per metric (k of them) its Σ v·si, Σ over non-zero values of v·si and si, max, min and
 * Σ si(si - 1)v², in one array; every value only for the metrics quantiles read. A group of a count-only query
 * allocates nothing but itself: queries of fine-grained groups make hundreds of thousands of them.
 */
class Group {
  n = 0;
  count = 0;
  /** Σ si (si - 1): the count's Horvitz-Thompson variance. */
  variance = 0;
  readonly stats: Float64Array | undefined;
  readonly kept: (number[] | undefined)[] | undefined;
  readonly weights: number[] | undefined;

  constructor(
    readonly values: (DimValue | number)[],
    private readonly k: number,
    keep: readonly boolean[] | undefined,
  ) {
    if (k > 0) {
      this.stats = new Float64Array(6 * k);
      this.stats.fill(Number.NEGATIVE_INFINITY, 3 * k, 4 * k);
      this.stats.fill(Number.POSITIVE_INFINITY, 4 * k, 5 * k);
    }
    if (keep) {
      this.kept = keep.map((kept) => (kept ? [] : undefined));
      this.weights = [];
    }
  }

  add(si: number, metric: (j: number) => number): void {
    this.n++;
    this.count += si;
    const w = si * (si - 1);
    this.variance += w;
    this.weights?.push(si);
    const s = this.stats;
    if (!s) return;
    const k = this.k;
    for (let j = 0; j < k; j++) {
      const v = metric(j);
      s[j]! += v * si;
      if (v !== 0) {
        s[k + j]! += v * si;
        s[2 * k + j]! += si;
      }
      if (v > s[3 * k + j]!) s[3 * k + j] = v;
      if (v < s[4 * k + j]!) s[4 * k + j] = v;
      s[5 * k + j]! += w * v * v;
      this.kept?.[j]?.push(v);
    }
  }

  sum(j: number): number {
    return this.stats![j]!;
  }
  nonZeroSum(j: number): number {
    return this.stats![this.k + j]!;
  }
  nonZeroWeight(j: number): number {
    return this.stats![2 * this.k + j]!;
  }
  max(j: number): number {
    return this.stats![3 * this.k + j]!;
  }
  min(j: number): number {
    return this.stats![4 * this.k + j]!;
  }
  varianceOf(j: number): number {
    return this.stats![5 * this.k + j]!;
  }
}

/** The metrics (per-event numbers) every aggregate of the node reads. */
function allMetrics(model: NodeModel): string[] {
  return aggPlan(model, { ...everything(model), confidence: true }).metrics;
}

const floorTo = (t: number, unit: number): number => Math.floor(t / unit) * unit;

/**
 * Groups of the query's events, unsorted. With `batch`, groups are handed over in batches, each time `flushMs`
 * boundary of time is passed (the batch then holds every group of the span just ended); `batch` returning true stops
 * the scan.
 */
function collect(q: AdaptiveQuery, plan: AggPlan, flushMs = Number.POSITIVE_INFINITY, batch?: (groups: Group[]) => boolean): Group[] {
  const { model } = q;
  const spec = specOf(model.node);
  const profile: unknown = profileOf(spec, q.tag);
  const ev = new Ev(spec, model.fallbacks);
  ev.tag = q.tag;
  ev.profile = profile;
  const units = model.units;
  const value = (field: string): DimValue => ev.dim(field);
  const metric = (j: number): number => ev.metric(plan.metrics[j]!);
  const keyFields = q.groupBy.map((f) => ({ f, unit: units[f] }));
  const keep = plan.keep.includes(true) ? plan.keep : undefined;
  const scratch: (DimValue | number)[] = new Array<DimValue | number>(keyFields.length);
  const keyParts: (string | number)[] = new Array<string | number>(keyFields.length);

  const bounds = rowBounds(q.filter);
  const lo = Math.max(bounds.lo, q.from);
  const hi = Math.min(bounds.hi, q.to, q.now);
  if (!Number.isFinite(lo)) throw new RangeError("an adaptive query needs a start time"); // the resolver checks first
  const groups = new Map<string, Group>();
  for (let m = floorTo(lo, MINUTE_MS); m < hi; m += MINUTE_MS) {
    const growth = growthFactor(m, q.now, q.lateMinutes);
    if (growth <= 0) continue;
    const minute = minuteEvents(spec, q.tag, profile, m, growth);
    for (let i = 0; i < minute.visible; i++) {
      placeEvent(ev, minute, m, i);
      if (ev.time < lo || ev.time >= hi) continue;
      if (!matches(q.filter, ev.time, value)) continue;
      for (let k = 0; k < keyFields.length; k++) {
        const { f, unit } = keyFields[k]!;
        const v = unit === undefined ? ev.dim(f) : floorTo(ev.time, unit);
        scratch[k] = v;
        keyParts[k] = typeof v === "object" ? JSON.stringify(v) : v;
      }
      const key = keyParts.join("\u0001");
      let g = groups.get(key);
      if (!g) {
        g = new Group(scratch.slice(), plan.metrics.length, keep);
        groups.set(key, g);
      }
      g.add(ev.si, metric);
    }
    if (batch && (m + MINUTE_MS) % flushMs === 0 && groups.size > 0) {
      const done = batch([...groups.values()]);
      groups.clear();
      if (done) return [];
    }
  }
  if (batch) {
    if (groups.size > 0) batch([...groups.values()]);
    return [];
  }
  return [...groups.values()];
}

// ---- Number formatting by GraphQL type ----

const f32 = new Float32Array(1);
/** The shortest decimal that is the same float32, as Go prints a float32 (261.19, not 261.19000244140625). */
function float32(x: number): number {
  f32[0] = x;
  const target = f32[0];
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    f32[0] = candidate;
    if (f32[0] === target) return candidate;
  }
  return target;
}

const isoTime = (t: number): string => new Date(t).toISOString().replace(".000Z", "Z");

function typed(x: number, leaf: Leaf | undefined): number | string {
  const scalar = leaf?.scalar ?? "float64";
  if (scalar === "Time") return isoTime(x);
  if (isInteger(scalar)) return Math.round(x);
  if (scalar === "float32") return float32(x);
  return x;
}

// ---- Aggregates ----

function weightedQuantile(values: readonly number[], weights: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const total = weights.reduce((s, w) => s + w, 0);
  const target = p * total;
  let acc = 0;
  for (const i of order) {
    acc += weights[i]!;
    if (acc >= target) return values[i]!;
  }
  return values[order[order.length - 1]!]!;
}

/** Φ⁻¹ by bisection on Abramowitz and Stegun's erf (7.1.26); precise to about 1e-7, plenty for bounds. */
function normalQuantile(p: number): number {
  const cdf = (z: number): number => {
    const x = Math.abs(z) / Math.SQRT2;
    const t = 1 / (1 + 0.3275911 * x);
    const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
  };
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

interface ConfidenceValue {
  estimate: number;
  lower: number;
  upper: number;
  sampleSize: number;
  isValid: boolean;
}

function confidenceOf(estimate: number, variance: number, n: number, level: number): ConfidenceValue {
  const z = level > 0 && level < 1 ? normalQuantile((1 + level) / 2) : 0;
  const half = z * Math.sqrt(variance);
  return { estimate, lower: Math.max(0, estimate - half), upper: estimate + half, sampleSize: n, isValid: n >= 10 };
}

/** An output field's value for a group, typed for its GraphQL scalar. */
function outputValue(o: Output, g: Group): unknown {
  const j = o.metric;
  let x: number;
  switch (o.kind) {
    case "list":
      return [];
    case "quantile":
      x = weightedQuantile(g.kept![j]!, g.weights!, o.extra);
      break;
    case "meanInterval":
      x = g.n === 0 ? 0 : g.count / g.n;
      break;
    case "sum":
      x = g.sum(j);
      break;
    case "max":
      x = g.n === 0 ? 0 : g.max(j);
      break;
    case "min":
      x = g.n === 0 ? 0 : g.min(j);
      break;
    case "ratio": {
      const denominator = o.extra < 0 ? g.count : g.sum(o.extra);
      x = denominator === 0 ? 0 : g.sum(j) / denominator;
      break;
    }
    case "avgNonZero":
      x = g.nonZeroWeight(j) === 0 ? 0 : g.nonZeroSum(j) / g.nonZeroWeight(j);
      break;
    default:
      x = g.count === 0 ? 0 : g.sum(j) / g.count;
  }
  return typed(x, o.leaf);
}

/** A group's row: the selected aggregates (`outputs`), `count` and `confidence` if selected. */
function aggregate(plan: AggPlan, outputs: readonly Output[], count: boolean, g: Group): AdaptiveRow {
  const row: AdaptiveRow = {};
  if (count) row["count"] = g.count;
  for (const o of outputs) {
    let section = row[o.section] as Record<string, unknown> | undefined;
    if (!section) row[o.section] = section = {};
    section[o.field] = outputValue(o, g);
  }
  const c = plan.confidence;
  if (c) {
    row["confidence"] = (args: { level?: number }) => {
      const level = Number(args.level ?? 0.95);
      const result: Record<string, unknown> = { level };
      if (c.count) result["count"] = confidenceOf(g.count, g.variance, g.n, level);
      if (c.sum.length > 0) {
        const sums: Record<string, ConfidenceValue> = {};
        for (const { name, metric } of c.sum) sums[name] = confidenceOf(g.sum(metric), g.varianceOf(metric), g.n, level);
        result["sum"] = sums;
      }
      return result;
    };
  }
  return row;
}

// ---- Ordering ----

type Sortable = number | string;

function compare(a: Sortable, b: Sortable): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKey(v: unknown): Sortable {
  if (typeof v === "number" || typeof v === "string") return v;
  return JSON.stringify(v);
}

/** `count_DESC`, `sum_bytes_ASC`, `quantiles_cpuTimeP99_DESC`, `datetimeMinute_ASC`, `action_DESC`. */
function orderKeyOf(value: string, q: AdaptiveQuery, plan: AggPlan): { get: (g: Group) => Sortable; descending: boolean } | undefined {
  const cut = value.lastIndexOf("_");
  const path = value.slice(0, cut);
  const descending = value.slice(cut + 1) === "DESC";
  if (path === "count") return { get: (g) => g.count, descending };
  const dot = path.indexOf("_");
  const section = dot > 0 ? path.slice(0, dot) : "";
  if (q.model.sections.has(section as Section)) {
    const output = plan.outputs.find((o) => o.section === section && o.field === path.slice(dot + 1));
    return output ? { get: (g) => sortKey(outputValue(output, g)), descending } : undefined;
  }
  const index = q.groupBy.indexOf(path);
  // A dimension that is not grouped by (or a field Cloudflare orders by but does not expose) orders nothing.
  return index < 0 ? undefined : { get: (g) => sortKey(g.values[index]), descending };
}

/** `needed` plus the aggregates `orderBy` reads. */
function withOrderNeeds(model: NodeModel, needed: Needed, orderBy: readonly string[]): Needed {
  const sections = new Map([...needed.sections].map(([s, f]) => [s, new Set(f)]));
  for (const value of orderBy) {
    const path = value.slice(0, value.lastIndexOf("_"));
    const dot = path.indexOf("_");
    const section = path.slice(0, Math.max(0, dot)) as Section;
    if (dot > 0 && model.sections.has(section)) {
      let set = sections.get(section);
      if (!set) sections.set(section, (set = new Set()));
      set.add(path.slice(dot + 1));
    }
  }
  return { ...needed, sections };
}

let lastTime = Number.NaN;
let lastIso = "";
/** isoTime with a one-entry memo: rows come grouped by time, so consecutive rows mostly share it. */
function isoCached(t: number): string {
  if (t !== lastTime) {
    lastTime = t;
    lastIso = isoTime(t);
  }
  return lastIso;
}

function dimensionsOf(scalars: readonly (string | undefined)[], groupBy: readonly string[], g: Group): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < groupBy.length; i++) {
    const v = g.values[i];
    const scalar = scalars[i];
    out[groupBy[i]!] = scalar === "Time" ? isoCached(v as number) : scalar === "Date" ? isoCached(v as number).slice(0, 10) : v;
  }
  return out;
}

/**
 * Whether rows can be produced span by span: grouped first by a time field and ordered by the group-by fields (the
 * default, or an explicit `<time>_ASC` prefix of them), so every row of a span comes before any row of the next. Then
 * the scan stops once `limit` rows are out, and a query that pages through a long window costs what it returns.
 */
function streamingUnit(q: AdaptiveQuery): number | undefined {
  const unit = q.groupBy.length > 0 ? q.model.units[q.groupBy[0]!] : undefined;
  if (unit === undefined) return undefined;
  const natural = q.orderBy.every((o, i) => o === `${q.groupBy[i]}_ASC`);
  return natural ? Math.max(unit, MINUTE_MS) : undefined;
}

/** The node's rows for a query: grouped, ordered, cut at `limit`, then aggregated (only the rows returned). */
export function adaptiveRows(q: AdaptiveQuery): AdaptiveRow[] {
  const plan = aggPlan(q.model, withOrderNeeds(q.model, q.needed, q.orderBy));
  const keys = q.orderBy.map((o) => orderKeyOf(o, q, plan)).filter((k) => k !== undefined);
  const n = q.groupBy.length;
  const byValues = (a: Group, b: Group): number => {
    for (let i = 0; i < n; i++) {
      const d = compare(sortKey(a.values[i]), sortKey(b.values[i]));
      if (d !== 0) return d;
    }
    return 0;
  };
  let groups: Group[];
  const span = streamingUnit(q);
  if (span !== undefined) {
    groups = [];
    collect(q, plan, span, (batch) => {
      batch.sort(byValues);
      for (const g of batch) groups.push(g);
      return groups.length >= q.limit;
    });
  } else {
    groups = collect(q, plan);
    if (keys.length === 0) groups.sort(byValues);
    else {
      // Order keys read once per group, not once per comparison (quantiles sort values to answer).
      const sortable = groups.map((g) => ({ g, k: keys.map((k) => k.get(g)) }));
      sortable.sort((a, b) => {
        for (let i = 0; i < keys.length; i++) {
          const d = compare(a.k[i]!, b.k[i]!);
          if (d !== 0) return keys[i]!.descending ? -d : d;
        }
        return byValues(a.g, b.g);
      });
      for (let i = 0; i < groups.length; i++) groups[i] = sortable[i]!.g;
    }
  }
  const cut = groups.length > q.limit ? groups.slice(0, q.limit) : groups;
  // Order-only aggregates stay out: a row holds what the query selected (and dimensions).
  const selected = plan.outputs.filter((o) => q.needed.sections.get(o.section)?.has(o.field));
  const count = q.needed.count && q.model.count;
  const scalars = q.groupBy.map((f) => q.model.dims.get(f)?.scalar);
  return cut.map((g) => {
    const row = aggregate(plan, selected, count, g);
    row["dimensions"] = dimensionsOf(scalars, q.groupBy, g);
    return row;
  });
}

// ---- Events, for tests that check aggregates independently ----

export interface AdaptiveEvent {
  /** Epoch ms (to the second; a gauge's minute start). */
  time: number;
  sampleInterval: number;
  /** Every dimension of the node (time ones as ISO strings / dates). */
  dimensions: Record<string, unknown>;
  /** Every number the node's aggregates read, by name (`edgeResponseBytes`, `cpuTime`, `status4xx`, ...). */
  metrics: Record<string, number>;
}

/** Every sampled event of [from, to) as seen at `now`, fully materialized. */
export function adaptiveEvents(model: NodeModel, tag: string, from: number, to: number, now: number, lateMinutes: number): AdaptiveEvent[] {
  const spec = specOf(model.node);
  const profile: unknown = profileOf(spec, tag);
  const ev = new Ev(spec, model.fallbacks);
  ev.tag = tag;
  ev.profile = profile;
  const metricNames = allMetrics(model);
  const out: AdaptiveEvent[] = [];
  const hi = Math.min(to, now);
  for (let m = floorTo(from, MINUTE_MS); m < hi; m += MINUTE_MS) {
    const growth = growthFactor(m, now, lateMinutes);
    if (growth <= 0) continue;
    const minute = minuteEvents(spec, tag, profile, m, growth);
    for (let i = 0; i < minute.visible; i++) {
      placeEvent(ev, minute, m, i);
      if (ev.time < from || ev.time >= hi) continue;
      const dimensions: Record<string, unknown> = {};
      for (const [name, leaf] of model.dims) {
        const unit = model.units[name];
        dimensions[name] =
          unit === undefined ? ev.dim(name) : leaf.scalar === "Date" ? isoTime(floorTo(ev.time, unit)).slice(0, 10) : isoTime(floorTo(ev.time, unit));
      }
      const metrics: Record<string, number> = {};
      for (const name of metricNames) metrics[name] = ev.metric(name);
      out.push({ time: ev.time, sampleInterval: ev.si, dimensions, metrics });
    }
  }
  return out;
}
