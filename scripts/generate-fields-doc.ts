/**
 * Writes docs/fields.md from the dataset declarations. With `--config <file>`, prints the sections of that file's
 * declared datasets (`customDatasets`) in the same form instead, and writes nothing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadConfig } from "../src/config/index.js";
import { declaredDataset } from "../src/datasets/declared/dataset.js";
import { datasetSection, renderFieldsDoc } from "../src/datasets/fields-doc.js";
import { datasets } from "../src/datasets/index.js";
import { repoRoot } from "../test/support/paths.js";

const at = process.argv.indexOf("--config");
if (at > 0) {
  const config = loadConfig({ flags: { config: process.argv[at + 1] }, env: {}, mode: { requireCloudflareAuth: false } });
  for (const declared of config.customDatasets) console.log(`${datasetSection(declaredDataset(declared)).join("\n")}\n`);
} else {
  const file = join(repoRoot, "docs", "fields.md");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderFieldsDoc(datasets));
  console.log(`wrote ${file}`);
}
