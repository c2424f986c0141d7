/** Every query the exporter can build must validate against Cloudflare's published schema. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { buildSchema, parse, validate, type GraphQLSchema } from "graphql";
import { settingsQuery } from "../../src/cloudflare/settings.js";
import { datasets } from "../../src/datasets/index.js";
import { sharedSchemaPath } from "../support/paths.js";

const available = existsSync(sharedSchemaPath);
const skip = available ? false : `Cloudflare's schema not found at ${sharedSchemaPath} (it lives in ../shared beside the repository)`;

describe("queries conform to Cloudflare's schema", { skip }, () => {
  let schema: GraphQLSchema;
  before(() => {
    schema = buildSchema(readFileSync(sharedSchemaPath, "utf8"), { assumeValidSDL: true });
  });
  const nodesOf = (scope: "zone" | "account") => [...new Set(datasets.filter((d) => d.scope === scope).map((d) => d.node))];
  const queries: [string, string][] = [
    ["settings of every zone dataset", settingsQuery("zone", nodesOf("zone"))],
    ["settings of every account dataset", settingsQuery("account", nodesOf("account"))],
    ...datasets.map((d) => [`${d.name}`, d.query(new Set())] as [string, string]),
    // Every optional field left out at once: the query a restricted plan gets must still be valid.
    ...datasets
      .filter((d) => d.optionalFields.length > 0)
      .map((d) => [`${d.name} without ${d.optionalFields.join(", ")}`, d.query(new Set(d.optionalFields))] as [string, string]),
    // With confidence bounds asked for: only datasets whose node offers them add the field, and it must validate.
    ...datasets.map((d) => [`${d.name} with confidence bounds`, d.query(new Set(), { confidenceLevel: 0.95 })] as [string, string]),
    ...datasets.flatMap((d) => (d.rollup ? [[`${d.name} rollup ${d.rollup.node}`, d.rollup.query] as [string, string]] : [])),
  ];
  for (const [name, query] of queries) {
    it(name, () => {
      const errors = validate(schema, parse(query));
      assert.deepEqual(
        errors.map((e) => e.message),
        [],
      );
    });
  }
});
