/** Every query the exporter can build must validate against Cloudflare's published schema. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { buildSchema, parse, validate, type GraphQLSchema } from "graphql";
import { settingsQuery } from "../../src/cloudflare/settings.js";
import { zoneDatasets } from "../../src/datasets/index.js";
import { sharedSchemaPath } from "../support/paths.js";

const available = existsSync(sharedSchemaPath);
const skip = available ? false : `Cloudflare's schema not found at ${sharedSchemaPath} (it lives in ../shared beside the repository)`;

describe("queries conform to Cloudflare's schema", { skip }, () => {
  let schema: GraphQLSchema;
  before(() => {
    schema = buildSchema(readFileSync(sharedSchemaPath, "utf8"), { assumeValidSDL: true });
  });
  const queries: [string, string][] = [
    ["settings of every dataset", settingsQuery(zoneDatasets.map((d) => d.node))],
    ...zoneDatasets.map((d) => [`${d.name} minutes`, d.query] as [string, string]),
    ...zoneDatasets.flatMap((d) => (d.rollup ? [[`${d.name} hourly rollup`, d.rollup.query] as [string, string]] : [])),
  ];
  for (const [name, query] of queries) {
    it(name, () => {
      const errors = validate(schema, parse(query));
      assert.deepEqual(errors.map((e) => e.message), []);
    });
  }
});
