/**
 * The chart's values, its schema and its README agree: every value has a comment and a row in the README's table,
 * the schema describes exactly the keys of values.yaml (and refuses others), and the defaults pass the schema's types.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { chartDir } from "../support/chart.js";

type Json = Record<string, unknown>;
const values = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as Json;
const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8")) as Json;
const readme = readFileSync(join(chartDir, "README.md"), "utf8");

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Paths of documented values: a value is a leaf, or an object documented as a whole (a README row names it). */
function documentedPaths(value: Json, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(v) && Object.keys(v).length > 0 && !readme.includes(`| \`${path}\` |`)) return documentedPaths(v, path);
    return [path];
  });
}

describe("chart: values, schema and README agree", () => {
  it("every value has a row in the README's values table", () => {
    for (const path of documentedPaths(values)) assert.ok(readme.includes(`| \`${path}\` |`), `charts/cloudflare-es-exporter/README.md documents ${path}`);
  });

  it("every value in values.yaml carries a `# --` comment", () => {
    const comments = readFileSync(join(chartDir, "values.yaml"), "utf8").match(/^\s*# -- /gm) ?? [];
    assert.equal(comments.length, documentedPaths(values).length, "one `# --` comment per documented value");
  });

  it("the schema describes exactly the keys of values.yaml, refusing any other", () => {
    const walk = (v: Json, s: Json, path: string): void => {
      if (s.type === "object" && isObject(s.properties)) {
        assert.equal(s.additionalProperties, false, `${path || "(root)"} refuses unknown keys`);
        const known = Object.keys(s.properties).filter((k) => !(path === "" && k === "global"));
        assert.deepEqual(known.sort(), Object.keys(v).sort(), `the schema's keys of ${path || "(root)"} are values.yaml's`);
        for (const [key, sub] of Object.entries(s.properties as Record<string, Json>)) {
          if (isObject(v[key])) walk(v[key], sub, path ? `${path}.${key}` : key);
          assert.equal(
            typeof sub.description === "string" || isObject(sub.properties) || key === "global" || sub.pattern !== undefined,
            true,
            `${path}.${key} is described`,
          );
        }
      }
    };
    walk(values, schema, "");
  });
});
