/**
 * Golden fixtures of every dataset: a recorded Cloudflare answer (test/fixtures/<dataset>/*.response.json, recorded
 * from the simulator by scripts/record-fixtures.ts) and the documents it must become (*.expected.json; UPDATE_GOLDEN=1
 * rewrites them, review the diff). Every document carries declared fields only, and entries add up to totals.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Owner } from "../../src/datasets/dataset.js";
import { leafPaths, toSource, type ExportDocument } from "../../src/datasets/document.js";
import { mergeFields } from "../../src/datasets/fields.js";
import { datasets } from "../../src/datasets/index.js";
import { fixturesDir } from "../support/paths.js";

interface Fixture {
  owner?: Owner;
  /** The first fixture's format (http_requests): a zone without a scope. */
  zone?: { id: string; name: string };
  window: { from: string; to: string };
  ownerObject?: unknown;
  zoneObject?: unknown;
  topN?: number;
}

for (const dataset of datasets) {
  const dir = join(fixturesDir, dataset.name);
  const cases = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".response.json"))
        .map((f) => f.replace(".response.json", ""))
    : [];
  const declared = new Map(mergeFields([dataset.fields]).map((f) => [f.name, f.type]));

  describe(`${dataset.name} golden fixtures`, () => {
    it("has at least one", () => assert.ok(cases.length > 0, `no fixtures in ${dir}; run scripts/record-fixtures.ts`));
    for (const name of cases) {
      const fixture = JSON.parse(readFileSync(join(dir, `${name}.response.json`), "utf8")) as Fixture;
      const owner: Owner = fixture.owner ?? { scope: "zone", ...fixture.zone! };
      const window = { from: Date.parse(fixture.window.from), to: Date.parse(fixture.window.to) };
      const flat = dataset.flatten(dataset.rowsOf(fixture.ownerObject ?? fixture.zoneObject), owner, window, { topN: fixture.topN ?? 100 });
      const entries = [...flat.entries];
      const totals = [...flat.totals];

      it(`${name}: becomes exactly the expected documents`, () => {
        const bulk = (docs: ExportDocument[]) => docs.map((d) => ({ _id: d.id, _source: toSource(d.fields) }));
        const actual = { entries: bulk(entries), totals: bulk(totals) };
        const expectedFile = join(dir, `${name}.expected.json`);
        if (process.env.UPDATE_GOLDEN === "1" || !existsSync(expectedFile)) writeFileSync(expectedFile, JSON.stringify(actual, null, 2) + "\n");
        assert.deepEqual(actual, JSON.parse(readFileSync(expectedFile, "utf8")));
      });

      it(`${name}: one total per unit, declared fields of the declared types only, unique ids`, () => {
        assert.equal(totals.length, (window.to - window.from) / dataset.unit);
        assert.ok(entries.length > 0, "the fixture should hold entries");
        for (const doc of [...entries, ...totals]) {
          for (const path of leafPaths(toSource(doc.fields))) {
            const type = declared.get(path);
            assert.ok(type, `undeclared field ${path}`);
            const value = doc.fields[path];
            const js = type === "keyword" || type === "date" ? "string" : type === "boolean" ? "boolean" : "number";
            assert.equal(typeof value, js, `${path} should be ${type}`);
          }
        }
        const ids = [...entries, ...totals].map((d) => d.id);
        assert.equal(new Set(ids).size, ids.length);
      });

      it(`${name}: every breakdown adds up to its unit's total`, () => {
        for (const total of totals) {
          for (const check of dataset.breakdownChecks) {
            const mine = entries.filter((d) => d.timestamp === total.timestamp && d.fields["cloudflare.breakdown"] === check.breakdown);
            for (const { entry, total: of } of check.metrics) {
              // A total the query left out (a recorded answer without `sum.threats`) cannot be checked against.
              if (total.fields[of] === undefined) continue;
              const sum = mine.reduce((n, d) => n + Number(d.fields[entry] ?? 0), 0);
              assert.ok(
                Math.abs(sum - Number(total.fields[of] ?? 0)) < 1e-6,
                `${check.breakdown}.${entry} at ${String(total.fields["@timestamp"])}: ${sum} != ${String(total.fields[of])}`,
              );
            }
          }
        }
      });
    }
  });
}
