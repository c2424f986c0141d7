/**
 * The simulator's resolvers: `viewer` → `zones` → dataset nodes and `settings`, with the limits Cloudflare enforces
 * per zone and node, reported with Cloudflare's messages. graphql-js' default resolver calls these classes' methods
 * with (args, context, info).
 */

import {
  GraphQLList, GraphQLNonNull, GraphQLObjectType, getArgumentValues, getNamedType, getOperationAST, getVariableValues,
  responsePathAsArray, type DocumentNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type GraphQLSchema, type GraphQLType,
} from "graphql";
import { CloudflareError, MESSAGES } from "./errors.js";
import { compileFilter, requestedRange, type TimeFilter } from "./filters.js";
import { buildRows, fieldsOf, SHAPES } from "./groups.js";
import { DATASETS, type DatasetName, type DatasetSettings, type SimulatorConfig } from "./options.js";
import { applyPlan, compilePlan } from "./project.js";

/** What every resolver of one request shares. */
export interface RequestContext {
  readonly config: SimulatorConfig;
  /** The simulator's clock, read once so all zones and nodes of a request see the same instant. */
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
  constructor(readonly budget: number) {}

  zones(args: Args, ctx: RequestContext): Zone[] {
    return selectZones(args, ctx.config.maxZonesPerQuery).map((tag) => new Zone(tag));
  }
}

class Zone {
  constructor(readonly zoneTag: string) {}

  settings(_args: Args, ctx: RequestContext): Record<DatasetName, ReturnType<typeof settingsNode>> {
    return {
      httpRequests1mGroups: settingsNode(this.zoneTag, "httpRequests1mGroups", ctx),
      httpRequests1hGroups: settingsNode(this.zoneTag, "httpRequests1hGroups", ctx),
    };
  }

  httpRequests1mGroups(args: Args, ctx: RequestContext, info: GraphQLResolveInfo): [] {
    return groups(this.zoneTag, "httpRequests1mGroups", args, ctx, info);
  }

  httpRequests1hGroups(args: Args, ctx: RequestContext, info: GraphQLResolveInfo): [] {
    return groups(this.zoneTag, "httpRequests1hGroups", args, ctx, info);
  }
}

/** The zone tags a `zones(filter, limit)` field selects: sorted and unique, as Cloudflare lists zones. */
export function selectZones(args: Args, maxZones: number): string[] {
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

function effectiveSettings(zoneTag: string, dataset: DatasetName, config: SimulatorConfig): DatasetSettings {
  const s = config.settings[dataset];
  const denied = config.denied[zoneTag]?.includes(dataset) ?? false;
  return denied ? { ...s, enabled: false } : s;
}

function settingsNode(zoneTag: string, dataset: DatasetName, ctx: RequestContext): DatasetSettings & { availableFields: string[] } {
  const s = effectiveSettings(zoneTag, dataset, ctx.config);
  return { ...s, availableFields: s.enabled ? availableFields(ctx.schema, dataset) : [] };
}

/** Checks the node's limits, then queues its rows for `fillRows`; graphql-js itself gets an empty list. */
function groups(zoneTag: string, dataset: DatasetName, args: Args, ctx: RequestContext, info: GraphQLResolveInfo): [] {
  const s = effectiveSettings(zoneTag, dataset, ctx.config);
  if (!s.enabled) throw new CloudflareError(`zone '${zoneTag}' does not have access to the path`, "authz", "authz");

  const limit = Number(args["limit"]);
  if (!Number.isInteger(limit) || limit < 1 || limit > s.maxPageSize) {
    throw new CloudflareError(`limit must be positive number and not greater than ${s.maxPageSize}`, "limit");
  }
  const { units } = SHAPES[dataset];
  const filter = compileFilter(args["filter"] as TimeFilter, units);
  const range = requestedRange(filter);
  const earliest = ctx.now - s.notOlderThan * 1000;
  if (range.from === undefined || range.from < earliest) {
    throw new CloudflareError(`cannot request data older than ${s.notOlderThan}s`, "limit");
  }
  if ((range.to ?? ctx.now) - range.from > s.maxDuration * 1000) {
    throw new CloudflareError(`query time range is too large. Time range can't be wider than ${s.maxDuration}s`, "limit");
  }

  const groupBy = fieldsOf(info.fieldNodes[0]?.selectionSet, info.fragments)
    .filter((f) => f.name.value === "dimensions")
    .flatMap((f) => fieldsOf(f.selectionSet, info.fragments))
    .map((f) => f.name.value)
    .filter((name) => name in units);
  const rows = buildRows({
    dataset, zoneTag, filter, limit, groupBy, earliest,
    orderBy: (args["orderBy"] as string[] | undefined) ?? [],
    now: ctx.now,
    lateMinutes: ctx.config.lateMinutes,
  });
  const plan = compilePlan(getNamedType(info.returnType) as GraphQLObjectType, info.fieldNodes,
    { fragments: info.fragments, variables: info.variableValues });
  ctx.rows.push({ path: responsePathAsArray(info.path), rows: rows.map((row) => applyPlan(plan, row)) });
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

const fieldLists = new Map<DatasetName, string[]>();

/** The dataset's leaf fields as `settings.availableFields` lists them: nested paths joined by "_" (`sum_requests`). */
function availableFields(schema: GraphQLSchema, dataset: DatasetName): string[] {
  let list = fieldLists.get(dataset);
  if (list) return list;
  list = [];
  const walk = (type: GraphQLType, prefix: string): void => {
    const named = type instanceof GraphQLNonNull || type instanceof GraphQLList ? type.ofType : type;
    if (named instanceof GraphQLNonNull || named instanceof GraphQLList) return walk(named, prefix);
    if (!(named instanceof GraphQLObjectType)) {
      list!.push(prefix);
      return;
    }
    for (const field of Object.values(named.getFields())) walk(field.type, prefix ? `${prefix}_${field.name}` : field.name);
  };
  walk(schema.getType(`Zone${dataset[0]!.toUpperCase()}${dataset.slice(1)}`)!, "");
  fieldLists.set(dataset, list);
  return list;
}

/**
 * How many queries Cloudflare's rate limiter counts for a request: for every `zones` field, its number of zones times
 * its number of dataset nodes. 0 when the request is too broken to tell (execution then reports why).
 */
export function countQueries(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>, maxZones: number): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return 0;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === "FragmentDefinition") fragments[d.name.value] = d;
  const zonesField = (schema.getType("viewer") as GraphQLObjectType).getFields()["zones"]!;
  let total = 0;
  try {
    for (const viewer of fieldsOf(operation.selectionSet, fragments).filter((f) => f.name.value === "viewer")) {
      for (const zones of fieldsOf(viewer.selectionSet, fragments).filter((f) => f.name.value === "zones")) {
        const tags = selectZones(getArgumentValues(zonesField, zones, coerced.coerced), maxZones);
        const responseKeys = new Set(fieldsOf(zones.selectionSet, fragments)
          .filter((f) => (DATASETS as readonly string[]).includes(f.name.value))
          .map((f) => f.alias?.value ?? f.name.value));
        total += tags.length * responseKeys.size;
      }
    }
  } catch {
    return 0; // a refused zone filter: the request fails in execution and costs nothing
  }
  return total;
}
