/** docs/fields.md, generated from the declarations (`npm run fields`); a test fails when the file is stale. */
import type { ZoneDataset } from "./dataset.js";
import { commonFields, mergeFields } from "./fields.js";

export function renderFieldsDoc(datasets: readonly ZoneDataset[]): string {
  const row = (f: { name: string; type: string; description: string }) => `| \`${f.name}\` | ${f.type} | ${f.description} |`;
  const lines = [
    "# Document fields",
    "",
    "<!-- Generated from the field declarations in src/datasets by `npm run fields`. Do not edit by hand. -->",
    "",
    "Every document is one zone's figures for one minute: either the minute's `total`, or one entry of one of",
    "Cloudflare's breakdown maps. The mapping is `dynamic: strict`: a field not listed here is refused.",
    "Metrics are the absolute values Cloudflare reports for that minute, so a sum over any range is that range's total",
    "(except `uniques`, which count distinct visitors per minute and do not add up).",
    "",
    "## Fields on every document",
    "",
    "| field | type | meaning |",
    "|---|---|---|",
    ...commonFields.map(row),
  ];
  for (const dataset of datasets) {
    const own = mergeFields([dataset.fields]).filter((f) => !commonFields.some((c) => c.name === f.name));
    lines.push(
      "",
      `## Dataset \`${dataset.name}\` (Cloudflare \`${dataset.node}\`)`,
      "",
      "| field | type | meaning |",
      "|---|---|---|",
      ...own.map(row),
      "",
      "Breakdowns (`cloudflare.breakdown`) and how their entries add up to the minute's total:",
      "",
      "| breakdown | adds up to |",
      "|---|---|",
      ...dataset.breakdownChecks.map(
        (c) => `| \`${c.breakdown}\` | ${c.metrics.map((m) => `sum of \`cloudflare.${m.entry}\` = total's \`cloudflare.${m.total}\``).join("; ")} |`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}
