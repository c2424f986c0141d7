/**
 * Grafana's Elasticsearch data source, reduced to what our dashboards and alert rules use, so that tests can run every
 * panel against the real Elasticsearch: a target (Lucene query, metrics, bucket aggregations) becomes the search body
 * Grafana's backend sends (pkg/tsdb/elasticsearch: range filter `gte from, lte to` in epoch ms, the query as a
 * `query_string` filter, bucket aggregations nested in order, metrics in the innermost one), and the response becomes
 * the frames Grafana builds from it (a date histogram last: one time series per metric and bucket path; anything else
 * last: one table whose string columns are the bucket keys and whose number columns are the metrics). Panel
 * transformations and reductions that our dashboards use are applied the way Grafana applies them.
 */

interface MetricAgg {
  id: string;
  type: string;
  field?: string;
  hide?: boolean;
  settings?: Record<string, unknown>;
  pipelineVariables?: { name: string; pipelineAgg: string }[];
}

interface BucketAgg {
  id: string;
  type: string;
  field?: string;
  settings?: Record<string, unknown>;
}

export interface Target {
  refId: string;
  query?: string;
  metrics: MetricAgg[];
  bucketAggs: BucketAgg[];
  timeField?: string;
  alias?: string;
  hide?: boolean;
  datasource?: { type?: string; uid?: string };
}

/** A variable's current value: one value, several (multi-select), or the custom "All" value (inserted as is). */
type VariableValue = string | readonly string[] | { readonly all: string };

export interface QueryContext {
  /** Time range in epoch ms; Grafana's range is inclusive at both ends. */
  from: number;
  to: number;
  /** What `auto` and `$__interval` resolve to. */
  intervalMs: number;
  variables?: Readonly<Record<string, VariableValue>>;
  timeField?: string;
}

// ---------------------------------------------------------------- variables

/** Grafana's Lucene escaping of a variable value (numbers are left alone). */
export function luceneEscape(value: string): string {
  if (value.trim() !== "" && !Number.isNaN(Number(value))) return value;
  return value.replace(/([!*+\-=<>\s&|()[\]{}^~?:\\/"])/g, "\\$1");
}

function luceneFormat(value: VariableValue): string {
  if (typeof value === "string") return luceneEscape(value);
  if ("all" in value) return value.all;
  return `(${value.map((v) => `"${luceneEscape(v)}"`).join(" OR ")})`;
}

function plainFormat(value: VariableValue): string {
  if (typeof value === "string") return value;
  if ("all" in value) return value.all;
  return value.length === 1 ? value[0]! : `{${value.join(",")}}`;
}

const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g;

function replaceVariables(text: string, values: Readonly<Record<string, VariableValue>>, format: (v: VariableValue) => string): string {
  return text.replace(VARIABLE, (match, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c!;
    const value = values[name];
    return value === undefined ? match : format(value);
  });
}

function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The built-in variables Grafana knows for a range and interval. */
function builtins(ctx: QueryContext): Record<string, string> {
  return {
    __from: String(ctx.from),
    __to: String(ctx.to),
    __interval: formatInterval(ctx.intervalMs),
    __interval_ms: String(ctx.intervalMs),
  };
}

/**
 * `applyTemplateVariables` of the data source: the Lucene query and filter queries with the Lucene format, then
 * everything else in the target with the plain format.
 */
export function interpolateTarget(target: Target, ctx: QueryContext): Target {
  const vars = { ...builtins(ctx), ...(ctx.variables ?? {}) };
  const lucene = (q: string | undefined) => replaceVariables(q ?? "", vars, luceneFormat);
  const expanded: Target = {
    ...target,
    query: lucene(target.query),
    bucketAggs: target.bucketAggs.map((b) =>
      b.type === "filters"
        ? {
            ...b,
            settings: {
              ...b.settings,
              filters: ((b.settings?.filters as { query: string; label?: string }[]) ?? []).map((f) => ({ ...f, query: lucene(f.query) || "*" })),
            },
          }
        : b,
    ),
  };
  return JSON.parse(replaceVariables(JSON.stringify(expanded), vars, plainFormat)) as Target;
}

// ---------------------------------------------------------------- request

type Json = Record<string, unknown>;

function toInt(value: unknown, fallback: number): number {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) && n !== 0 ? n : fallback;
}

function bucketAggBody(agg: BucketAgg, target: Target, ctx: QueryContext): Json {
  const s = agg.settings ?? {};
  const timeField = target.timeField ?? ctx.timeField ?? "@timestamp";
  switch (agg.type) {
    case "date_histogram": {
      let interval = typeof s.interval === "string" ? s.interval : "auto";
      if (interval === "auto") interval = `${ctx.intervalMs}ms`;
      const body: Json = {
        field: agg.field || timeField,
        fixed_interval: interval,
        min_doc_count: toInt(s.min_doc_count, 0),
        extended_bounds: { min: ctx.from, max: ctx.to },
        format: "epoch_millis",
      };
      if (typeof s.offset === "string") body.offset = s.offset;
      if (typeof s.timeZone === "string" && s.timeZone !== "utc") body.time_zone = s.timeZone;
      return { date_histogram: body };
    }
    case "terms": {
      const body: Json = { field: agg.field, size: toInt(s.size, 500) };
      if (s.min_doc_count !== undefined) body.min_doc_count = toInt(s.min_doc_count, 0) || 0;
      if (typeof s.missing === "string") body.missing = s.missing;
      if (typeof s.orderBy === "string") body.order = { [s.orderBy]: typeof s.order === "string" ? s.order : "desc" };
      return { terms: body };
    }
    case "filters": {
      const filters: Json = {};
      for (const f of (s.filters as { query: string; label?: string }[]) ?? []) {
        filters[f.label || f.query] = { query_string: { query: f.query, analyze_wildcard: true } };
      }
      return { filters: { filters } };
    }
    case "histogram":
      return { histogram: { field: agg.field, interval: toInt(s.interval, 1000), min_doc_count: toInt(s.min_doc_count, 0) || 0 } };
    default:
      throw new Error(`bucket aggregation ${agg.type} is not supported by this emulation`);
  }
}

function metricBody(m: MetricAgg, metrics: readonly MetricAgg[]): Json | undefined {
  if (m.type === "count") return undefined;
  if (m.type === "bucket_script") {
    const paths: Record<string, string> = {};
    for (const v of m.pipelineVariables ?? []) {
      const applied = metrics.find((x) => x.id === v.pipelineAgg);
      if (applied) paths[v.name] = applied.type === "count" ? "_count" : v.pipelineAgg;
    }
    return { bucket_script: { buckets_path: paths, ...m.settings } };
  }
  return { [m.type]: { ...(m.field ? { field: m.field } : {}), ...m.settings } };
}

/** The search body Grafana's backend sends for one (interpolated) target. */
export function searchBody(target: Target, ctx: QueryContext): Json {
  if (target.bucketAggs.length === 0) throw new Error(`target ${target.refId}: a metrics query needs at least one bucket aggregation`);
  const timeField = target.timeField ?? ctx.timeField ?? "@timestamp";
  const filter: Json[] = [{ range: { [timeField]: { gte: ctx.from, lte: ctx.to, format: "epoch_millis" } } }];
  if ((target.query ?? "").trim() !== "") filter.push({ query_string: { analyze_wildcard: true, query: target.query } });
  const metricAggs: Json = {};
  for (const m of target.metrics) {
    const body = metricBody(m, target.metrics);
    if (body) metricAggs[m.id] = body;
  }
  // Innermost first: the metrics sit in the last bucket aggregation.
  let inner: Json = metricAggs;
  for (let i = target.bucketAggs.length - 1; i >= 0; i--) {
    const agg = target.bucketAggs[i]!;
    const body = bucketAggBody(agg, target, ctx);
    const terms = body.terms as Json | undefined;
    const sub: Json = { ...inner };
    // Ordering terms by a metric needs that metric inside the terms aggregation.
    const orderBy = agg.settings?.orderBy;
    if (terms && typeof orderBy === "string" && /^\d+$/.test(orderBy)) {
      const m = target.metrics.find((x) => x.id === orderBy);
      if (m && m.type === "count") terms.order = { _count: agg.settings?.order ?? "desc" };
      else if (m) sub[m.id] = metricBody(m, target.metrics);
    }
    inner = { [agg.id]: Object.keys(sub).length > 0 ? { ...body, aggs: sub } : body };
  }
  return { size: 0, query: { bool: { filter } }, aggs: inner };
}

// ---------------------------------------------------------------- response

export interface SeriesFrame {
  kind: "series";
  /** The display name Grafana gives the series. */
  name: string;
  /** Bucket keys along the path (field -> key, `filter` -> filter label). */
  labels: Record<string, string>;
  metric: MetricAgg;
  points: { time: number; value: number | null }[];
}

interface TableField {
  name: string;
  type: "string" | "number";
  values: (string | number | null)[];
}

export interface TableFrame {
  kind: "table";
  fields: TableField[];
}

export type Frame = SeriesFrame | TableFrame;

const METRIC_NAMES: Record<string, string> = {
  count: "Count",
  avg: "Average",
  sum: "Sum",
  max: "Max",
  min: "Min",
  cardinality: "Unique Count",
  bucket_script: "Bucket Script",
  percentiles: "Percentiles",
  extended_stats: "Extended Stats",
};

const metricName = (type: string): string => METRIC_NAMES[type] ?? type;

function numberOf(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.toLowerCase() !== "nan" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function metricValue(bucket: Json, m: MetricAgg): number | null {
  if (m.type === "count") return numberOf(bucket.doc_count);
  const v = bucket[m.id] as Json | undefined;
  if (!v) return null;
  return numberOf("normalized_value" in v ? v.normalized_value : v.value);
}

function seriesName(target: Target, labels: Record<string, string>, m: MetricAgg, metricTypes: number): string {
  const described = m.type === "count" ? "Count" : `${metricName(m.type)} ${m.field ?? ""}`.trim();
  if (target.alias) {
    return target.alias.replace(/\{\{([\s\S]+?)\}\}/g, (whole, group: string) => {
      if (group.startsWith("term ")) return labels[group.slice(5)] ?? whole;
      if (group === "metric") return metricName(m.type);
      if (group === "field") return m.field ?? "";
      return labels[group] ?? whole;
    });
  }
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return described;
  const prefix = keys.map((k) => labels[k]).join(" ");
  return metricTypes === 1 ? prefix : `${prefix} ${described}`;
}

function tableMetricName(m: MetricAgg, metrics: readonly MetricAgg[]): string {
  if (m.type === "count") return "Count";
  const others = metrics.filter((x) => x.id !== m.id && x.type === m.type);
  if (others.length === 0) return metricName(m.type);
  if (m.type === "bucket_script") return (m.settings?.script as string | undefined) ?? "";
  let name = `${metricName(m.type)} ${m.field ?? ""}`;
  if (others.some((x) => x.field === m.field)) name += ` ${m.id}`;
  return name;
}

/** The frames Grafana's backend builds from one search response. */
export function parseResponse(target: Target, response: Json): Frame[] {
  const series: SeriesFrame[] = [];
  let table: TableFrame | undefined;
  const maxDepth = target.bucketAggs.length - 1;
  const metricTypes = new Set(target.metrics.filter((m) => !m.hide).map((m) => m.type)).size;

  const walk = (aggs: Json, props: Record<string, string>, depth: number): void => {
    for (const id of Object.keys(aggs).sort()) {
      const def = target.bucketAggs.find((b) => b.id === id);
      if (!def) continue;
      const agg = aggs[id] as Json;
      const buckets = agg.buckets;
      if (depth === maxDepth) {
        if (def.type === "date_histogram") {
          for (const m of target.metrics) {
            if (m.hide) continue;
            const points = (buckets as Json[]).map((b) => ({ time: Number(b.key), value: metricValue(b, m) }));
            series.push({ kind: "series", name: seriesName(target, props, m, metricTypes), labels: { ...props }, metric: m, points });
          }
        } else {
          // Keyed buckets (filters) have no array here, so such a last aggregation yields no rows, as in Grafana.
          if (!Array.isArray(buckets)) continue;
          // Grafana replaces the frames with those of this call: a parent bucket whose own buckets are empty wipes
          // the rows of the parent buckets before it (so nested terms must never come out empty).
          if (buckets.length === 0) {
            table = undefined;
            continue;
          }
          table ??= { kind: "table", fields: [] };
          const field = (name: string, type: "string" | "number"): TableField => {
            let f = table!.fields.find((x) => x.name === name);
            if (!f) table!.fields.push((f = { name, type, values: [] }));
            return f;
          };
          for (const b of buckets as Json[]) {
            for (const key of Object.keys(props).sort()) field(key, "string").values.push(props[key]!);
            const key = b.key;
            field(def.field ?? "", typeof key === "string" ? "string" : "number").values.push(typeof key === "string" ? key : Number(key));
            for (const m of target.metrics) field(tableMetricName(m, target.metrics), "number").values.push(metricValue(b, m));
          }
        }
      } else if (Array.isArray(buckets)) {
        for (const b of buckets as Json[]) {
          const key = typeof b.key_as_string === "string" ? b.key_as_string : String(b.key);
          walk(b, { ...props, [def.field ?? ""]: key }, depth + 1);
        }
      } else if (buckets && typeof buckets === "object") {
        for (const label of Object.keys(buckets).sort()) walk((buckets as Json)[label] as Json, { ...props, filter: label }, depth + 1);
      }
    }
  };
  walk((response.aggregations as Json | undefined) ?? {}, {}, 0);
  return table ? [...series, table] : series;
}

// ---------------------------------------------------------------- panels

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  transformations?: { id: string; options?: Json; disabled?: boolean }[];
  options?: Json;
  fieldConfig?: { defaults?: Json; overrides?: { matcher: { id: string; options?: unknown }; properties: { id: string; value?: unknown }[] }[] };
  timeFrom?: string;
  interval?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  panels?: Panel[];
}

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function durationMs(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** A panel's relative time override (`timeFrom: "7d"`) replaces the dashboard range with the last 7 days until `now`. */
export function panelContext(panel: Panel, ctx: QueryContext, now: number): QueryContext {
  if (!panel.timeFrom) return ctx;
  return { ...ctx, from: now - durationMs(panel.timeFrom), to: now };
}

/** Frames as a table panel or a transformation sees them: series become (time, value) tables named after the series. */
function asTables(frames: readonly Frame[]): TableFrame[] {
  return frames.map((f) =>
    f.kind === "table"
      ? f
      : {
          kind: "table",
          fields: [
            { name: "Time", type: "number", values: f.points.map((p) => p.time) },
            { name: f.name, type: "number", values: f.points.map((p) => p.value) },
          ],
        },
  );
}

function matchesName(name: string, matcher: unknown): boolean {
  if (typeof matcher !== "string") return false;
  const re = /^\/(.*)\/([a-z]*)$/.exec(matcher);
  return re ? new RegExp(re[1]!, re[2]).test(name) : name === matcher;
}

function fieldByMatcher(table: TableFrame, value: unknown): TableField | undefined {
  const v = value as { matcher?: { id: string; options: string }; fixed?: string } | string | undefined;
  if (typeof v === "string") return table.fields.find((f) => f.name === v);
  if (v?.matcher?.id === "byName") return table.fields.find((f) => f.name === v.matcher!.options);
  if (v?.fixed !== undefined) return { name: "fixed", type: "number", values: table.fields[0]!.values.map(() => Number(v.fixed)) };
  return undefined;
}

/** The transformations our dashboards use: `calculateField` (binary) and `organize`. */
export function applyTransformations(panel: Panel, frames: readonly Frame[]): TableFrame[] {
  let tables = asTables(frames);
  for (const t of panel.transformations ?? []) {
    if (t.disabled) continue;
    const o = t.options ?? {};
    if (t.id === "organize") {
      const exclude = (o.excludeByName as Record<string, boolean>) ?? {};
      const rename = (o.renameByName as Record<string, string>) ?? {};
      tables = tables.map((tb) => ({
        kind: "table",
        fields: tb.fields.filter((f) => !exclude[f.name]).map((f) => ({ ...f, name: rename[f.name] || f.name })),
      }));
    } else if (t.id === "calculateField") {
      if (o.mode !== "binary") throw new Error(`calculateField mode ${String(o.mode)} is not emulated`);
      const binary = o.binary as { left: unknown; operator: string; right: unknown };
      tables = tables.map((tb) => {
        const left = fieldByMatcher(tb, binary.left);
        const right = fieldByMatcher(tb, binary.right);
        if (!left || !right) throw new Error(`panel "${panel.title}": calculateField refers to a field the frame lacks`);
        const values = left.values.map((l, i) => {
          const r = right.values[i];
          if (typeof l !== "number" || typeof r !== "number") return null;
          switch (binary.operator) {
            case "/":
              return r === 0 ? null : l / r;
            case "*":
              return l * r;
            case "+":
              return l + r;
            case "-":
              return l - r;
            default:
              throw new Error(`operator ${binary.operator}`);
          }
        });
        const result: TableField = { name: (o.alias as string | undefined) ?? `${left.name} ${binary.operator} ${right.name}`, type: "number", values };
        return { kind: "table", fields: o.replaceFields ? [result] : [...tb.fields, result] };
      });
    } else {
      throw new Error(`panel "${panel.title}": transformation ${t.id} is not emulated`);
    }
  }
  return tables;
}

type Calc = "sum" | "max" | "min" | "mean" | "lastNotNull" | "last" | "count" | "firstNotNull";

function reduce(values: readonly (number | null)[], calc: Calc): number | null {
  const nums = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  switch (calc) {
    case "sum":
      return nums.reduce((a, b) => a + b, 0);
    case "max":
      return nums.length ? Math.max(...nums) : null;
    case "min":
      return nums.length ? Math.min(...nums) : null;
    case "mean":
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null;
    case "lastNotNull":
      return nums.length ? nums[nums.length - 1]! : null;
    case "firstNotNull":
      return nums.length ? nums[0]! : null;
    case "last":
      return values.length ? (values[values.length - 1] ?? null) : null;
    case "count":
      return values.length;
  }
}

export interface DisplayValue {
  /** Series name, or the row's string values joined by a space for `values: true`. */
  name: string;
  value: number | null;
}

/**
 * What a stat, bar gauge, gauge or pie chart shows: with `reduceOptions.values` every row of every numeric field,
 * otherwise each numeric field (of a series or a table) reduced with `calcs[0]`.
 */
export function displayValues(panel: Panel, frames: readonly Frame[]): DisplayValue[] {
  const reduceOptions = (panel.options?.reduceOptions ?? {}) as { values?: boolean; calcs?: Calc[]; fields?: string };
  const fieldFilter = reduceOptions.fields ?? "";
  const pick = (name: string) => fieldFilter === "" || matchesName(name, fieldFilter);
  const out: DisplayValue[] = [];
  const usesTables = (panel.transformations ?? []).length > 0 || frames.some((f) => f.kind === "table");
  if (!usesTables) {
    for (const f of frames as SeriesFrame[]) {
      if (!pick(f.name)) continue;
      if (reduceOptions.values) for (const p of f.points) out.push({ name: f.name, value: p.value });
      else
        out.push({
          name: f.name,
          value: reduce(
            f.points.map((p) => p.value),
            reduceOptions.calcs?.[0] ?? "lastNotNull",
          ),
        });
    }
    return out;
  }
  for (const table of applyTransformations(panel, frames)) {
    const strings = table.fields.filter((f) => f.type === "string");
    const numbers = table.fields.filter((f) => f.type === "number" && f.name !== "Time" && pick(f.name));
    for (const f of numbers) {
      if (reduceOptions.values) {
        f.values.forEach((v, i) => {
          const rowName = strings.map((s) => String(s.values[i])).join(" ");
          out.push({ name: numbers.length > 1 || rowName === "" ? `${rowName} ${f.name}`.trim() : rowName, value: typeof v === "number" ? v : null });
        });
      } else {
        out.push({
          name: f.name,
          value: reduce(
            f.values.map((v) => (typeof v === "number" ? v : null)),
            reduceOptions.calcs?.[0] ?? "lastNotNull",
          ),
        });
      }
    }
  }
  return out;
}

/** Every panel of a dashboard, rows unfolded. */
export function allPanels(dashboard: { panels?: Panel[] }): Panel[] {
  const out: Panel[] = [];
  for (const p of dashboard.panels ?? []) {
    if (p.type === "row") out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}
