/** Writes docs/fields.md from the dataset declarations. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderFieldsDoc } from "../src/datasets/fields-doc.js";
import { datasets } from "../src/datasets/index.js";
import { repoRoot } from "../test/support/paths.js";

const file = join(repoRoot, "docs", "fields.md");
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, renderFieldsDoc(datasets));
console.log(`wrote ${file}`);
