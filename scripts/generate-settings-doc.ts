/** Writes the configuration table of README.md from the settings table (src/config/settings.ts). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { settingsTable, TABLE_END, TABLE_START } from "../src/config/help.js";
import { repoRoot } from "../test/support/paths.js";

const file = join(repoRoot, "README.md");
const text = readFileSync(file, "utf8");
const start = text.indexOf(TABLE_START);
const end = text.indexOf(TABLE_END);
if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${TABLE_START} ... ${TABLE_END}`);
writeFileSync(file, `${text.slice(0, start + TABLE_START.length)}\n${settingsTable()}${text.slice(end)}`);
console.log(`wrote the settings table into ${file}`);
