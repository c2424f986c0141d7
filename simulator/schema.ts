/**
 * Loads simulator/schema.graphql, gives Cloudflare's lowercase scalars their parsing rules, and validates queries the
 * way Cloudflare does, with Cloudflare's messages.
 */

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  GraphQLError,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLScalarType,
  GraphQLSchema,
  Kind,
  buildSchema,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ValueNode,
} from "graphql";
import { MESSAGES } from "./errors.js";

/** simulator/schema.graphql, whether this module runs from dist/simulator/ (built) or from simulator/ (source). */
export function schemaPath(): string {
  const candidates = ["../../simulator/schema.graphql", "./schema.graphql"].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`simulator schema not found; looked at ${candidates.join(", ")}`);
  return found;
}

let cached: GraphQLSchema | undefined;

/** The executable schema (built once per process). */
export function simulatorSchema(): GraphQLSchema {
  if (cached) return cached;
  const built = buildSchema(readFileSync(schemaPath(), "utf8"));
  for (const type of Object.values(built.getTypeMap())) {
    if (type instanceof GraphQLScalarType) defineScalar(type);
  }
  // Cloudflare accepts variables declared with GraphQL's built-in scalars (`$limit: Int!`, `$zones: [String!]`;
  // lablabs/cloudflare-exporter sends them). String and Boolean are always present; Int, Float and ID are added here.
  const config = built.toConfig();
  cached = new GraphQLSchema({ ...config, types: [...config.types, GraphQLInt, GraphQLFloat, GraphQLID] });
  return cached;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parsing rules of Cloudflare's scalars. Values stay in their JSON form (Time and Date as strings, numbers as
 * numbers) because resolvers also receive variables declared with built-in types, which skip these rules.
 */
function defineScalar(type: GraphQLScalarType): void {
  const name = type.name;
  let check: ((value: unknown) => boolean) | undefined;
  if (name === "Time") check = (v) => typeof v === "string" && TIME.test(v) && !Number.isNaN(Date.parse(v));
  else if (name === "Date") check = (v) => typeof v === "string" && DATE.test(v) && !Number.isNaN(Date.parse(v));
  else if (name === "string" || name === "bytes") check = (v) => typeof v === "string";
  else if (name === "bool") check = (v) => typeof v === "boolean";
  else if (name.startsWith("uint")) check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
  else if (name.startsWith("int")) check = (v) => Number.isSafeInteger(v);
  else if (name.startsWith("float")) check = (v) => typeof v === "number" && Number.isFinite(v);
  if (!check) return;
  const accept = check;
  const parseValue = (value: unknown): unknown => {
    if (!accept(value)) throw new GraphQLError(`invalid ${name} value ${JSON.stringify(value)}`);
    return value;
  };
  type.parseValue = parseValue;
  type.parseLiteral = (node: ValueNode) => parseValue(literal(node));
  type.serialize = (value: unknown) => value;
}

function literal(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    default:
      return undefined; // lists, objects, enums and variables are never a scalar's literal
  }
}

/** Parses and validates a query; on failure returns Cloudflare-style messages instead of the document. */
export function parseAndValidate(schema: GraphQLSchema, query: string): DocumentNode | string[] {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return [MESSAGES.queryError];
  }
  const messages = validate(schema, document, specifiedRules)
    .map((e) => e.message)
    .filter((m) => !isBuiltInScalarMismatch(m));
  return messages.length > 0 ? messages.map(cloudflareMessage) : document;
}

/** graphql-js' wording mapped to the wording Cloudflare's errors page lists for the same mistake. */
function cloudflareMessage(message: string): string {
  const unknown = /^Cannot query field "([^"]+)"/.exec(message);
  if (unknown) return `unknown field "${unknown[1]}"`;
  if (message.includes("must not have a selection since type")) return "scalar fields must have no selections";
  if (message.includes("must have a selection of subfields")) return "object field must have selections";
  if (/argument|Expected value of type|Expected type|invalid .* value/i.test(message)) return `error parsing args: ${message}`;
  return MESSAGES.queryError;
}

const BUILT_IN_FAMILY: Readonly<Record<string, string>> = { Int: "number", Float: "number", String: "text", ID: "text", Boolean: "bool" };

/**
 * True for "Variable "$x" of type "Int!" used in position expecting type "uint64!"" style errors where the only
 * difference is a built-in scalar standing in for a Cloudflare one of the same kind (numbers, text, booleans).
 */
function isBuiltInScalarMismatch(message: string): boolean {
  const m = /^Variable "\$\w+" of type "([^"]+)" used in position expecting type "([^"]+)"\.$/.exec(message);
  if (!m) return false;
  const shape = (t: string): string => t.replace(/!/g, "").replace(/\w+/g, (name) => BUILT_IN_FAMILY[name] ?? familyOf(name));
  return shape(m[1]!) === shape(m[2]!);
}

function familyOf(name: string): string {
  if (/^u?int\d+$|^float\d+$/.test(name)) return "number";
  if (name === "string" || name === "Time" || name === "Date" || name === "bytes") return "text";
  if (name === "bool") return "bool";
  return name;
}
