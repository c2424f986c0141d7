/**
 * Writes simulator/schema.graphql: the part of Cloudflare's schema (../shared/cloudflare/schema.graphql) that the
 * simulator serves, exact by construction. The scope types keep only the fields the simulator answers; every type a
 * dataset node reaches (filters, orderBy enums, dimensions, aggregates, confidence) is copied whole. Descriptions are
 * dropped; names, types, arguments, field order and deprecations are Cloudflare's.
 *
 *   npm run build && node dist/scripts/extract-simulator-schema.js [path/to/cloudflare/schema.graphql]
 *
 * test/unit/simulator-schema.test.ts checks that the committed file equals this script's output.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  GraphQLScalarType,
  Kind,
  buildSchema,
  getNamedType,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from "graphql";
import {
  ACCOUNT_DATASETS,
  DECLARABLE_ACCOUNT_NODES,
  DECLARABLE_ZONE_NODES,
  SERVED_ACCOUNT_NODES,
  SERVED_NODES,
  SERVED_ZONE_NODES,
  ZONE_DATASETS,
  rowTypeName,
} from "../simulator/options.js";

/** Types of which only these fields are kept; every other type reached is kept whole. */
const PARTIAL: Readonly<Record<string, readonly string[]>> = {
  Query: ["cost", "viewer"],
  viewer: ["accounts", "budget", "zones"],
  zone: ["settings", "zoneTag", ...SERVED_ZONE_NODES],
  account: ["accountTag", "settings", ...SERVED_ACCOUNT_NODES],
  ZoneSettings: SERVED_ZONE_NODES,
  AccountSettings: SERVED_ACCOUNT_NODES,
};

const HEADER = `# The part of Cloudflare's GraphQL Analytics schema that the simulator serves. GENERATED: do not edit by hand.
#
# Written by scripts/extract-simulator-schema.ts from Cloudflare's published schema (../shared/cloudflare/schema.graphql),
# so every type, field, argument, enum value, nullability and deprecation below is Cloudflare's; only descriptions are
# left out. test/unit/simulator-schema.test.ts checks that this file is what the script makes of the shared schema.
#
# The scope types (Query, viewer, zone, account, ZoneSettings, AccountSettings) keep only the fields the simulator
# answers; the types of each dataset node (filter input objects, orderBy enums, dimensions, sum / avg / max / min /
# quantiles / ratio / uniq and confidence) are complete.
#
# Zone nodes:    ${ZONE_DATASETS.join(", ")}
# Account nodes: ${ACCOUNT_DATASETS.join(", ")}
# and, for user-declared datasets, every other per-minute Adaptive group node: ${DECLARABLE_ZONE_NODES.length} of the zone scope,
# ${DECLARABLE_ACCOUNT_NODES.length} of the account scope (simulator/options.ts DECLARABLE_ZONE_NODES, DECLARABLE_ACCOUNT_NODES).
`;

function fieldsKept(type: GraphQLObjectType | GraphQLInputObjectType): (GraphQLField<unknown, unknown> | GraphQLInputField)[] {
  // Object.values of a union of two maps would be any[]; name the element type.
  const all = Object.values<GraphQLField<unknown, unknown> | GraphQLInputField>(type.getFields());
  const keep = PARTIAL[type.name];
  if (!keep) return all;
  const missing = keep.filter((name) => !all.some((f) => f.name === name));
  if (missing.length > 0) throw new Error(`Cloudflare's ${type.name} has no ${missing.join(", ")}`);
  return all.filter((f) => keep.includes(f.name));
}

/** Every named type reachable from Query through the kept fields (and their arguments). */
function closure(schema: GraphQLSchema): Set<string> {
  const seen = new Set<string>();
  const visit = (type: GraphQLNamedType): void => {
    if (seen.has(type.name)) return;
    seen.add(type.name);
    if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType)) return;
    for (const field of fieldsKept(type)) {
      visit(getNamedType(field.type));
      for (const arg of "args" in field ? field.args : []) visit(getNamedType(arg.type));
    }
  };
  visit(schema.getQueryType()!);
  // All of Cloudflare's own scalars, so a variable may be declared with any of them.
  for (const type of Object.values(schema.getTypeMap())) {
    if (type instanceof GraphQLScalarType && /^[a-z]|^Time$|^Date$/.test(type.name)) seen.add(type.name);
  }
  return seen;
}

const quote = (text: string): string => print({ kind: Kind.STRING, value: text });

function deprecation(reason: string | null | undefined): string {
  return reason === null || reason === undefined ? "" : ` @deprecated(reason: ${quote(reason)})`;
}

function argument(arg: GraphQLArgument): string {
  if (arg.defaultValue !== undefined) throw new Error(`argument ${arg.name} has a default value; extend the printer`);
  return `${arg.name}: ${String(arg.type)}`;
}

function printType(type: GraphQLNamedType): string {
  if (type instanceof GraphQLScalarType) return `scalar ${type.name}`;
  if (type instanceof GraphQLEnumType) {
    const values = type.getValues().map((v) => `  ${v.name}${deprecation(v.deprecationReason)}`);
    return `enum ${type.name} {\n${values.join("\n")}\n}`;
  }
  if (type instanceof GraphQLObjectType) {
    const fields = (fieldsKept(type) as GraphQLField<unknown, unknown>[]).map((f) => {
      const args = f.args.length > 0 ? `(${f.args.map(argument).join(", ")})` : "";
      return `  ${f.name}${args}: ${String(f.type)}${deprecation(f.deprecationReason)}`;
    });
    return `type ${type.name} {\n${fields.join("\n")}\n}`;
  }
  if (type instanceof GraphQLInputObjectType) {
    const fields = (fieldsKept(type) as GraphQLInputField[]).map((f) => {
      if (f.defaultValue !== undefined) throw new Error(`input field ${type.name}.${f.name} has a default value`);
      return `  ${f.name}: ${String(f.type)}${deprecation(f.deprecationReason)}`;
    });
    return `input ${type.name} {\n${fields.join("\n")}\n}`;
  }
  throw new Error(`${type.name}: interfaces and unions are not expected in the subset`);
}

/** The subset's SDL: scopes, settings, then each node's types (its row type first), then shared types and scalars. */
export function extractSimulatorSchema(cloudflareSdl: string): string {
  const schema = buildSchema(cloudflareSdl);
  const wanted = closure(schema);
  const sections: { title: string; names: string[] }[] = [];
  const placed = new Set<string>();
  const section = (title: string, names: readonly string[]): void => {
    const fresh = names.filter((n) => wanted.has(n) && !placed.has(n));
    for (const n of fresh) placed.add(n);
    if (fresh.length > 0) sections.push({ title, names: fresh });
  };
  section("Root and scopes", ["Query", "viewer", "ZoneFilter_InputObject", "zone", "AccountFilter_InputObject", "account"]);
  section("Settings nodes", ["ZoneSettings", "AccountSettings", "Settings"]);
  const nodeTypes = [...wanted].filter((n) => !placed.has(n));
  for (const node of SERVED_NODES) {
    const row = rowTypeName(node);
    // A node's own types share its row type's name as prefix (ZoneFirewallEventsAdaptiveGroupsDimensions, ...).
    const own = nodeTypes.filter(
      (n) =>
        n === row ||
        (n.startsWith(row) &&
          !SERVED_NODES.some((d) => {
            const other = rowTypeName(d);
            return other !== row && other.startsWith(row) && n.startsWith(other);
          })),
    );
    section(node, [row, ...own.filter((n) => n !== row).sort()]);
  }
  const rest = [...wanted].filter((n) => !placed.has(n));
  const scalars = rest.filter((n) => schema.getType(n) instanceof GraphQLScalarType).sort();
  section("Shared types", rest.filter((n) => !scalars.includes(n)).sort());
  section("Scalars (Cloudflare names them after Go types)", scalars);

  const body = sections.map((s) => `# --- ${s.title} ---\n\n${s.names.map((n) => printType(schema.getType(n)!)).join("\n\n")}`);
  return `${HEADER}\n${body.join("\n\n")}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const root = join(import.meta.dirname, "..", "..");
  const source = process.argv[2] ?? join(root, "..", "shared", "cloudflare", "schema.graphql");
  const target = join(root, "simulator", "schema.graphql");
  writeFileSync(target, extractSimulatorSchema(readFileSync(source, "utf8")));
  console.log(`wrote ${target} from ${source}`);
}
