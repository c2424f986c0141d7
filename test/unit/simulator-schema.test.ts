/**
 * simulator/schema.graphql must be a faithful subset of Cloudflare's schema: every type, field, argument and enum
 * value it declares exists in ../shared/cloudflare/schema.graphql with the identical type, every type of the served
 * dataset nodes is complete, and the file is exactly what scripts/extract-simulator-schema.ts makes of the shared
 * schema. The checks run only where the shared schema is present (not in a user's fresh clone).
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  GraphQLScalarType,
  buildSchema,
  getNamedType,
  parse,
  validate,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from "graphql";
import { extractSimulatorSchema } from "../../scripts/extract-simulator-schema.js";
import { SERVED_NODES, rowTypeName } from "../../simulator/options.js";
import { schemaPath } from "../../simulator/schema.js";
import { sharedSchemaPath } from "../support/paths.js";

const realSchemaFile = existsSync(sharedSchemaPath) ? sharedSchemaPath : undefined;
const skip = realSchemaFile ? false : `Cloudflare's schema not found at ${sharedSchemaPath} (it lives in ../shared beside the repository)`;

const NODE_TYPES = SERVED_NODES.map(rowTypeName);
/** Types whose every field, argument and value the subset must have, not just some. */
const isComplete = (name: string): boolean =>
  NODE_TYPES.some((t) => name.startsWith(t)) || /^(Settings|Confidence|ZoneFilter_InputObject|AccountFilter_InputObject|Query)$/.test(name);

function kindOf(t: GraphQLNamedType): string {
  return t.constructor.name;
}

/** Every named type a node reaches in a schema: its row type's fields and arguments, its own arguments' types. */
function nodeClosure(schema: GraphQLSchema, scope: string, node: string): Set<string> {
  const seen = new Set<string>();
  const visit = (type: GraphQLNamedType): void => {
    if (seen.has(type.name)) return;
    seen.add(type.name);
    if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType)) return;
    for (const field of Object.values(type.getFields())) {
      visit(getNamedType(field.type as GraphQLType));
      for (const arg of "args" in field ? field.args : []) visit(getNamedType(arg.type as GraphQLType));
    }
  };
  const field = (schema.getType(scope) as GraphQLObjectType).getFields()[node]!;
  visit(getNamedType(field.type));
  for (const arg of field.args) visit(getNamedType(arg.type));
  return seen;
}

describe("simulator schema", () => {
  const subsetText = readFileSync(schemaPath(), "utf8");
  const subset = buildSchema(subsetText);
  let real: GraphQLSchema | undefined;
  let realText: string | undefined;
  const realSdl = (): string => (realText ??= readFileSync(realSchemaFile!, "utf8"));
  const realSchema = (): GraphQLSchema => (real ??= buildSchema(realSdl()));

  it("is exactly what scripts/extract-simulator-schema.ts writes from Cloudflare's schema", { skip }, () => {
    assert.ok(
      extractSimulatorSchema(realSdl()) === subsetText,
      "simulator/schema.graphql is stale or edited by hand: run `node dist/scripts/extract-simulator-schema.js`",
    );
  });

  it("declares only types, fields, arguments and values that Cloudflare's schema has, with identical types", { skip }, () => {
    const problems: string[] = [];
    for (const type of Object.values(subset.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      const theirs = realSchema().getType(type.name);
      if (!theirs) {
        problems.push(`type ${type.name} does not exist`);
        continue;
      }
      if (kindOf(theirs) !== kindOf(type)) problems.push(`${type.name} is a ${kindOf(type)}, Cloudflare's a ${kindOf(theirs)}`);
      if (type instanceof GraphQLEnumType && theirs instanceof GraphQLEnumType) {
        const values = new Map(theirs.getValues().map((v) => [v.name, v]));
        for (const v of type.getValues()) {
          const match = values.get(v.name);
          if (!match) problems.push(`${type.name}.${v.name} does not exist`);
          else if (match.deprecationReason !== v.deprecationReason) problems.push(`${type.name}.${v.name}: deprecation differs`);
        }
        if (isComplete(type.name) && values.size !== type.getValues().length) problems.push(`${type.name} is incomplete`);
      }
      if (
        (type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType) &&
        (theirs instanceof GraphQLObjectType || theirs instanceof GraphQLInputObjectType)
      ) {
        const theirFields = theirs.getFields() as Record<
          string,
          { type: unknown; args?: readonly { name: string; type: unknown }[]; deprecationReason?: unknown }
        >;
        const ourFields = type.getFields() as typeof theirFields;
        for (const [name, field] of Object.entries(ourFields)) {
          const match = theirFields[name];
          const where = `${type.name}.${name}`;
          if (!match) {
            problems.push(`${where} does not exist`);
            continue;
          }
          if (String(match.type) !== String(field.type)) problems.push(`${where}: ${String(field.type)}, Cloudflare: ${String(match.type)}`);
          if ((match.deprecationReason ?? null) !== (field.deprecationReason ?? null)) problems.push(`${where}: deprecation differs`);
          const theirArgs = new Map((match.args ?? []).map((a) => [a.name, String(a.type)]));
          for (const arg of field.args ?? []) {
            if (theirArgs.get(arg.name) !== String(arg.type))
              problems.push(`${where}(${arg.name}: ${String(arg.type)}): Cloudflare has ${theirArgs.get(arg.name) ?? "no such argument"}`);
          }
          if ((field.args?.length ?? 0) !== theirArgs.size) problems.push(`${where} takes ${theirArgs.size} arguments at Cloudflare`);
        }
        if (isComplete(type.name)) {
          for (const name of Object.keys(theirFields)) if (!ourFields[name]) problems.push(`${type.name}.${name} is missing`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("has every type every served node reaches, the scopes' nodes and settings, and all lowercase scalars", { skip }, () => {
    const missing: string[] = [];
    for (const node of SERVED_NODES) {
      const scope = rowTypeName(node).startsWith("Zone") ? "zone" : "account";
      for (const name of nodeClosure(realSchema(), scope, node)) if (!subset.getType(name)) missing.push(`${node}: ${name}`);
      const settings = (subset.getType(scope === "zone" ? "ZoneSettings" : "AccountSettings") as GraphQLObjectType).getFields();
      if (!settings[node]) missing.push(`${scope} settings.${node}`);
      if (!(subset.getType(scope) as GraphQLObjectType).getFields()[node]) missing.push(`${scope}.${node}`);
    }
    const scalars = Object.values(realSchema().getTypeMap())
      .filter((t) => t instanceof GraphQLScalarType && /^[a-z]|^Time$|^Date$/.test(t.name))
      .map((t) => t.name);
    assert.ok(scalars.length > 10);
    for (const name of scalars) if (!subset.getType(name)) missing.push(name);
    assert.deepEqual(missing, []);
  });

  it("accepts the exporter's style of queries in both schemas", { skip }, () => {
    const documents = [
      `query ($zones: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
        viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
          settings { httpRequests1mGroups { enabled maxDuration maxPageSize notOlderThan availableFields } }
          httpRequests1mGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit, orderBy: [datetime_ASC]) {
            dimensions { datetime } uniq { uniques } sum { requests countryMap { clientCountryName requests bytes threats } } }
          httpRequests1hGroups(filter: { AND: [{ datetime_geq: $from }, { datetime_lt: $to }] }, limit: $limit) {
            dimensions { datetime date } sum { requests } } } } }`,
      `query ($zones: [string!], $from: Date!, $to: Date!, $limit: uint64!) {
        viewer { zones(filter: { zoneTag_in: $zones }, limit: 10) { zoneTag
          httpRequests1dGroups(filter: { date_geq: $from, date_lt: $to }, limit: $limit, orderBy: [date_ASC]) {
            dimensions { date } sum { requests bytes } uniq { uniques } } } } }`,
      `query ($zones: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
        viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
          firewallEventsAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to, action_neq: "skip" }, limit: $limit,
            orderBy: [datetimeMinute_ASC, count_DESC]) {
            count avg { sampleInterval } dimensions { datetimeMinute action source ruleId description clientRequestHTTPHost }
            confidence(level: 0.95) { count { estimate lower upper sampleSize isValid } } }
          httpRequestsAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to, requestSource: "eyeball" }, limit: $limit) {
            count sum { edgeResponseBytes visits } avg { originResponseDurationMs } ratio { status4xx status5xx }
            quantiles { edgeTimeToFirstByteMsP95 } dimensions { datetimeMinute coloCode cacheStatus } } } } }`,
      `query ($account: string!, $from: Time!, $to: Time!, $limit: uint64!) {
        viewer { accounts(filter: { accountTag: $account }) { accountTag
          settings { workersInvocationsAdaptive { enabled maxDuration notOlderThan maxPageSize availableFields } }
          workersInvocationsAdaptive(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit) {
            sum { requests errors cpuTimeUs } quantiles { cpuTimeP50 cpuTimeP99 } max { cpuTime } dimensions { datetimeMinute scriptName status } }
          r2StorageAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit, orderBy: [datetime_DESC]) {
            max { payloadSize objectCount metadataSize uploadCount } dimensions { bucketName storageClass datetime } }
          logpushHealthAdaptiveGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit) {
            count sum { bytes records uploads } max { timestamp } dimensions { jobId success final destinationType } } } } }`,
    ];
    for (const text of documents) {
      const document = parse(text);
      assert.deepEqual(
        validate(realSchema(), document).map((e) => e.message),
        [],
      );
      assert.deepEqual(
        validate(subset, document).map((e) => e.message),
        [],
      );
    }
  });
});
