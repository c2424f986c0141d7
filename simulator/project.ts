/**
 * Projects rows onto a query's selection. graphql-js would call a resolver per field of every row, which is slow for
 * 10,000-row answers; instead the dataset resolver answers graphql-js with an empty list and fills the rows in afterwards
 * with a plan compiled once per node. The plan follows GraphQL's field collection rules: aliases, fragments,
 * `@skip`/`@include`, merged fields and `__typename`. A field with arguments (`confidence(level: 0.95)`) gets them
 * coerced, and a row value that is a function is called with them.
 */

import {
  GraphQLIncludeDirective,
  GraphQLObjectType,
  GraphQLSkipDirective,
  Kind,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export interface PlanField {
  key: string;
  name: string;
  /** Set for `__typename`. */
  typename?: string;
  /** Set for object-typed fields (objects and lists of objects). */
  sub?: PlanField[];
  /** Coerced arguments of a field that has any. */
  args?: Record<string, unknown>;
}

export interface PlanContext {
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** The response plan of `nodes` (the field nodes graphql-js merged for one response key) on objects of `type`. */
export function compilePlan(type: GraphQLObjectType, nodes: readonly FieldNode[], ctx: PlanContext): PlanField[] {
  const byKey = new Map<string, FieldNode[]>();
  for (const node of nodes) collect(node.selectionSet, ctx, byKey);
  const plan: PlanField[] = [];
  for (const [key, group] of byKey) {
    const name = group[0]!.name.value;
    if (name === "__typename") {
      plan.push({ key, name, typename: type.name });
      continue;
    }
    const def = type.getFields()[name]!; // the query is validated: the field exists
    const field: PlanField = { key, name };
    if (def.args.length > 0) field.args = getArgumentValues(def, group[0]!, ctx.variables);
    const fieldType = getNamedType(def.type);
    if (fieldType instanceof GraphQLObjectType) field.sub = compilePlan(fieldType, group, ctx);
    plan.push(field);
  }
  return plan;
}

function collect(set: SelectionSetNode | undefined, ctx: PlanContext, out: Map<string, FieldNode[]>): void {
  for (const s of set?.selections ?? []) {
    if (!included(s, ctx)) continue;
    if (s.kind === Kind.FIELD) {
      const key = s.alias?.value ?? s.name.value;
      const group = out.get(key);
      if (group) group.push(s);
      else out.set(key, [s]);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      collect(s.selectionSet, ctx, out);
    } else {
      collect(ctx.fragments[s.name.value]?.selectionSet, ctx, out);
    }
  }
}

function included(node: Parameters<typeof getDirectiveValues>[1], ctx: PlanContext): boolean {
  if (!node.directives || node.directives.length === 0) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, ctx.variables)?.["if"] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, ctx.variables)?.["if"] !== false;
}

/** The response object for one source object. Scalars pass through: the simulator's values are already JSON. */
export function applyPlan(plan: readonly PlanField[], source: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = source as Record<string, unknown>;
  for (const f of plan) {
    let v = f.typename ?? values[f.name];
    if (typeof v === "function") v = (v as (args: Record<string, unknown>) => unknown)(f.args ?? {});
    if (!f.sub || v === null || v === undefined) out[f.key] = v ?? null;
    else if (Array.isArray(v)) out[f.key] = v.map((item: object) => applyPlan(f.sub!, item));
    else out[f.key] = applyPlan(f.sub, v);
  }
  return out;
}

/** The names of the fields a plan selects under every field called `name` (aliases merged), or undefined if none. */
export function selectedUnder(plan: readonly PlanField[], name: string): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const f of plan) {
    if (f.name !== name) continue;
    out ??= new Set();
    for (const s of f.sub ?? []) if (s.name !== "__typename") out.add(s.name);
  }
  return out;
}

/** Every leaf the plan selects, as an `availableFields` path (field names joined by "_"; aliases do not count). */
export function leafPaths(plan: readonly PlanField[], prefix = "", out: Set<string> = new Set()): Set<string> {
  for (const f of plan) {
    if (f.typename !== undefined) continue;
    const path = prefix ? `${prefix}_${f.name}` : f.name;
    if (f.sub) leafPaths(f.sub, path, out);
    else out.add(path);
  }
  return out;
}

/**
 * How many fields a node selection has, for `enforceFieldCap`: every leaf the plan selects, one per response key
 * (dimensions; sum, avg, uniq, quantiles, max, min and ratio leaves; each leaf inside a map or `confidence` selection,
 * so `countryMap { clientCountryName requests bytes }` is 3; `count` is 1); `__typename` does not count. Cloudflare
 * does not publish how it counts towards `maxNumberOfFields`: this is our model. The exporter's 1m rollup query has
 * 30 leaves by it, and Cloudflare's default cap is 30.
 */
export function leafCount(plan: readonly PlanField[]): number {
  let n = 0;
  for (const f of plan) {
    if (f.typename !== undefined) continue;
    n += f.sub ? leafCount(f.sub) : 1;
  }
  return n;
}
