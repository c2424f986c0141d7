/**
 * The shape shared by Cloudflare's grouped per-minute nodes (`...AdaptiveGroups`, `workersInvocationsAdaptive`):
 * rows grouped by `datetimeMinute` and a few dimensions, with `count`, `sum`, `avg`, `quantiles` or `max` figures.
 * A dataset module declares its dimensions and metrics; this file turns the declaration into the query, the field
 * declarations and the flattening, so every such dataset behaves the same way:
 *
 * - one document per minute and dimension combination (`cloudflare.breakdown` = the dataset's breakdown name),
 *   plus one `total` per minute (zero where Cloudflare returned no row) that marks the minute as fetched;
 * - capped breakdowns keep the top N combinations per minute and sum the rest into one `__other__` entry, so the
 *   entries of a minute still add up to its total;
 * - sampled datasets mark every document (`cloudflare.sampled`, `cloudflare.sample_interval`).
 */
import type { BreakdownCheck, Dataset, FlattenOptions, Flattened, Owner, QueryOptions, Scope, Window } from "./dataset.js";
import { documentId, type ExportDocument, type FieldValue } from "./document.js";
import { cappedFields, confidenceFields, ecsFields, type FieldDecl, type MetricDecl, samplingFields } from "./fields.js";
import type { StoredDimension } from "./shared-fields.js";
import { ownerFields, scopedQuery } from "./query.js";
import { asArray, asCount, asNumber, asObject, asText, asUnitStart, MalformedResponseError } from "./shape.js";
import { MINUTE } from "../time.js";

interface DimensionSpec {
  /** Cloudflare's dimension field. */
  readonly field: string;
  /** The fields it is stored as (shared-fields.ts, or `asIs` of a dataset's own declaration). */
  readonly stored: StoredDimension;
  /** Left out of the query (and the documents) when the plan or token does not offer it. */
  readonly optional?: boolean;
  /**
   * Cloudflare's value -> the value the entry is keyed and stored by (a request path -> its pattern, see paths.ts).
   * Applied before the key is built, so rows that become one value are slices of one entry: merged like repeated
   * rows, then ranked for the top N, and the remainder summed, all after the transform.
   */
  readonly transform?: (value: FieldValue) => FieldValue;
}

interface MetricSpec {
  /** `count`, or `<group>.<field>` with group `sum`, `avg`, `max`, `quantiles`. */
  readonly path: string;
  /** Our field, its type and how it adds up (which also decides how two slices of one entry merge, see `figure`). */
  readonly metric: MetricDecl;
  readonly optional?: boolean;
  /**
   * The figure of `path` where the entry's dimension `field` (after its transform) is one of `in`, and 0 elsewhere:
   * a count of one kind of entry (cached requests among the cache statuses), exact because every entry is one of
   * Cloudflare's groups. The path must be another metric's; it is not asked for twice.
   */
  readonly when?: { readonly field: string; readonly in: readonly string[] };
}

/** A metric as the flattening uses it. */
interface Figure {
  readonly path: string;
  readonly as: string;
  readonly type: "long" | "double";
  /** The entries of a minute add up to the total (counts, sums, levels; not averages or quantiles). */
  readonly additive: boolean;
  /**
   * How two slices of one entry (rows Cloudflare returned twice under one key) become one: `sum` (counts and sums),
   * `max` (levels: the same bucket measured twice holds what it holds, once), `mean` (the rest: weighted by the
   * entry's main count).
   */
  readonly merge: "sum" | "max" | "mean";
  readonly optional: boolean;
  /** See `MetricSpec.when`: the dimension's index in the spec and the values the figure counts for. */
  readonly when: { readonly index: number; readonly values: ReadonlySet<string> } | undefined;
}

function figure(m: MetricSpec, spec: GroupedSpec<string>): Figure {
  const index = m.when ? spec.dimensions.findIndex((d) => d.field === m.when!.field) : -1;
  if (m.when && (index < 0 || !spec.metrics.some((o) => o.path === m.path && !o.when))) {
    throw new Error(`${spec.name}: ${m.metric.name} counts where ${m.when.field} is ...: that must be a dimension, and ${m.path} another metric`);
  }
  return {
    path: m.path,
    as: m.metric.name,
    type: m.metric.type === "double" ? "double" : "long",
    additive: m.metric.additivity !== "none",
    merge: m.metric.additivity === "sum" ? "sum" : m.metric.additivity === "level" ? "max" : "mean",
    optional: m.optional ?? false,
    when: m.when ? { index, values: new Set(m.when.in) } : undefined,
  };
}

export interface GroupedSpec<Name extends string> {
  readonly name: Name;
  readonly node: string;
  readonly scope: Scope;
  readonly description: string;
  /** `cloudflare.breakdown` of the entries. */
  readonly breakdown: string;
  /** Extra GraphQL filter terms, e.g. `requestSource: "eyeball"`. */
  readonly filter?: string;
  readonly dimensions: readonly DimensionSpec[];
  readonly metrics: readonly MetricSpec[];
  /** The additive metric that ranks entries for the top-N cap. */
  readonly rankBy: MetricDecl;
  /** Cap the entries per minute at `CF_TOP_N` (high-cardinality dimensions such as hosts, rules, colos, scripts). */
  readonly capped: boolean;
  /** Sampled nodes carry `avg.sampleInterval`; R2's do not, but are still estimates. */
  readonly sampled: boolean;
  readonly sampleInterval: boolean;
  readonly rowsPerMinute: number;
  readonly standInFor?: string;
  /** The node offers `confidence(level) { count { lower upper } }` for its sampled count. */
  readonly countConfidence?: boolean;
  /** Runs only when named in `datasets` (costly or plan-restricted breakdowns). */
  readonly optIn?: boolean;
  /** Entries kept per minute, instead of `CF_TOP_N` (a user-declared dataset's own `topN`). */
  readonly topN?: number;
}

export const OTHER = "__other__";

/** `sum.visits` -> `sum_visits`, the form `settings.availableFields` uses. */
const availablePath = (path: string): string => path.replace(".", "_");
const dimensionPath = (d: DimensionSpec): string => `dimensions_${d.field}`;

interface ParsedRow {
  readonly minute: number;
  /** Dimension values in spec order; undefined for a dimension left out of the query. */
  readonly dims: readonly (FieldValue | undefined)[];
  readonly key: string;
  /** Metric values in spec order; undefined for a metric left out of the query. */
  readonly metrics: readonly (number | undefined)[];
  readonly sampleInterval: number | undefined;
  /** Bounds of the count at the asked confidence level, when asked for. */
  readonly confidence: { readonly lower: number; readonly upper: number } | undefined;
}

export function groupedDataset<const Name extends string>(spec: GroupedSpec<Name>): Dataset<Name> {
  const figures = spec.metrics.map((m) => figure(m, spec));
  /** The figures the query asks for; a `when` figure reads another's. */
  const asked = figures.filter((m) => !m.when);
  const rankIndex = figures.findIndex((m) => m.as === spec.rankBy.name);
  if (rankIndex < 0 || !figures[rankIndex]!.additive) throw new Error(`${spec.name}: rankBy must name an additive metric`);
  const additive = figures.filter((m) => m.additive);

  const fields: FieldDecl[] = [
    ...spec.dimensions.flatMap((d) => d.stored.fields),
    ...spec.metrics.map((m) => m.metric),
    ...(spec.sampled ? samplingFields : []),
    ...(spec.capped ? cappedFields : []),
    ...(spec.countConfidence ? confidenceFields : []),
  ];
  const breakdownChecks: BreakdownCheck[] = [{ breakdown: spec.breakdown, metrics: additive.map((m) => ({ entry: m.as, total: m.as })) }];

  function query(omit: ReadonlySet<string>, options: QueryOptions = {}): string {
    const dims = spec.dimensions.filter((d) => !omit.has(dimensionPath(d))).map((d) => d.field);
    const groups = new Map<string, string[]>();
    const top: string[] = [];
    for (const m of asked) {
      if (omit.has(availablePath(m.path))) continue;
      const [group, field] = m.path.split(".");
      if (field === undefined) top.push(group!);
      else groups.set(group!, [...(groups.get(group!) ?? []), field]);
    }
    if (spec.sampleInterval) groups.set("avg", [...(groups.get("avg") ?? []), "sampleInterval"]);
    if (spec.countConfidence && options.confidenceLevel !== undefined) top.push(`confidence(level: ${options.confidenceLevel}) { count { lower upper } }`);
    const filter = `datetimeMinute_geq: $from, datetimeMinute_lt: $to${spec.filter ? `, ${spec.filter}` : ""}`;
    const selection = `${spec.node}(limit: $limit, filter: { ${filter} }, orderBy: [datetimeMinute_ASC]) {
        dimensions { datetimeMinute ${dims.join(" ")} }
        ${[...top, ...[...groups].map(([group, list]) => `${group} { ${list.join(" ")} }`)].join("\n        ")}
      }`;
    return scopedQuery(spec.scope, operationName(spec.node), "Time", selection);
  }

  function rowUnit(row: unknown): number {
    const dimensions = asObject(asObject(row, spec.node).dimensions, `${spec.node}.dimensions`);
    return asUnitStart(dimensions.datetimeMinute, MINUTE, `${spec.node}.dimensions.datetimeMinute`);
  }

  function rowsOf(ownerObject: unknown): readonly unknown[] {
    return asArray(asObject(ownerObject, spec.scope)[spec.node], `${spec.scope}.${spec.node}`);
  }

  function parse(row: unknown, window: Window): ParsedRow {
    const r = asObject(row, spec.node);
    const dimensions = asObject(r.dimensions, `${spec.node}.dimensions`);
    const minute = asUnitStart(dimensions.datetimeMinute, MINUTE, `${spec.node}.dimensions.datetimeMinute`);
    if (minute < window.from || minute >= window.to) {
      throw new MalformedResponseError(`${spec.node}: row for ${new Date(minute).toISOString()} is outside the window asked for`);
    }
    const dims = spec.dimensions.map((d) => {
      const value = dimensions[d.field];
      if (value === undefined && d.optional) return undefined;
      const what = `${spec.node}.dimensions.${d.field}`;
      const read = d.stored.reads === "integer" ? asCount(value, what) : typeof value === "number" ? String(value) : asText(value, what);
      return d.transform ? d.transform(read) : read;
    });
    const metrics = figures.map((m) => {
      if (m.when && dims[m.when.index] === undefined) return undefined;
      if (m.when && !m.when.values.has(String(dims[m.when.index]))) return 0;
      const [group, field] = m.path.split(".");
      const holder = field === undefined ? r : (r[group!] as Record<string, unknown> | undefined);
      const value = holder?.[field ?? group!];
      if (value === undefined && m.optional) return undefined;
      return m.type === "long" ? asCount(value, `${spec.node}.${m.path}`) : asNumber(value, `${spec.node}.${m.path}`);
    });
    const sampleInterval = spec.sampleInterval ? asNumber(asObject(r.avg, `${spec.node}.avg`).sampleInterval, `${spec.node}.avg.sampleInterval`) : undefined;
    const count = r.confidence === undefined ? undefined : asObject(asObject(r.confidence, `${spec.node}.confidence`).count, `${spec.node}.confidence.count`);
    const confidence = count && {
      lower: asNumber(count.lower, `${spec.node}.confidence.count.lower`),
      upper: asNumber(count.upper, `${spec.node}.confidence.count.upper`),
    };
    // A dimension the plan refuses is not part of the key: the entry is what Cloudflare grouped by.
    return {
      minute,
      dims,
      key: dims
        .filter((v) => v !== undefined)
        .map(String)
        .join("|"),
      metrics,
      sampleInterval,
      confidence,
    };
  }

  /**
   * Two slices of one entry as one, by each figure's `merge` rule: counts and sums are summed, levels take the larger,
   * averages and quantiles become the mean of both weighted by the entry's main count (`rankBy`), or the plain mean
   * where neither slice has a count. A weighted mean of quantiles is an approximation (Cloudflare does not return
   * the distributions), which docs/fields.md states. Confidence bounds are summed (the bounds of a sum lie within
   * the sum of the bounds).
   */
  function merge(a: ParsedRow, b: ParsedRow): ParsedRow {
    const wa = a.metrics[rankIndex] ?? 0;
    const wb = b.metrics[rankIndex] ?? 0;
    const mean = (x: number, y: number): number => (wa + wb > 0 ? (x * wa + y * wb) / (wa + wb) : (x + y) / 2);
    const metrics = figures.map((m, i) => {
      const x = a.metrics[i];
      const y = b.metrics[i];
      if (x === undefined || y === undefined) return x ?? y;
      const rule = m.merge;
      if (rule === "max") return Math.max(x, y);
      if (rule === "sum") return m.type === "long" ? x + y : roundFloat(x + y);
      return roundFloat(mean(x, y));
    });
    const sampleInterval =
      a.sampleInterval !== undefined && b.sampleInterval !== undefined ? mean(a.sampleInterval, b.sampleInterval) : (a.sampleInterval ?? b.sampleInterval);
    const confidence =
      a.confidence && b.confidence
        ? { lower: a.confidence.lower + b.confidence.lower, upper: a.confidence.upper + b.confidence.upper }
        : (a.confidence ?? b.confidence);
    return { ...a, metrics, sampleInterval, confidence };
  }

  function base(owner: Owner, minute: number, breakdown: string): Record<string, FieldValue> {
    const fields: Record<string, FieldValue> = {
      "@timestamp": new Date(minute).toISOString(),
      "cloudflare.dataset": spec.name,
      ...ownerFields(owner),
      "cloudflare.breakdown": breakdown,
      ...ecsFields(spec.name),
    };
    if (spec.sampled) fields["cloudflare.sampled"] = true;
    return fields;
  }

  const doc = (owner: Owner, minute: number, breakdown: string, key: string, fields: Record<string, FieldValue>): ExportDocument => ({
    id: documentId([spec.name, owner.id, new Date(minute).toISOString().slice(0, 16), breakdown, key]),
    dataset: spec.name,
    timestamp: minute,
    fields,
  });

  function entry(owner: Owner, row: ParsedRow): ExportDocument {
    const fields = base(owner, row.minute, spec.breakdown);
    fields["cloudflare.key"] = row.key;
    spec.dimensions.forEach((d, i) => {
      const v = row.dims[i];
      if (v !== undefined) Object.assign(fields, d.stored.store(v));
    });
    figures.forEach((m, i) => {
      const v = row.metrics[i];
      if (v !== undefined) fields[m.as] = v;
    });
    if (row.sampleInterval !== undefined) fields["cloudflare.sample_interval"] = row.sampleInterval;
    if (row.confidence) {
      fields["cloudflare.confidence.lower"] = row.confidence.lower;
      fields["cloudflare.confidence.upper"] = row.confidence.upper;
    }
    return doc(owner, row.minute, spec.breakdown, row.key, fields);
  }

  /** Sums the additive metrics of rows into `fields`; only metrics the rows carry (a refused one stays absent). */
  function addUp(fields: Record<string, FieldValue>, rows: readonly ParsedRow[], omit: ReadonlySet<string> = new Set()): void {
    figures.forEach((m, i) => {
      if (!m.additive) return;
      let sum = 0;
      // A minute without rows is a true zero, of the figures the query asked for.
      let seen = rows.length === 0 && !omit.has(availablePath(m.path));
      for (const row of rows) {
        const v = row.metrics[i];
        if (v !== undefined) {
          sum += v;
          seen = true;
        }
      }
      if (seen) fields[m.as] = m.type === "long" ? sum : roundFloat(sum);
    });
    const intervals = rows.map((r) => r.sampleInterval).filter((v): v is number => v !== undefined);
    if (intervals.length > 0) fields["cloudflare.sample_interval"] = Math.max(...intervals);
  }

  function other(owner: Owner, minute: number, rest: readonly ParsedRow[]): ExportDocument {
    const fields = base(owner, minute, spec.breakdown);
    fields["cloudflare.key"] = OTHER;
    fields["cloudflare.other_entries"] = rest.length;
    addUp(fields, rest);
    return doc(owner, minute, spec.breakdown, OTHER, fields);
  }

  function flatten(rows: readonly unknown[], owner: Owner, window: Window, options: FlattenOptions): Flattened {
    const byMinute = new Map<number, Map<string, ParsedRow>>();
    for (const row of rows) {
      const parsed = parse(row, window);
      const minute = byMinute.get(parsed.minute) ?? new Map<string, ParsedRow>();
      byMinute.set(parsed.minute, minute);
      // Rows of one minute with the same key are slices of one entry (e.g. a dimension that tells them apart was
      // left out): one document per key, with the figures merged.
      const seen = minute.get(parsed.key);
      minute.set(parsed.key, seen ? merge(seen, parsed) : parsed);
    }
    const rank = (a: ParsedRow, b: ParsedRow): number =>
      (b.metrics[rankIndex] ?? 0) - (a.metrics[rankIndex] ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const topN = spec.topN ?? options.topN;
    return {
      entries: {
        *[Symbol.iterator]() {
          for (const [minute, keyed] of byMinute) {
            const list = [...keyed.values()];
            const sorted = spec.capped && list.length > topN ? [...list].sort(rank) : list;
            const kept = spec.capped ? sorted.slice(0, topN) : sorted;
            for (const row of kept) yield entry(owner, row);
            if (kept.length < sorted.length) yield other(owner, minute, sorted.slice(kept.length));
          }
        },
      },
      totals: {
        *[Symbol.iterator]() {
          for (let minute = window.from; minute < window.to; minute += MINUTE) {
            const fields = base(owner, minute, "total");
            addUp(fields, [...(byMinute.get(minute)?.values() ?? [])], options.omit);
            yield doc(owner, minute, "total", "", fields);
          }
        },
      },
    };
  }

  return {
    name: spec.name,
    node: spec.node,
    scope: spec.scope,
    unit: MINUTE,
    sampled: spec.sampled,
    description: spec.description,
    fields,
    breakdownChecks,
    rowsPerUnit: spec.rowsPerMinute,
    optionalFields: [...spec.dimensions.filter((d) => d.optional).map(dimensionPath), ...asked.filter((m) => m.optional).map((m) => availablePath(m.path))],
    requiredFields: [...spec.dimensions.filter((d) => !d.optional).map(dimensionPath), ...asked.filter((m) => !m.optional).map((m) => availablePath(m.path))],
    ...(spec.standInFor ? { standInFor: spec.standInFor } : {}),
    ...(spec.optIn ? { optIn: true } : {}),
    timeType: "Time",
    query,
    rowsOf,
    rowUnit,
    flatten,
  };
}

/** `firewallEventsAdaptiveGroups` -> `FirewallEventsAdaptiveGroups`, a readable operation name in Cloudflare's logs. */
function operationName(node: string): string {
  return node[0]!.toUpperCase() + node.slice(1);
}

/** Sums of floats (GB-seconds, milliseconds) drift in the last bits; six decimals is far below any real precision. */
function roundFloat(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
