/**
 * The simulator's resolvers: `viewer` → `zones` / `accounts` → dataset nodes and `settings`, with the limits
 * Cloudflare enforces per scope and node, reported with Cloudflare's messages. graphql-js' default resolver calls these
 * classes' methods with (args, context, info).
 */

import {
  GraphQLObjectType,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  responsePathAsArray,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { adaptiveRows, type Needed } from "./adaptive.js";
import { CloudflareError, MESSAGES, fieldCapMessage } from "./errors.js";
import type { OwnerCharge } from "./faults.js";
import { compileFilter, requestedRange, splitKey, type TimeFilter } from "./filters.js";
import { buildRows, fieldsOf, SHAPES } from "./groups.js";
import { SECTIONS, nodeModel } from "./model.js";
import {
  PLAN_REFUSED_FIELDS,
  SERVED_ACCOUNT_NODES,
  SERVED_NODES,
  SERVED_ZONE_NODES,
  effectiveSettings,
  isRollup,
  isServed,
  scopeOf,
  type DatasetSettings,
  type Scope,
  type SimulatorConfig,
} from "./options.js";
import { applyPlan, compilePlan, leafCount, leafPaths, selectedUnder, type PlanField } from "./project.js";
import { markHuge, splitGroupRows } from "./shapes.js";

/** What every resolver of one request shares. */
export interface RequestContext {
  readonly config: SimulatorConfig;
  /** The simulator's clock, read once so all scopes and nodes of a request see the same instant. */
  readonly now: number;
  readonly schema: GraphQLSchema;
  /** Dataset rows to put into the response after execution, at their response path (see project.ts). */
  readonly rows: { path: readonly (string | number)[]; rows: Record<string, unknown>[] }[];
}

type Args = Readonly<Record<string, unknown>>;

export function rootValue(cost: number, budgetLeft: number): { cost: number; viewer: Viewer } {
  return { cost, viewer: new Viewer(budgetLeft) };
}

class Viewer {
  constructor(private readonly left: number) {}

  /**
   * What is left of the per-user query budget; refused when `hideBudget` models a Cloudflare that does not say. With
   * account-based rate limiting too (its meaning in that mode is undocumented: our model keeps the per-user figure).
   */
  budget(_args: Args, ctx: RequestContext): number {
    if (ctx.config.hideBudget) throw new CloudflareError("unknown field budget", "parse");
    return this.left;
  }

  zones(args: Args, ctx: RequestContext): Zone[] {
    return selectZones(args, ctx.config.maxZonesPerQuery).map((tag) => new Zone(tag));
  }

  accounts(args: Args, _ctx: RequestContext, info: GraphQLResolveInfo): Account[] {
    const tag = accountTagOf(args);
    const all = requestAccountTags(info.schema, info.operation, info.fragments, info.variableValues);
    if (all.size > 1) throw new CloudflareError(MESSAGES.tooManyAccounts, "limit");
    return [new Account(tag)];
  }
}

/** A zone or an account: the owner of dataset nodes. */
abstract class Owner {
  abstract readonly scope: Scope;
  abstract readonly tag: string;

  settings(_args: Args, ctx: RequestContext): Record<string, ReturnType<typeof settingsNode>> {
    const out: Record<string, ReturnType<typeof settingsNode>> = {};
    // Computed when graphql-js reads one: a scope serves over a hundred nodes, a query asks for a few.
    for (const node of this.scope === "zone" ? SERVED_ZONE_NODES : SERVED_ACCOUNT_NODES) {
      Object.defineProperty(out, node, { enumerable: true, get: () => settingsNode(this, node, ctx) });
    }
    return out;
  }
}

class Zone extends Owner {
  readonly scope = "zone";
  constructor(readonly zoneTag: string) {
    super();
  }
  get tag(): string {
    return this.zoneTag;
  }
}

class Account extends Owner {
  readonly scope = "account";
  constructor(readonly accountTag: string) {
    super();
  }
  get tag(): string {
    return this.accountTag;
  }
}

// Every dataset node is a method of its scope's class: graphql-js' default resolver calls it with (args, ctx, info).
for (const node of SERVED_NODES) {
  const target = (scopeOf(node) === "zone" ? Zone : Account).prototype as unknown as Record<string, unknown>;
  target[node] = function resolve(this: Owner, args: Args, ctx: RequestContext, info: GraphQLResolveInfo): [] {
    return datasetNode(this, node, args, ctx, info);
  };
}

/** The zone tags a `zones(filter, limit)` field selects: sorted and unique, as Cloudflare lists zones. */
function selectZones(args: Args, maxZones: number): string[] {
  const filter = (args["filter"] ?? {}) as Args;
  const one = filter["zoneTag"];
  const many = filter["zoneTag_in"];
  const after = filter["zoneTag_gt"];
  if (typeof one !== "string" && !Array.isArray(many)) {
    // The simulator knows no account, so it cannot list "all zones": a query must name its zones.
    throw new CloudflareError(MESSAGES.emptyZoneFilter, "parse");
  }
  let tags = typeof one !== "string" ? (many as string[]) : !Array.isArray(many) || many.includes(one) ? [one] : [];
  tags = [...new Set(tags)].sort();
  if (typeof after === "string") tags = tags.filter((t) => t > after);
  if (tags.length > maxZones) throw new CloudflareError(MESSAGES.tooManyZones, "limit");
  const limit = args["limit"];
  return limit === undefined || limit === null ? tags : tags.slice(0, Number(limit));
}

/** The one account an `accounts(filter: { accountTag })` field names (the filter is optional in the schema). */
function accountTagOf(args: Args): string {
  const tag = (args["filter"] as Args | null | undefined)?.["accountTag"];
  if (typeof tag !== "string") throw new CloudflareError(MESSAGES.emptyAccountFilter, "parse");
  return tag;
}

/** The arguments of every `viewer.<scope>` field of an operation (`zones` or `accounts`), in the order they come. */
function scopeFieldArgs(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
  scope: "zones" | "accounts",
): Args[] {
  const field = (schema.getType("viewer") as GraphQLObjectType).getFields()[scope]!;
  const out: Args[] = [];
  for (const viewer of fieldsOf(operation.selectionSet, fragments).filter((f) => f.name.value === "viewer")) {
    for (const node of fieldsOf(viewer.selectionSet, fragments).filter((f) => f.name.value === scope)) {
      out.push(getArgumentValues(field, node, variables));
    }
  }
  return out;
}

/** The distinct account tags of all `accounts` fields of an operation (Cloudflare allows one per query). */
function requestAccountTags(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
): Set<string> {
  const tags = new Set<string>();
  for (const args of scopeFieldArgs(schema, operation, fragments, variables, "accounts")) {
    const tag = (args["filter"] as Args | undefined)?.["accountTag"];
    if (typeof tag === "string") tags.add(tag);
  }
  return tags;
}

/**
 * The distinct zone tags the `zones` filters of a request name (`zoneTag` and `zoneTag_in`, before `zoneTag_gt` and
 * `limit` narrow them), over all its `zones` fields. Empty when the request is too broken to tell (execution then
 * reports why).
 */
export function namedZoneTags(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
): Set<string> {
  const tags = new Set<string>();
  const operation = getOperationAST(document, operationName);
  if (!operation) return tags;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return tags;
  try {
    for (const args of scopeFieldArgs(schema, operation, fragmentsOf(document), coerced.coerced, "zones")) {
      const filter = (args["filter"] ?? {}) as Args;
      const one = filter["zoneTag"];
      const many = filter["zoneTag_in"];
      if (typeof one === "string") tags.add(one);
      if (Array.isArray(many)) for (const t of many) if (typeof t === "string") tags.add(t);
    }
  } catch {
    tags.clear(); // an argument execution refuses: the request fails there
  }
  return tags;
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return fragments;
}

// ---- Plans and refused fields ----

const allFields = new Map<string, readonly string[]>();

/** Every leaf path of a node (an unrestricted tag's `availableFields`). */
function nodeLeafPaths(schema: GraphQLSchema, node: string): readonly string[] {
  let list = allFields.get(node);
  if (!list) allFields.set(node, (list = nodeModel(schema, node).leafPaths));
  return list;
}

/** Whether a tag's plan or `refusedFields` refuses a leaf path. */
function refuses(tag: string, path: string, config: SimulatorConfig): boolean {
  const prefixes = PLAN_REFUSED_FIELDS[config.plans[tag] ?? "enterprise"];
  if (prefixes.length > 0 && path.split("_").some((segment) => prefixes.some((p) => segment.startsWith(p)))) return true;
  return (config.refusedFields[tag] ?? []).some((r) => (r.endsWith("*") ? path.startsWith(r.slice(0, -1)) : path === r));
}

/** `settings.<node>.availableFields` for a tag: the node's leaf paths less the refused ones. */
function availableFields(schema: GraphQLSchema, tag: string, node: string, config: SimulatorConfig): string[] {
  return nodeLeafPaths(schema, node).filter((path) => !refuses(tag, path, config));
}

function settingsNode(owner: Owner, node: string, ctx: RequestContext): DatasetSettings & { availableFields: string[] } {
  const s = effectiveSettings(owner.tag, node, ctx.config);
  // hideAvailableFields: the list is empty, yet refusals (checkRefusals) work as before.
  const listed = s.enabled && !ctx.config.hideAvailableFields;
  return { ...s, availableFields: listed ? availableFields(ctx.schema, owner.tag, node, ctx.config) : [] };
}

/** The name Cloudflare puts in a refusal: the refused field's own name, lowercased (observed: 'clientasn'). */
function refusedName(path: string): string {
  const segments = path.split("_");
  const named = segments[0] === "confidence" && segments.length > 2 ? segments[2]! : segments[segments.length - 1]!;
  return named.toLowerCase();
}

/** Fails if the query selects, filters or orders by a field the tag may not read. */
function checkRefusals(owner: Owner, plan: readonly PlanField[], args: Args, ctx: RequestContext): void {
  const paths = leafPaths(plan);
  const visit = (filter: unknown): void => {
    for (const [key, value] of Object.entries((filter ?? {}) as Args)) {
      if (key === "AND" || key === "OR") for (const f of (value ?? []) as unknown[]) visit(f);
      else paths.add(`dimensions_${splitKey(key).field}`);
    }
  };
  visit(args["filter"]);
  for (const order of (args["orderBy"] as string[] | undefined) ?? []) {
    const path = order.slice(0, order.lastIndexOf("_"));
    const section = path.slice(0, Math.max(0, path.indexOf("_")));
    paths.add(path === "count" || (SECTIONS as readonly string[]).includes(section) ? path : `dimensions_${path}`);
  }
  for (const path of paths) {
    if (refuses(owner.tag, path, ctx.config)) {
      throw new CloudflareError(`${owner.scope} '${owner.tag}' does not have access to the field '${refusedName(path)}' from the path`, "authz", "authz");
    }
  }
}

// ---- Dataset nodes ----

/** Checks the node's limits, then queues its rows for `fillRows`; graphql-js itself gets an empty list. */
function datasetNode(owner: Owner, node: string, args: Args, ctx: RequestContext, info: GraphQLResolveInfo): [] {
  const s = effectiveSettings(owner.tag, node, ctx.config);
  if (!s.enabled) throw new CloudflareError(`${owner.scope} '${owner.tag}' does not have access to the path`, "authz", "authz");

  const limit = Number(args["limit"]);
  if (!Number.isInteger(limit) || limit < 1 || limit > s.maxPageSize) {
    throw new CloudflareError(`limit must be positive number and not greater than ${s.maxPageSize}`, "limit");
  }
  const plan = compilePlan(getNamedType(info.returnType) as GraphQLObjectType, info.fieldNodes, { fragments: info.fragments, variables: info.variableValues });
  if (ctx.config.enforceFieldCap && leafCount(plan) > s.maxNumberOfFields) {
    throw new CloudflareError(fieldCapMessage(s.maxNumberOfFields), "limit");
  }
  checkRefusals(owner, plan, args, ctx);

  const units = isRollup(node) ? SHAPES[node].units : nodeModel(ctx.schema, node).units;
  const filter = compileFilter(args["filter"] as TimeFilter, units, !isRollup(node));
  const range = requestedRange(filter);
  const earliest = ctx.now - s.notOlderThan * 1000;
  if (range.from === undefined || range.from < earliest) {
    throw new CloudflareError(`cannot request data older than ${s.notOlderThan}s`, "limit");
  }
  if ((range.to ?? ctx.now) - range.from > s.maxDuration * 1000) {
    throw new CloudflareError(`query time range is too large. Time range can't be wider than ${s.maxDuration}s`, "limit");
  }

  const groupBy = [...(selectedUnder(plan, "dimensions") ?? [])].filter((name) => name in units || !isRollup(node));
  const orderBy = (args["orderBy"] as string[] | undefined) ?? [];
  let rows: object[];
  if (ctx.config.idleTags.has(owner.tag)) {
    rows = [];
  } else if (isRollup(node)) {
    rows = buildRows({
      dataset: node,
      zoneTag: owner.tag,
      filter,
      limit,
      groupBy,
      earliest,
      orderBy,
      now: ctx.now,
      lateMinutes: ctx.config.lateMinutes,
      shapes: ctx.config,
    });
  } else {
    const model = nodeModel(ctx.schema, node);
    const needed: Needed = { count: plan.some((f) => f.name === "count"), sections: new Map(), confidence: plan.some((f) => f.name === "confidence") };
    for (const section of SECTIONS) {
      const fields = selectedUnder(plan, section);
      if (fields) needed.sections.set(section, fields);
    }
    rows = adaptiveRows({
      model,
      tag: owner.tag,
      filter,
      groupBy: groupBy.filter((f) => model.dims.has(f)),
      needed,
      orderBy,
      limit,
      now: ctx.now,
      lateMinutes: ctx.config.lateMinutes,
      from: earliest,
      to: Number.POSITIVE_INFINITY,
    });
    // Split after the cut, then cut again: the page holds `limit` rows at most, the halves of a row side by side.
    if (ctx.config.repeatedGroupRows) rows = splitGroupRows(rows as Record<string, unknown>[], node, owner.tag).slice(0, limit);
  }
  const projected = rows.map((row) => applyPlan(plan, row));
  if (ctx.config.hugeNumbers && isRollup(node) && projected.length > 0) {
    const sums = plan.filter((f) => f.name === "sum");
    markHuge(
      projected[0]!,
      sums.map((f) => f.key),
      sums.flatMap((f) => (f.sub ?? []).filter((g) => g.name === "bytes").map((g) => g.key)),
    );
  }
  ctx.rows.push({ path: responsePathAsArray(info.path), rows: projected });
  return [];
}

/** Puts the queued dataset rows into graphql-js' result, in place of the empty lists the resolvers returned. */
export function fillRows(data: Record<string, unknown>, queued: RequestContext["rows"]): void {
  for (const { path, rows } of queued) {
    let node = data as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = rows;
  }
}

/** One `zones` or `accounts` field of a request: its owners' tags, and its dataset nodes, one per response key. */
interface ScopeSelection {
  scope: Scope;
  tags: string[];
  type: GraphQLObjectType;
  nodes: FieldNode[];
}

/**
 * What a request asks of each scope, read before execution (the budget and the request-size limits are checked
 * first). Undefined when the request is too broken to tell, or names zones or accounts in a way execution refuses:
 * execution then reports why, and the request costs nothing.
 */
function scopeSelections(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxZones: number,
): { scopes: ScopeSelection[]; variables: Record<string, unknown> } | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return undefined;
  const fragments = fragmentsOf(document);
  const viewerFields = (schema.getType("viewer") as GraphQLObjectType).getFields();
  const nodesOf = (scope: FieldNode, names: readonly string[]): FieldNode[] => {
    const byKey = new Map<string, FieldNode>();
    for (const f of fieldsOf(scope.selectionSet, fragments)) {
      const key = f.alias?.value ?? f.name.value;
      if (names.includes(f.name.value) && !byKey.has(key)) byKey.set(key, f);
    }
    return [...byKey.values()];
  };
  const scopes: ScopeSelection[] = [];
  try {
    if (requestAccountTags(schema, operation, fragments, coerced.coerced).size > 1) return undefined;
    for (const viewer of fieldsOf(operation.selectionSet, fragments).filter((f) => f.name.value === "viewer")) {
      for (const scope of fieldsOf(viewer.selectionSet, fragments)) {
        const def = viewerFields[scope.name.value]!;
        const args = () => getArgumentValues(def, scope, coerced.coerced);
        const type = getNamedType(def.type) as GraphQLObjectType;
        if (scope.name.value === "zones") {
          scopes.push({ scope: "zone", tags: selectZones(args(), maxZones), type, nodes: nodesOf(scope, SERVED_ZONE_NODES) });
        } else if (scope.name.value === "accounts") {
          scopes.push({ scope: "account", tags: [accountTagOf(args())], type, nodes: nodesOf(scope, SERVED_ACCOUNT_NODES) });
        }
      }
    }
  } catch {
    return undefined; // a refused zone or account filter: the request fails in execution and costs nothing
  }
  return { scopes, variables: coerced.coerced };
}

/**
 * How many queries Cloudflare's rate limiter counts for a request: for every `zones` field its number of zones, for
 * every `accounts` field its one account, times the field's number of dataset nodes. 0 when the request is too broken
 * to tell (execution then reports why).
 */
export function countQueries(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxZones: number,
): number {
  const selection = scopeSelections(schema, document, operationName, variables, maxZones);
  return selection?.scopes.reduce((total, s) => total + s.tags.length * s.nodes.length, 0) ?? 0;
}

/**
 * Account-based rate limiting: what a request charges each of its zones and accounts, the number of dataset nodes it
 * queries that owner with (per `zones` or `accounts` field; an owner in two fields is listed twice). Their sum is
 * `countQueries`. Empty when the request is too broken to tell (execution then reports why, and nothing is charged).
 */
export function ownerCharges(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxZones: number,
): OwnerCharge[] {
  const selection = scopeSelections(schema, document, operationName, variables, maxZones);
  return (selection?.scopes ?? []).flatMap((s) => s.tags.map((tag) => ({ scope: s.scope, tag, queries: s.nodes.length })));
}

/**
 * The owner-minutes a request asks for (`maxOwnerMinutesPerRequest`, our model of Cloudflare's unpublished
 * "resources"): per dataset node, the owners of its scope times the minutes of its requested time range (an open end
 * runs to `now`), summed over nodes. A node without a start asks for nothing here (execution refuses it). 0 when the
 * request is too broken to tell.
 */
export function ownerMinutes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxZones: number,
  now: number,
): number {
  const selection = scopeSelections(schema, document, operationName, variables, maxZones);
  if (!selection) return 0;
  let total = 0;
  try {
    for (const scope of selection.scopes) {
      for (const field of scope.nodes) {
        const node = field.name.value;
        if (!isServed(node)) continue;
        const args = getArgumentValues(scope.type.getFields()[node]!, field, selection.variables);
        const units = isRollup(node) ? SHAPES[node].units : nodeModel(schema, node).units;
        const range = requestedRange(compileFilter((args["filter"] ?? {}) as TimeFilter, units, !isRollup(node)));
        if (range.from === undefined) continue;
        total += scope.tags.length * Math.max(0, Math.ceil(((range.to ?? now) - range.from) / 60_000));
      }
    }
  } catch {
    return 0; // a filter value execution refuses (an invalid time): the request fails there
  }
  return total;
}
