/** docs/fields.md, generated from the declarations (`npm run fields`); a test fails when the file is stale. */
import type { Dataset } from "./dataset.js";
import { snapshotDatasets, type SnapshotDataset } from "./index.js";
import { commonFields, type FieldDecl, mergeFields } from "./fields.js";
import { unitName as baseUnitName } from "../time.js";
import { runFields } from "../runs/run-document.js";

const unitName = (unit: number): string => baseUnitName(unit).replace(/^day$/, "UTC day");

/** The role column: what the time-series index makes of the field, and for a figure how it adds up. */
function roleOf(f: FieldDecl): string {
  if (f.role !== "metric") return f.role;
  return f.additivity === "sum" ? "metric, sums" : f.additivity === "level" ? "metric, level" : "metric, not additive";
}

const row = (f: FieldDecl) => `| \`${f.name}\` | ${f.type} | ${roleOf(f)} | ${f.description} |`;

/** A dataset's own fields in one line (`check` shows a declared dataset's this way): name, type and role. */
export function fieldList(dataset: Dataset): string {
  const own = mergeFields([dataset.fields]).filter((f) => !commonFields.some((c) => c.name === f.name));
  return own.map((f) => `${f.name} (${f.type}, ${roleOf(f)})`).join(", ");
}

/** One dataset's section: what it holds, its own fields (beyond those on every document), how its entries add up. */
export function datasetSection(dataset: Dataset): string[] {
  const own = mergeFields([dataset.fields]).filter((f) => !commonFields.some((c) => c.name === f.name));
  return [
    `## Dataset \`${dataset.name}\` (Cloudflare \`${dataset.node}\`)`,
    "",
    `${dataset.description} One \`total\` per ${dataset.scope} and ${unitName(dataset.unit)}.` +
      (dataset.standInFor ? ` Runs only where \`${dataset.standInFor}\` is not available, unless named in \`datasets\`.` : "") +
      (dataset.optIn ? " Runs only when named in `datasets` (`CF_DATASETS`), or with `all`." : ""),
    "",
    "| field | type | role | meaning |",
    "|---|---|---|---|",
    ...own.map(row),
    "",
    `Breakdowns (\`cloudflare.breakdown\`) and how their entries add up to the ${unitName(dataset.unit)}'s total:`,
    "",
    "| breakdown | adds up to |",
    "|---|---|",
    ...dataset.breakdownChecks.map((c) => `| \`${c.breakdown}\` | ${c.metrics.map((m) => `sum of \`${m.entry}\` = total's \`${m.total}\``).join("; ")} |`),
  ];
}

/** A snapshot dataset's section (tunnels): what a run stores of the present, and its own fields. */
function snapshotSection(snapshot: SnapshotDataset): string[] {
  const own = mergeFields([snapshot.fields]).filter((f) => !commonFields.some((c) => c.name === f.name));
  return [
    `## Dataset \`${snapshot.name}\` (Cloudflare ${snapshot.source})`,
    "",
    `${snapshot.description} Each \`run\` (not \`backfill\`) stores one \`total\` per ${snapshot.scope} and one entry`,
    "per item (breakdown `tunnel`, `cloudflare.key` the tunnel id) at the minute it ran; a rerun in that minute",
    "replaces them. Counts are levels: they add up over the entries of one minute, never over time.",
    "",
    "| field | type | role | meaning |",
    "|---|---|---|---|",
    ...own.map(row),
  ];
}

export function renderFieldsDoc(datasets: readonly Dataset[], snapshots: readonly SnapshotDataset[] = snapshotDatasets): string {
  const lines = [
    "# Document fields",
    "",
    "<!-- Generated from the field declarations in src/datasets by `npm run fields`. Do not edit by hand. -->",
    "",
    "Every document is one zone's (or account's) figures for one minute, hour or day: either that unit's `total`, or",
    "one entry of one of its breakdowns. Each dataset has its own indices (`<prefix>-<dataset>-<period>`) and a",
    "`dynamic: strict` mapping: a field not listed here is refused. New indices are time-series indices",
    "(`index.mode: time_series`, see the README): `dimension` fields identify a document (Elasticsearch derives its",
    "`_id` from them and `@timestamp`), `metric` fields are gauges, `label` fields describe without identifying.",
    "Metrics that *sum* add up over entries and over time; a *level* adds up over the entries of one unit, not over",
    "time; the rest do not add up at all. Names follow ECS where ECS has the field (`source.geo.country_iso_code`,",
    "`url.domain`, `event.dataset`, ...); Cloudflare's own concepts are under `cloudflare.*`.",
    "Metrics are the absolute values Cloudflare reports for that unit, so a sum over any range is that range's total,",
    "except where a field says it is not additive (`uniques`, averages, quantiles, R2 storage levels).",
    "",
    "A `total` exists for every unit that was fetched, with zeros where Cloudflare had nothing: missing units are",
    "found from the totals alone. Sampled (Adaptive) datasets carry `cloudflare.sampled: true` on every document.",
    "Capped breakdowns keep the top `CF_TOP_N` entries (default 100) per unit, ranked by their main count, and sum the",
    "rest into one entry with `cloudflare.key: __other__`, so entries still add up to the total.",
    "",
    "### Repeated keys and partial breakdowns",
    "",
    "Cloudflare can list one key twice in a breakdown with different figures (a recorded answer lists `js`, `woff`",
    "and `xml` twice in `contentTypeMap`: several MIME types share one short name). Those are separate slices of one",
    "entry, and the exporter stores **one document per key** with the slices merged:",
    "",
    "- counts and sums (requests, bytes, events, ...) are summed, exactly;",
    "- levels (R2 storage) take the larger of the slices: the same bucket at the same minute holds what it holds once;",
    "- averages and quantiles (`*_avg_ms`, `*_p50_*`, ...) become the mean of the slices weighted by the entry's main",
    "  count (requests, events, invocations), or the plain mean where no slice has a count. For quantiles this is an",
    "  approximation: Cloudflare returns the slices' quantiles, not their distributions;",
    "- `cloudflare.sample_interval` is merged the same count-weighted way, confidence bounds are summed.",
    "",
    "The same merge makes one entry of rows whose keys become one: request paths are keyed by their pattern, ids",
    "collapsed (`/orders/48213` and `/orders/48214` are `/orders/{num}`, see the README), before the top N is ranked",
    "and the remainder summed, so the entries of a unit still add up exactly to its total.",
    "",
    "A breakdown can also cover less than its total (seen for `countryMap`). The difference is stored as one entry",
    "with `cloudflare.key: __unattributed__`, so every breakdown adds up to its total and no chart silently misses",
    'traffic; `verify` reports such units as "breakdown partial at Cloudflare", not as a mismatch. A breakdown adding',
    "up to **more** than its total is not a real answer: nothing of that window is written, and the run fails it.",
    "",
    "| dataset | Cloudflare node | scope | unit | figures | runs |",
    "|---|---|---|---|---|---|",
    ...datasets.map(
      (d) =>
        `| \`${d.name}\` | \`${d.node}\` | ${d.scope} | ${unitName(d.unit)} | ${d.sampled ? "sampled (estimates)" : "exact"} | ${d.optIn ? "when named" : "by default"} |`,
    ),
    ...snapshots.map((d) => `| \`${d.name}\` | ${d.source} | ${d.scope} | the run's minute | snapshot (no history) | by default |`),
    "",
    "## Fields on every document",
    "",
    "| field | type | role | meaning |",
    "|---|---|---|---|",
    ...commonFields.map(row),
  ];
  for (const dataset of datasets) lines.push("", ...datasetSection(dataset));
  for (const snapshot of snapshots) lines.push("", ...snapshotSection(snapshot));
  lines.push(
    "",
    "## User-declared datasets (`customDatasets`)",
    "",
    "A dataset declared in the config file (see the README's Custom datasets) is stored like the grouped datasets",
    "above, in indices of its own name, with fields named after Cloudflare's: a dimension `cacheStatus` as",
    "`cloudflare.dimensions.cacheStatus` (keyword; unsigned integers as long), a figure `count` as",
    "`cloudflare.metrics.count` and `sum.edgeResponseBytes` as `cloudflare.metrics.sum.edgeResponseBytes`. Counts and",
    "sums are metrics that sum (their entries add up to the minute's total, which carries them too); averages and",
    "quantiles are not additive, on entries only. Every such dataset is sampled and capped (`cloudflare.sampled`,",
    "`cloudflare.sample_interval`, `__other__` with `cloudflare.other_entries`). `check` lists a declared dataset's",
    "fields, and `npm run fields -- --config <file>` prints its section in this file's form.",
  );
  lines.push(
    "",
    "## Run records (`<prefix>-runs-<period>`)",
    "",
    "Every `run` and `backfill` (not `--dry-run`) writes one `run` document and one `dataset` document per zone (or",
    "account) and dataset, for the exporter-health dashboard and the alert rules (docs/alerting.md).",
    "",
    "| field | type | role | meaning |",
    "|---|---|---|---|",
    ...runFields.map(row),
  );
  return `${lines.join("\n")}\n`;
}
