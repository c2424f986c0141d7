/**
 * simulator/schema.graphql must be a faithful subset of Cloudflare's schema: every type, field, argument and enum
 * value it declares exists in ../shared/cloudflare/schema.graphql with the identical type, and the two datasets'
 * types are complete. The check runs only where the shared schema is present (not in a user's fresh clone).
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLScalarType, buildSchema, parse, validate,
  type GraphQLNamedType, type GraphQLSchema,
} from "graphql";
import { schemaPath } from "../../simulator/schema.js";
import { sharedSchemaPath } from "../support/paths.js";

const realSchemaFile = existsSync(sharedSchemaPath) ? sharedSchemaPath : undefined;
const skip = realSchemaFile ? false : `Cloudflare's schema not found at ${sharedSchemaPath} (it lives in ../shared beside the repository)`;

/** Types whose every field, argument and value the subset must have, not just some. */
const COMPLETE = /^(ZoneHttpRequests1[mh]Groups\w*|Settings|ZoneFilter_InputObject|Query)$/;

function kindOf(t: GraphQLNamedType): string {
  return t.constructor.name;
}

describe("simulator schema", () => {
  const subset = buildSchema(readFileSync(schemaPath(), "utf8"));
  let real: GraphQLSchema | undefined;
  const realSchema = (): GraphQLSchema => (real ??= buildSchema(readFileSync(realSchemaFile!, "utf8")));

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
        const values = new Set(theirs.getValues().map((v) => v.name));
        for (const v of type.getValues()) if (!values.has(v.name)) problems.push(`${type.name}.${v.name} does not exist`);
        if (COMPLETE.test(type.name) && values.size !== type.getValues().length) problems.push(`${type.name} is incomplete`);
      }
      if ((type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType)
        && (theirs instanceof GraphQLObjectType || theirs instanceof GraphQLInputObjectType)) {
        const theirFields = theirs.getFields() as Record<string, { type: unknown; args?: readonly { name: string; type: unknown }[]; deprecationReason?: unknown }>;
        const ourFields = type.getFields() as typeof theirFields;
        for (const [name, field] of Object.entries(ourFields)) {
          const match = theirFields[name];
          const where = `${type.name}.${name}`;
          if (!match) {
            problems.push(`${where} does not exist`);
            continue;
          }
          if (String(match.type) !== String(field.type)) problems.push(`${where}: ${String(field.type)}, Cloudflare: ${String(match.type)}`);
          if ((match.deprecationReason == null) !== (field.deprecationReason == null)) problems.push(`${where}: deprecation differs`);
          const theirArgs = new Map((match.args ?? []).map((a) => [a.name, String(a.type)]));
          for (const arg of field.args ?? []) {
            if (theirArgs.get(arg.name) !== String(arg.type)) problems.push(`${where}(${arg.name}: ${String(arg.type)}): Cloudflare has ${theirArgs.get(arg.name) ?? "no such argument"}`);
          }
          if ((field.args?.length ?? 0) !== theirArgs.size) problems.push(`${where} takes ${theirArgs.size} arguments at Cloudflare`);
        }
        if (COMPLETE.test(type.name)) {
          for (const name of Object.keys(theirFields)) if (!ourFields[name]) problems.push(`${type.name}.${name} is missing`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("has every type of the two datasets and all of Cloudflare's lowercase scalars", { skip }, () => {
    const wanted = Object.values(realSchema().getTypeMap())
      .filter((t) => /^ZoneHttpRequests1[mh]Groups/.test(t.name) || (t instanceof GraphQLScalarType && /^[a-z]|^Time$|^Date$/.test(t.name)))
      .map((t) => t.name);
    assert.ok(wanted.length > 30, "the filter found the dataset types");
    assert.deepEqual(wanted.filter((name) => !subset.getType(name)), []);
  });

  it("accepts the exporter's style of query in both schemas", { skip }, () => {
    const document = parse(`query ($zones: [string!], $from: Time!, $to: Time!, $limit: uint64!) {
      viewer { zones(filter: { zoneTag_in: $zones }) { zoneTag
        settings { httpRequests1mGroups { enabled maxDuration maxPageSize notOlderThan availableFields } }
        httpRequests1mGroups(filter: { datetime_geq: $from, datetime_lt: $to }, limit: $limit, orderBy: [datetime_ASC]) {
          dimensions { datetime } uniq { uniques } sum { requests countryMap { clientCountryName requests bytes threats } } }
        httpRequests1hGroups(filter: { AND: [{ datetime_geq: $from }, { datetime_lt: $to }] }, limit: $limit) {
          dimensions { datetime date } sum { requests } } } } }`);
    assert.deepEqual(validate(realSchema(), document).map((e) => e.message), []);
    assert.deepEqual(validate(subset, document).map((e) => e.message), []);
  });
});
