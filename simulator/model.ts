/**
 * What a node offers, read from the simulator's schema (so a node's fields are exactly Cloudflare's): its time and
 * other dimensions with their types, its aggregate sections (`count`, `sum`, `avg`, `max`, `min`, `quantiles`,
 * `ratio`, `uniq`, `confidence`) and the leaf paths `settings.availableFields` lists.
 */

import { GraphQLList, GraphQLNonNull, GraphQLObjectType, getNamedType, type GraphQLSchema, type GraphQLType } from "graphql";
import type { DimValue, FieldUnits } from "./filters.js";
import { rowTypeName, scopeOf, type Scope } from "./options.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Granularity of the adaptive nodes' time dimensions. `datetime` is the event's own time, to the second (Cloudflare
 * shows e.g. "2020-05-04T18:10:49Z"); the others are floors.
 */
const ADAPTIVE_TIME_UNITS: FieldUnits = {
  datetime: 1000,
  datetimeMinute: MINUTE_MS,
  datetimeFiveMinutes: 5 * MINUTE_MS,
  datetimeFifteenMinutes: 15 * MINUTE_MS,
  datetimeHalfOfHour: 30 * MINUTE_MS,
  datetimeHour: HOUR_MS,
  datetimeSixHours: 6 * HOUR_MS,
  datetimeDay: DAY_MS,
  date: DAY_MS,
};

export interface Leaf {
  readonly name: string;
  /** The GraphQL scalar: `uint64`, `float32`, `string`, `Time`, ... */
  readonly scalar: string;
  readonly list: boolean;
}

/** Aggregate sections that hold per-field numbers. */
export const SECTIONS = ["sum", "avg", "max", "min", "quantiles", "ratio", "uniq"] as const;
export type Section = (typeof SECTIONS)[number];

export interface NodeModel {
  readonly node: string;
  readonly scope: Scope;
  readonly typeName: string;
  /** Time dimensions and their granularity. */
  readonly units: FieldUnits;
  /** Every dimension (time ones included), in the schema's order. */
  readonly dims: ReadonlyMap<string, Leaf>;
  /** Values of dimensions that do not apply to an event: "" / 0 / [] by type. */
  readonly fallbacks: ReadonlyMap<string, DimValue>;
  readonly count: boolean;
  readonly sections: ReadonlyMap<Section, readonly Leaf[]>;
  /** `confidence(level)`: whether it has `count`, and its `sum` fields. */
  readonly confidence: { readonly count: boolean; readonly sum: readonly string[] } | undefined;
  /** `settings.availableFields` of an unrestricted tag: leaf paths joined with "_". */
  readonly leafPaths: readonly string[];
}

const INTEGER = /^u?int\d+$/;
export const isInteger = (scalar: string): boolean => INTEGER.test(scalar);

function leafOf(name: string, type: GraphQLType): Leaf {
  let t = type;
  let list = false;
  while (t instanceof GraphQLNonNull || t instanceof GraphQLList) {
    if (t instanceof GraphQLList) list = true;
    t = t.ofType;
  }
  return { name, scalar: getNamedType(t).name, list };
}

function objectFields(type: GraphQLType | undefined): Leaf[] {
  if (!type) return [];
  const named = getNamedType(type);
  if (!(named instanceof GraphQLObjectType)) return [];
  return Object.values(named.getFields()).map((f) => leafOf(f.name, f.type));
}

/** The node's leaf paths, as `settings.availableFields` lists them (nested names joined by "_"). */
function leafPaths(type: GraphQLType): string[] {
  const out: string[] = [];
  const walk = (t: GraphQLType, prefix: string): void => {
    const named = getNamedType(t);
    if (!(named instanceof GraphQLObjectType)) {
      out.push(prefix);
      return;
    }
    for (const field of Object.values(named.getFields())) walk(field.type, prefix ? `${prefix}_${field.name}` : field.name);
  };
  walk(type, "");
  return out;
}

const cache = new WeakMap<GraphQLSchema, Map<string, NodeModel>>();

export function nodeModel(schema: GraphQLSchema, node: string): NodeModel {
  let models = cache.get(schema);
  if (!models) cache.set(schema, (models = new Map<string, NodeModel>()));
  let model = models.get(node);
  if (model) return model;

  const typeName = rowTypeName(node);
  const row = schema.getType(typeName);
  if (!(row instanceof GraphQLObjectType)) throw new Error(`the simulator schema has no ${typeName}`);
  const fields = row.getFields();
  const dims = new Map(objectFields(fields["dimensions"]?.type).map((l) => [l.name, l]));
  const units: Record<string, number> = {};
  const fallbacks = new Map<string, DimValue>();
  for (const d of dims.values()) {
    if (d.scalar === "Time" || d.scalar === "Date") units[d.name] = ADAPTIVE_TIME_UNITS[d.name] ?? MINUTE_MS;
    else fallbacks.set(d.name, d.list ? [] : INTEGER.test(d.scalar) || d.scalar.startsWith("float") ? 0 : "");
  }
  const sections = new Map<Section, Leaf[]>();
  for (const s of SECTIONS) if (fields[s]) sections.set(s, objectFields(fields[s].type));
  const confidenceType = fields["confidence"] ? getNamedType(fields["confidence"].type) : undefined;
  let confidence: NodeModel["confidence"];
  if (confidenceType instanceof GraphQLObjectType) {
    const c = confidenceType.getFields();
    confidence = { count: Boolean(c["count"]), sum: objectFields(c["sum"]?.type).map((l) => l.name) };
  }
  model = {
    node,
    scope: scopeOf(node),
    typeName,
    units,
    dims,
    fallbacks,
    count: Boolean(fields["count"]),
    sections,
    confidence,
    leafPaths: leafPaths(row),
  };
  models.set(node, model);
  return model;
}
