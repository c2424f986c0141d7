/**
 * Writes src/datasets/declared/adaptive-nodes.json: the digest of Cloudflare's schema that user-declared datasets are
 * checked against when the configuration loads. It lists every zone- and account-scoped node that groups rows by
 * `datetimeMinute` (the per-minute Adaptive group nodes; not the unsampled `httpRequests1mGroups` rollup), with each one's dimensions, its figures (`count`, `sum`,
 * `avg`, `quantiles`), the fields of its filter and whether it offers a count's confidence bounds, each with Cloudflare's type name (`string`, `uint64`, `[string]`
 * for a list). Data from Cloudflare's published schema (../shared/cloudflare/schema.graphql), nothing else.
 *
 *   npm run build && node dist/scripts/extract-adaptive-digest.js [path/to/cloudflare/schema.graphql]
 *
 * test/unit/declared-schema.test.ts checks that the committed file equals this script's output.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, getNamedType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, type GraphQLType } from "graphql";

/** A field's type as the digest writes it: the scalar's name, in brackets for a list (`[string]`). */
function typeName(type: GraphQLType): string {
  const inner = type instanceof GraphQLNonNull ? type.ofType : type;
  if (inner instanceof GraphQLList) return `[${typeName(inner.ofType)}]`;
  return getNamedType(type).name;
}

const GROUPS = ["sum", "avg", "quantiles"] as const;

function leaves(type: GraphQLType | undefined): Record<string, string> | undefined {
  if (type === undefined) return undefined;
  const named = getNamedType(type);
  if (!(named instanceof GraphQLObjectType)) return undefined;
  return Object.fromEntries(Object.values(named.getFields()).map((f) => [f.name, typeName(f.type)]));
}

export function extractAdaptiveDigest(cloudflareSdl: string): string {
  const schema = buildSchema(cloudflareSdl);
  const digest: Record<string, Record<string, unknown>> = {};
  for (const scope of ["zone", "account"]) {
    const nodes: Record<string, unknown> = {};
    const scopeType = schema.getType(scope) as GraphQLObjectType;
    // A node the exporter reads its limits of (`settings { <node> { ... } }`) before asking for its rows.
    const settings = (schema.getType(scope === "zone" ? "ZoneSettings" : "AccountSettings") as GraphQLObjectType).getFields();
    for (const field of Object.values(scopeType.getFields()).sort((a, b) => a.name.localeCompare(b.name))) {
      const row = getNamedType(field.type);
      if (!field.name.includes("Adaptive") || !(row instanceof GraphQLObjectType)) continue;
      const rowFields = row.getFields();
      const dimensions = leaves(rowFields.dimensions?.type);
      const filter = field.args.find((a) => a.name === "filter");
      const filterType = filter && getNamedType(filter.type);
      // Per-minute groups only: the exporter stores minutes, keyed by `datetimeMinute`, and pages with `limit`.
      if (!dimensions?.datetimeMinute || !field.args.some((a) => a.name === "limit") || !(filterType instanceof GraphQLInputObjectType)) continue;
      if (!filterType.getFields().datetimeMinute_geq || !filterType.getFields().datetimeMinute_lt || !settings[field.name]) continue;
      const node: Record<string, unknown> = { dimensions };
      if (rowFields.count) node.count = typeName(rowFields.count.type);
      for (const group of GROUPS) {
        const fields = leaves(rowFields[group]?.type);
        if (fields) node[group] = fields;
      }
      node.filter = Object.fromEntries(Object.values(filterType.getFields()).map((f) => [f.name, typeName(f.type)]));
      // `confidence(level: ...) { count { lower upper } }`, which groupedDataset asks for with CF_CONFIDENCE_LEVEL.
      const confidence = rowFields.confidence;
      const confidenceType = confidence && getNamedType(confidence.type);
      if (confidence?.args.some((a) => a.name === "level") && confidenceType instanceof GraphQLObjectType && confidenceType.getFields().count) {
        node.confidence = true;
      }
      nodes[field.name] = node;
    }
    digest[scope] = nodes;
  }
  return `${JSON.stringify(digest)}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const root = join(import.meta.dirname, "..", "..");
  const source = process.argv[2] ?? join(root, "..", "shared", "cloudflare", "schema.graphql");
  const target = join(root, "src", "datasets", "declared", "adaptive-nodes.json");
  writeFileSync(target, extractAdaptiveDigest(readFileSync(source, "utf8")));
  console.log(`wrote ${target} from ${source}`);
}
