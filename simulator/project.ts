/**
 * Fast completion of dataset rows.
 *
 * Why this exists: graphql-js completes every field of every row separately (argument values, type checks, promise
 * checks). A full httpRequests1mGroups row has about 150 fields with its maps, so one day of 10 zones took about 2 s,
 * and the integration tests and benchmark ask for about a million rows. A row's subtree has no arguments, unions or
 * interfaces, only objects, lists and scalars. The simulator therefore still validates and executes the whole query
 * with graphql-js, but the dataset resolver answers graphql-js with an empty list and fills the rows in afterwards
 * with a plan compiled once per node. The plan follows GraphQL's field collection rules: aliases, fragments,
 * `@skip`/`@include`, merged fields and `__typename`.
 */

import {
  GraphQLIncludeDirective, GraphQLObjectType, GraphQLSkipDirective, Kind, getDirectiveValues, getNamedType,
  type FieldNode, type FragmentDefinitionNode, type SelectionSetNode,
} from "graphql";

interface PlanField {
  key: string;
  name: string;
  /** Set for `__typename`. */
  typename?: string;
  /** Set for object-typed fields (objects and lists of objects). */
  sub?: PlanField[];
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
    const fieldType = getNamedType(type.getFields()[name]!.type); // the query is validated: the field exists
    plan.push(fieldType instanceof GraphQLObjectType ? { key, name, sub: compilePlan(fieldType, group, ctx) } : { key, name });
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
    const v = f.typename ?? values[f.name];
    if (!f.sub || v === null || v === undefined) out[f.key] = v ?? null;
    else if (Array.isArray(v)) out[f.key] = v.map((item: object) => applyPlan(f.sub!, item));
    else out[f.key] = applyPlan(f.sub, v as object);
  }
  return out;
}
