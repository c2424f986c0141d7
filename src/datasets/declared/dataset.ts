/**
 * A user-declared dataset (the config file's `customDatasets`, checked by config/declared.ts against Cloudflare's
 * schema) as a `Dataset`: a declaration for `groupedDataset`, exactly like the built-in grouped ones, so it gets the
 * same windows, sampling marks, top-N cap with its exact `__other__` remainder, re-reads, stale entries, `check` and
 * `--dry-run` cost.
 *
 * Its fields are named after Cloudflare's own, so a declaration reads like the query it makes:
 * - dimension `cacheStatus` -> `cloudflare.dimensions.cacheStatus` (keyword; integers as `long`);
 * - figure `count` -> `cloudflare.metrics.count`, `sum.edgeResponseBytes` -> `cloudflare.metrics.sum.edgeResponseBytes`.
 * Counts and sums add up (`sum`): over a minute's entries to its total, and over time. Averages and quantiles do not
 * (`none`): they are on the entries only, never summed into a total.
 */
import type { Dataset, Scope } from "../dataset.js";
import { dimension, metric, type MetricDecl } from "../fields.js";
import { groupedDataset, type DimensionSpec } from "../grouped.js";
import { pathPrefix } from "../paths.js";
import { asIs } from "../shared-fields.js";
import { isCount } from "./schema.js";

export interface DeclaredDimension {
  /** Cloudflare's dimension field. */
  readonly field: string;
  /** Its type in Cloudflare's schema (`string`, `uint16`, ...). */
  readonly type: string;
  /** Keep only the first N segments of the (path) value, `/*` where more followed (paths.ts `pathPrefix`). */
  readonly pathPrefix?: number;
}

export interface DeclaredMetric {
  /** `count`, or `<group>.<field>` with group `sum`, `avg` or `quantiles`. */
  readonly path: string;
  readonly type: string;
}

/** A declaration after the configuration checked it against the schema digest. */
export interface Declaration {
  readonly name: string;
  readonly node: string;
  readonly scope: Scope;
  readonly dimensions: readonly DeclaredDimension[];
  readonly metrics: readonly DeclaredMetric[];
  /** GraphQL filter terms (`requestSource: "eyeball"`), rendered from the declaration's mapping. */
  readonly filter?: string;
  /** Entries kept per minute; CF_TOP_N when absent. */
  readonly topN?: number;
  /** The additive metric the top N is ranked by (its path). */
  readonly rankBy: string;
  /** The node offers confidence bounds of its count. */
  readonly confidence: boolean;
  /** The node has `avg.sampleInterval`. */
  readonly sampleInterval: boolean;
}

/** Whether a declared figure adds up over entries and time. */
export const additive = (path: string): boolean => path === "count" || path.startsWith("sum.");

const dimensionField = (field: string): string => `cloudflare.dimensions.${field}`;
const metricField = (path: string): string => `cloudflare.metrics.${path}`;

function storedDimension(d: DeclaredDimension): DimensionSpec {
  // Unsigned integers (status codes, ASNs) as numbers, so ranges work; anything else as Cloudflare's text.
  const integer = isCount(d.type);
  const description =
    `Cloudflare's \`${d.field}\` dimension (a user-declared dataset: \`customDatasets\`), as Cloudflare gives it` +
    (integer ? "." : "; the first segments only where the declaration gives a `pathPrefix`.");
  const stored = asIs(dimension(dimensionField(d.field), integer ? "long" : "keyword", description));
  const segments = d.pathPrefix;
  return segments === undefined ? { field: d.field, stored } : { field: d.field, stored, transform: (value) => pathPrefix(String(value), segments) };
}

function metricDecl(m: DeclaredMetric): MetricDecl {
  const sums = additive(m.path);
  const type = m.path === "count" || (sums && isCount(m.type)) ? "long" : "double";
  const description = sums
    ? `Cloudflare's \`${m.path}\` (a user-declared dataset): adds up over a minute's entries to its total, and over time.`
    : `Cloudflare's \`${m.path}\` (a user-declared dataset): on entries only; never summed (an average or quantile of the entry's events).`;
  return metric(metricField(m.path), type, sums ? "sum" : "none", description);
}

export function declaredDataset(d: Declaration): Dataset {
  const metrics = d.metrics.map((m) => ({ path: m.path, metric: metricDecl(m) }));
  const rankBy = metrics.find((m) => m.path === d.rankBy)!.metric;
  const dims = d.dimensions.map((x) =>
    x.pathPrefix === undefined ? x.field : `${x.field} (its first ${x.pathPrefix === 1 ? "segment" : `${x.pathPrefix} segments`})`,
  );
  return groupedDataset({
    name: d.name,
    node: d.node,
    scope: d.scope,
    description: `User-declared: ${d.node} per ${d.scope} and minute by ${dims.join(", ")}; ${d.metrics.map((m) => m.path).join(", ")}; the top N of each minute; sampled.`,
    breakdown: d.name,
    ...(d.filter === undefined ? {} : { filter: d.filter }),
    dimensions: d.dimensions.map(storedDimension),
    metrics,
    rankBy,
    capped: true,
    sampled: true,
    sampleInterval: d.sampleInterval,
    // Rows per minute before the cap (a full page is split anyway); a guess for window sizing, not a limit.
    rowsPerMinute: 200,
    countConfidence: d.confidence && d.metrics.some((m) => m.path === "count"),
    ...(d.topN === undefined ? {} : { topN: d.topN }),
  });
}
