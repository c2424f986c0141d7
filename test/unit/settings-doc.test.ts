/** The README's configuration table is the one the settings table generates (`npm run settings` rewrites it). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { settingsTable, TABLE_END, TABLE_START } from "../../src/config/help.js";
import { SETTINGS, type Setting } from "../../src/config/settings.js";
import { repoRoot } from "../support/paths.js";

describe("README: configuration table", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

  it("equals what src/config/settings.ts generates (npm run settings)", () => {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, "README.md has the table's markers");
    assert.equal(readme.slice(start + TABLE_START.length + 1, end), settingsTable());
  });

  it("has a row for every setting, naming its variable, flag and key", () => {
    for (const s of SETTINGS as readonly Setting[]) {
      const row = settingsTable()
        .split("\n")
        .find((line) => (s.env ? line.startsWith(`| \`${s.env}\``) : s.flag ? line.includes(`\`--${s.flag}\``) : line.includes(`| \`${s.key}\` |`)));
      assert.ok(row, `a row for ${s.env ?? s.flag ?? s.key}`);
      if (s.flag) assert.ok(row.includes(`\`--${s.flag}\``), row);
      if (s.key) assert.ok(row.includes(`\`${s.key}\``), row);
    }
  });
});
