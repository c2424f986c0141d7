/**
 * The Elasticsearch mapping and the time-series settings, generated from the datasets' field declarations; never
 * written by hand. Dimensions are marked `time_series_dimension`, metrics `time_series_metric: gauge` (each document
 * holds one unit's absolute value, not a running counter). Standard indices accept and ignore both parameters, so one
 * mapping serves both index modes; but Elasticsearch cannot add or remove them on an existing field, so indices made
 * before the parameters existed only ever get missing fields added (`missingProperties`).
 */
import type { FieldDecl } from "../datasets/fields.js";

export interface MappingProperty {
  type?: string;
  time_series_dimension?: boolean;
  time_series_metric?: "gauge";
  properties?: Record<string, MappingProperty>;
}

/** `timeSeries: false` for indices that are never time series (the run records), whose mapping predates the parameters. */
export function mappingProperties(fields: readonly FieldDecl[], timeSeries = true): Record<string, MappingProperty> {
  const root: Record<string, MappingProperty> = {};
  for (const field of fields) {
    const parts = field.name.split(".");
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const node = (level[part] ??= { properties: {} });
      if (!node.properties) throw new Error(`field ${field.name}: ${part} is declared as a leaf and as an object`);
      level = node.properties;
    }
    const leaf = parts[parts.length - 1]!;
    if (level[leaf]) throw new Error(`field ${field.name} is declared twice`);
    level[leaf] = {
      type: field.type,
      ...(timeSeries && field.role === "dimension" ? { time_series_dimension: true } : {}),
      ...(timeSeries && field.role === "metric" ? { time_series_metric: "gauge" as const } : {}),
    };
  }
  return root;
}

/** The declared properties an existing mapping lacks (nested the same way), or undefined when it has them all. */
export function missingProperties(
  declared: Record<string, MappingProperty>,
  existing: Record<string, MappingProperty> | undefined,
): Record<string, MappingProperty> | undefined {
  const missing: Record<string, MappingProperty> = {};
  for (const [name, property] of Object.entries(declared)) {
    const have = existing?.[name];
    if (!have) missing[name] = property;
    else if (property.properties) {
      const inner = missingProperties(property.properties, have.properties);
      if (inner) missing[name] = { properties: inner };
    }
  }
  return Object.keys(missing).length > 0 ? missing : undefined;
}

/**
 * The settings that make a new index a time-series index covering `[start, end)`: the period its name stands for.
 * Routing by owner and dataset (every document has one of them) spreads owners over shards if a cluster raises the
 * template's single shard; `_id` is derived from all dimensions and `@timestamp`.
 */
export function timeSeriesSettings(start: number, end: number): Record<string, unknown> {
  return {
    "index.mode": "time_series",
    "index.routing_path": ["cloudflare.dataset", "cloudflare.zone.id", "cloudflare.account.id"],
    "index.time_series.start_time": new Date(start).toISOString(),
    "index.time_series.end_time": new Date(end).toISOString(),
  };
}
