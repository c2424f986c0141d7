/**
 * Field declarations: every field a document can carry is declared once, with its type, its role and (for metrics)
 * how it adds up. Fields several datasets share are declared once in shared-fields.ts; a dataset's own fields beside
 * the dataset. The Elasticsearch mapping and its time-series parameters (sinks/mapping.ts), docs/fields.md and the
 * dashboards' field checks are generated from these declarations, and a test fails when a document carries a field
 * that is not declared.
 */

export type FieldType = "date" | "keyword" | "long" | "integer" | "double" | "boolean";

/**
 * How a metric adds up:
 * - `sum`: over the entries of a unit and over time (counts, sums): a range's total is the sum of its units;
 * - `level`: over the entries of one unit, not over time (storage held at that minute): chart the latest or the peak;
 * - `none`: not at all (uniques, averages, quantiles, sample intervals, confidence bounds).
 */
export type Additivity = "sum" | "level" | "none";

interface Common {
  /** Dotted path, e.g. `cloudflare.requests`. */
  readonly name: string;
  readonly description: string;
}

/**
 * A field and its role:
 * - `time`: `@timestamp`, the start of the unit the figures belong to;
 * - `dimension`: identifies what a document's figures are of (the owner, the breakdown, the entry and the values it
 *   stands for); a time-series index derives the document's `_id` from its dimensions and `@timestamp`;
 * - `metric`: a figure (stored as a gauge: every document holds the unit's absolute value, never a running count);
 * - `label`: describes a document without telling it from another (a configured name, a constant, a flag).
 */
export type FieldDecl =
  | (Common & { readonly role: "time"; readonly type: "date" })
  | (Common & { readonly role: "dimension"; readonly type: "keyword" | "integer" | "long" })
  | (Common & { readonly role: "label"; readonly type: "keyword" | "boolean" | "date" | "long" | "integer" })
  | (Common & { readonly role: "metric"; readonly type: "long" | "integer" | "double"; readonly additivity: Additivity });

export type MetricDecl = Extract<FieldDecl, { role: "metric" }>;

export const dimension = (name: string, type: "keyword" | "integer" | "long", description: string): FieldDecl => ({
  name,
  role: "dimension",
  type,
  description,
});
export const label = (name: string, type: "keyword" | "boolean" | "date" | "long" | "integer", description: string): FieldDecl => ({
  name,
  role: "label",
  type,
  description,
});
export const metric = (name: string, type: "long" | "integer" | "double", additivity: Additivity, description: string): MetricDecl => ({
  name,
  role: "metric",
  type,
  additivity,
  description,
});

/** Whether a field's values may be summed over time (the dashboards' rule: anything else is shown as a peak or a level). */
export const summable = (field: FieldDecl): boolean => field.role !== "metric" || field.additivity === "sum";

/** The ECS version the documents' ECS fields follow (`ecs.version`). */
const ECS_VERSION = "9.0.0";

/** Fields every document of every dataset carries (or may carry, for `cloudflare.key`). */
export const commonFields: readonly FieldDecl[] = [
  { name: "@timestamp", role: "time", type: "date", description: "Start of the minute (UTC) the figures belong to; never the time of the run." },
  dimension("cloudflare.dataset", "keyword", "Which Cloudflare dataset the document comes from, e.g. `http_requests`."),
  dimension("cloudflare.zone.id", "keyword", "Cloudflare zone tag (zone-scoped datasets)."),
  label("cloudflare.zone.name", "keyword", "Zone name as configured (`CF_ZONES` or the config file)."),
  dimension("cloudflare.account.id", "keyword", "Cloudflare account tag (account-scoped datasets: Workers, R2, Logpush)."),
  label("cloudflare.account.name", "keyword", "Account name as configured (`CF_ACCOUNTS` or the config file)."),
  dimension("cloudflare.breakdown", "keyword", "`total` for the minute's totals, otherwise the map the document is an entry of (`country`, `status`, ...)."),
  dimension(
    "cloudflare.key",
    "keyword",
    "The entry's key as Cloudflare gives it (country code, status code, content type, ...); entries Cloudflare lists twice under one key are summed into one. " +
      "`__unattributed__`: the part of the total Cloudflare's breakdown does not cover (a partial map), so every breakdown adds up to its total. Absent on `total` documents.",
  ),
  label("event.dataset", "keyword", "ECS: `cloudflare.<dataset>`, e.g. `cloudflare.http_requests`."),
  label("event.module", "keyword", "ECS: always `cloudflare`."),
  label("event.kind", "keyword", "ECS: always `metric` (each document holds one unit's figures)."),
  label("ecs.version", "keyword", `ECS: the version of the Elastic Common Schema the ECS fields follow (\`${ECS_VERSION}\`).`),
];

/** The ECS fields every data document carries: constants of the dataset. */
export function ecsFields(dataset: string): Record<string, string> {
  return { "event.dataset": `cloudflare.${dataset}`, "event.module": "cloudflare", "event.kind": "metric", "ecs.version": ECS_VERSION };
}

/** The key of the entry holding what a partial breakdown leaves of its total. */
export const UNATTRIBUTED = "__unattributed__";

/** Fields of the sampled ("Adaptive") datasets, whose figures are Cloudflare's estimates, not exact counts. */
export const samplingFields: readonly FieldDecl[] = [
  label("cloudflare.sampled", "boolean", "`true` on every document of a sampled (Adaptive) dataset: the figures are Cloudflare's extrapolated estimates."),
  metric(
    "cloudflare.sample_interval",
    "double",
    "none",
    "Cloudflare's average sample interval for the figures (1 = every event counted, 10 = one in ten). On `total`: the largest of the minute's entries.",
  ),
];

/** Confidence bounds of a sampled count (`CF_CONFIDENCE_LEVEL`); on entries only, since bounds do not add up. */
export const confidenceFields: readonly FieldDecl[] = [
  metric(
    "cloudflare.confidence.lower",
    "double",
    "none",
    "Lower bound of the entry's count at the configured confidence level (`CF_CONFIDENCE_LEVEL`); absent unless asked for.",
  ),
  metric("cloudflare.confidence.upper", "double", "none", "Upper bound of the entry's count at the configured confidence level; absent unless asked for."),
];

/** Fields of breakdowns capped to the top N entries per minute (`CF_TOP_N`). */
export const cappedFields: readonly FieldDecl[] = [
  metric("cloudflare.other_entries", "long", "none", "On the `__other__` entry of a capped breakdown: how many entries beyond the top N it sums up."),
];

const sameDecl = (a: FieldDecl, b: FieldDecl): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * All declarations of the given datasets plus the common ones, sorted by name. A name declared twice must be the
 * same declaration (a shared field is declared once, in shared-fields.ts, and used by reference).
 */
export function mergeFields(groups: readonly (readonly FieldDecl[])[]): FieldDecl[] {
  const byName = new Map<string, FieldDecl>();
  for (const decl of [commonFields, ...groups].flat()) {
    const seen = byName.get(decl.name);
    if (seen && seen.type !== decl.type) {
      throw new Error(`field ${decl.name} is declared as ${seen.type} and as ${decl.type}; one name, one type`);
    }
    if (seen && !sameDecl(seen, decl)) {
      throw new Error(`field ${decl.name} is declared twice with different roles or descriptions; declare it once (src/datasets/shared-fields.ts)`);
    }
    if (!seen) byName.set(decl.name, decl);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
