/**
 * The rules every shipped panel, alert rule and alert query follows, as checks that return a list of problems:
 * only declared fields, each aggregation on a field of a fitting type, every data query on one named breakdown,
 * range totals that are sums of minutes, unique visitors never summed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { mergeFields, summable, type FieldDecl, type FieldType } from "../../src/datasets/fields.js";
import * as registry from "../../src/datasets/index.js";
import { runFields } from "../../src/runs/run-document.js";
import type { AlertRule } from "./grafana-alerting.js";
import { allPanels, type Panel, type Target } from "./grafana-query.js";
import { repoRoot } from "./paths.js";

export const dashboardsDir = join(repoRoot, "dashboards");

interface DatasetLike {
  readonly name: string;
  readonly fields: readonly FieldDecl[];
}

/** The datasets the exporter declares (the registry's export was renamed once; accept both names), snapshots included. */
export function declaredDatasets(): readonly DatasetLike[] {
  const r = registry as unknown as Record<string, readonly DatasetLike[] | undefined>;
  return [...(r.datasets ?? r.zoneDatasets ?? []), ...(r.snapshotDatasets ?? [])];
}

export type FieldSet = ReadonlyMap<string, FieldType>;

export function dataFields(): FieldSet {
  return new Map(mergeFields(declaredDatasets().map((d) => d.fields)).map((f) => [f.name, f.type]));
}

/** Metrics whose values do not add up over time (per-unit uniques, means, percentiles, levels), as declared. */
export function nonAdditiveFields(): ReadonlySet<string> {
  const decls = [...mergeFields(declaredDatasets().map((d) => d.fields)), ...runFields];
  return new Set(decls.filter((f) => !summable(f)).map((f) => f.name));
}

export function runsFields(): FieldSet {
  return new Map(runFields.map((f) => [f.name, f.type]));
}

export type Source = "data" | "runs";

/** Which documents a panel data source variable or a provisioned data source uid reads. */
export function sourceOf(uid: string | undefined): Source | undefined {
  if (uid === "${datasource}" || uid === "cloudflare-analytics") return "data";
  if (uid === "${runs}" || uid === "cloudflare-runs") return "runs";
  return undefined;
}

const NUMERIC: readonly FieldType[] = ["long", "integer", "double"];
const isNumeric = (t: FieldType | undefined) => t !== undefined && NUMERIC.includes(t);

/** Field references of a Lucene query string: `field:value`, `field:[a TO b]`, `_exists_:field`. */
export function luceneFields(query: string): { field: string; value: string; range: boolean }[] {
  const out: { field: string; value: string; range: boolean }[] = [];
  const re = /([A-Za-z_@][\w.@]*):(\[[^\]]*\]|\{[^}]*\}|[<>]=?[^\s)]+|"[^"]*"|\([^)]*\)|[^\s)]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(query))) {
    const [, field, value] = m as unknown as [string, string, string];
    if (field === "_exists_") out.push({ field: value, value: "*", range: false });
    else out.push({ field, value, range: /^[[{<>]/.test(value) });
  }
  return out;
}

function checkLucene(query: string, fields: FieldSet, where: string): string[] {
  const problems: string[] = [];
  for (const ref of luceneFields(query)) {
    const type = fields.get(ref.field);
    if (!type) {
      problems.push(`${where}: query uses undeclared field ${ref.field}`);
      continue;
    }
    if (ref.range && !isNumeric(type) && type !== "date") problems.push(`${where}: range on ${ref.field}, a ${type}`);
    if (type === "boolean" && !["true", "false", "*"].includes(ref.value)) problems.push(`${where}: ${ref.field} is boolean, compared with ${ref.value}`);
    if (isNumeric(type) && !ref.range && !/^(-?\d+|\*|\$\w+)$/.test(ref.value)) problems.push(`${where}: ${ref.field} is numeric, compared with ${ref.value}`);
  }
  return problems;
}

/** Declared fields and fitting types for one Grafana Elasticsearch target. */
export function checkTarget(target: Target, fields: FieldSet, where: string): string[] {
  const problems = checkLucene(target.query ?? "", fields, where);
  for (const m of target.metrics) {
    const type = m.field ? fields.get(m.field) : undefined;
    switch (m.type) {
      case "count":
        break;
      case "sum":
      case "avg":
        if (!isNumeric(type)) problems.push(`${where}: ${m.type} on ${m.field ?? "(no field)"} (${type ?? "undeclared"}), not a number`);
        break;
      case "max":
      case "min":
        if (!isNumeric(type) && type !== "date") problems.push(`${where}: ${m.type} on ${m.field ?? "(no field)"} (${type ?? "undeclared"})`);
        break;
      case "cardinality":
        if (!type) problems.push(`${where}: cardinality on undeclared ${m.field}`);
        break;
      default:
        problems.push(`${where}: metric type ${m.type} is not used by these dashboards (and needs scripting or X-Pack)`);
    }
    if (m.settings && "script" in m.settings) problems.push(`${where}: metric ${m.id} uses a script`);
  }
  for (const b of target.bucketAggs) {
    const type = b.field ? fields.get(b.field) : undefined;
    switch (b.type) {
      case "terms":
        if (type !== "keyword" && type !== "boolean") problems.push(`${where}: terms on ${b.field} (${type ?? "undeclared"}), not a keyword`);
        break;
      case "date_histogram":
        if (type !== "date") problems.push(`${where}: date_histogram on ${b.field} (${type ?? "undeclared"})`);
        break;
      case "histogram":
        if (!isNumeric(type)) problems.push(`${where}: histogram on ${b.field} (${type ?? "undeclared"})`);
        break;
      case "filters":
        for (const f of (b.settings?.filters as { query: string }[]) ?? []) problems.push(...checkLucene(f.query, fields, `${where} filter`));
        break;
      default:
        problems.push(`${where}: bucket aggregation ${b.type} is not used by these dashboards`);
    }
  }
  return problems;
}

/** Data queries name the breakdown they mean and their dataset (or group by it); runs queries name their kind. */
export function checkScope(target: Target, source: Source, where: string): string[] {
  const q = target.query ?? "";
  const problems: string[] = [];
  if (source === "data") {
    const breakdowns = luceneFields(q).filter((r) => r.field === "cloudflare.breakdown");
    if (breakdowns.length !== 1 || /[*?]/.test(breakdowns[0]!.value))
      problems.push(`${where}: a data query must filter on exactly one cloudflare.breakdown, has "${q}"`);
    const namesDataset = luceneFields(q).some((r) => r.field === "cloudflare.dataset" && !/[*?]/.test(r.value));
    const groupsByDataset = target.bucketAggs.some((b) => b.type === "terms" && b.field === "cloudflare.dataset");
    if (!namesDataset && !groupsByDataset) problems.push(`${where}: a data query must name its dataset or group by cloudflare.dataset`);
  } else if (!luceneFields(q).some((r) => r.field === "run.kind")) {
    problems.push(`${where}: a runs query must filter on run.kind`);
  }
  if (/\bAND\s*$|^\s*AND\b/.test(q)) problems.push(`${where}: dangling AND in "${q}"`);
  return problems;
}

/** What the declarations say of each dataset: sampled (Cloudflare's estimates), capped (an `__other__` entry per minute). */
export interface DatasetTraits {
  readonly sampled: boolean;
  readonly capped: boolean;
}

export function datasetTraits(): ReadonlyMap<string, DatasetTraits> {
  return new Map(
    declaredDatasets().map((d) => {
      const names = new Set(d.fields.map((f) => f.name));
      return [d.name, { sampled: names.has("cloudflare.sampled"), capped: names.has("cloudflare.other_entries") }];
    }),
  );
}

/**
 * The datasets a data query reads: named in it (`cloudflare.dataset:x` or `(x OR y)`), or through a variable whose
 * options are datasets (`cloudflare.dataset:$dataset`, the overview's resolution).
 */
export function datasetsOf(query: string, variables: Readonly<Record<string, readonly string[]>> = {}): string[] {
  const out: string[] = [];
  for (const ref of luceneFields(query).filter((r) => r.field === "cloudflare.dataset")) {
    const variable = /^\$\{?(\w+)/.exec(ref.value);
    if (variable) out.push(...(variables[variable[1]!] ?? []));
    else
      out.push(
        ...ref.value
          .replace(/^\(|\)$/g, "")
          .split(/\s+OR\s+/)
          .map((v) => v.replace(/"/g, "").trim()),
      );
  }
  return [...new Set(out)];
}

/** Fields that scope a query (which documents) rather than pick entries by a dimension. */
const SCOPE_FIELDS = new Set([
  "cloudflare.dataset",
  "cloudflare.breakdown",
  "cloudflare.zone.name",
  "cloudflare.account.name",
  "cloudflare.zone.id",
  "cloudflare.account.id",
]);
const OTHER_QUERY = "cloudflare.key:__other__";

/**
 * On a capped breakdown the entries beyond the top N of a minute are summed into one `__other__` entry without
 * dimensions. A panel over all entries must count it, or its values stop adding up to the total: terms over a
 * dimension need `missing` (Grafana then shows the entry under that name), filters need a bucket for it.
 */
export function checkOther(
  target: Target,
  traits: ReadonlyMap<string, DatasetTraits>,
  where: string,
  variables: Readonly<Record<string, readonly string[]>> = {},
): string[] {
  const q = target.query ?? "";
  if (!datasetsOf(q, variables).some((d) => traits.get(d)?.capped)) return [];
  const refs = luceneFields(q);
  if (refs.some((r) => r.field === "cloudflare.breakdown" && r.value === "total")) return [];
  const problems: string[] = [];
  for (const b of target.bucketAggs) {
    if (b.type === "terms" && b.field && !SCOPE_FIELDS.has(b.field) && b.field !== "cloudflare.key" && typeof b.settings?.missing !== "string") {
      problems.push(`${where}: terms on ${b.field} of a capped breakdown without missing: the __other__ entries would be dropped`);
    }
  }
  // A query narrowed to some dimension value leaves the __other__ entries out on purpose (they keep no dimension).
  const narrowed = refs.some((r) => !SCOPE_FIELDS.has(r.field));
  for (const b of target.bucketAggs.filter((x) => x.type === "filters")) {
    const queries = ((b.settings?.filters as { query: string }[]) ?? []).map((f) => f.query.trim());
    if (!narrowed && !queries.includes(OTHER_QUERY))
      problems.push(`${where}: filters on a capped breakdown without a bucket for ${OTHER_QUERY}: the groups would not add up`);
  }
  return problems;
}

const REDUCED = ["stat", "bargauge", "gauge", "piechart"];

/** Range totals are sums of minutes; uniques, means, percentiles and levels are never summed. */
export function checkSemantics(panel: Panel, where: string, nonAdditive: ReadonlySet<string> = new Set(["cloudflare.uniques"])): string[] {
  const problems: string[] = [];
  const targets = panel.targets ?? [];
  const metrics = targets.flatMap((t) => t.metrics.filter((m) => !m.hide));
  const withHistogram = targets.some((t) => t.bucketAggs.at(-1)?.type === "date_histogram");
  const reduceOptions = (panel.options?.reduceOptions ?? {}) as { values?: boolean; calcs?: string[] };
  const legendCalcs = (panel.options?.legend as { calcs?: string[] } | undefined)?.calcs ?? [];
  const calcs = reduceOptions.calcs ?? [];
  const summing = [...calcs, ...legendCalcs].filter((c) => c === "sum" || c === "total");

  for (const m of targets.flatMap((t) => t.metrics)) {
    if (m.field && nonAdditive.has(m.field) && m.type !== "max" && m.type !== "min" && m.type !== "avg") {
      problems.push(`${where}: ${m.field} does not add up and must not be summed; use max per bucket`);
    }
  }
  const nonAdditiveShown = metrics.filter((m) => m.field && nonAdditive.has(m.field));
  if (nonAdditiveShown.length > 0) {
    if (summing.length > 0) problems.push(`${where}: ${nonAdditiveShown.map((m) => m.field).join(", ")} reduced with ${summing.join(", ")}`);
    if (!/do not add up|does not add up|never summed/i.test(panel.description ?? ""))
      problems.push(`${where}: the description must say that the figure does not add up`);
  }
  const additive = metrics.every((m) => m.type === "sum" || m.type === "count");
  if (REDUCED.includes(panel.type)) {
    if (withHistogram) {
      if (reduceOptions.values) problems.push(`${where}: every bucket shown as its own value; a range total needs a reduction`);
      // A max per bucket is a level's or a mean's peak; of an additive figure it is no total at all.
      const levels = metrics.every((m) => m.field !== undefined && nonAdditive.has(m.field));
      const allowed = additive
        ? ["sum"]
        : levels && metrics.every((m) => m.type === "max")
          ? ["max", "lastNotNull"]
          : levels && metrics.every((m) => m.type === "min")
            ? ["min"]
            : [];
      if (calcs.length !== 1 || !allowed.includes(calcs[0]!))
        problems.push(`${where}: buckets of ${metrics.map((m) => m.type).join("/")} reduced with [${calcs.join(", ")}], want one of [${allowed.join(", ")}]`);
    } else if (!reduceOptions.values && !(panel.transformations ?? []).some((t) => t.id === "calculateField")) {
      problems.push(`${where}: a table result shown reduced; use values: true (one value per row)`);
    }
  }
  if (panel.type === "timeseries" && !additive && summing.length > 0) problems.push(`${where}: legend sums buckets of a non-additive metric`);
  return problems;
}

export interface DashboardFile {
  file: string;
  json: {
    uid: string;
    title: string;
    panels?: Panel[];
    templating?: { list: { name: string; type: string; query?: unknown; datasource?: unknown; current?: { value?: unknown } }[] };
  } & Record<string, unknown>;
}

export function dashboardFiles(): DashboardFile[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dashboardsDir, file), "utf8")) as DashboardFile["json"] }));
}

export function panelsOf(d: DashboardFile): Panel[] {
  return allPanels(d.json);
}

interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  jsonData: { index: string; timeField: string; timeInterval?: string };
}

export function provisionedDataSources(): ProvisionedDataSource[] {
  const file = join(dashboardsDir, "provisioning", "datasources", "cloudflare-es-exporter.yaml");
  return (parseYaml(readFileSync(file, "utf8")) as { datasources: ProvisionedDataSource[] }).datasources;
}

export function provisionedAlertRules(): AlertRule[] {
  const file = join(dashboardsDir, "provisioning", "alerting", "cloudflare-es-exporter.yaml");
  const doc = parseYaml(readFileSync(file, "utf8")) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** The plain Elasticsearch alert queries: file name -> search body. */
export function alertQueries(): Record<string, Record<string, unknown>> {
  const dir = join(dashboardsDir, "alerts");
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>]),
  );
}

/** Index pattern of a provisioned data source with the default prefix replaced (tests use their own prefix). */
export function indexFor(uid: string, prefix: string): string {
  const ds = provisionedDataSources().find((d) => d.uid === uid);
  if (!ds) throw new Error(`no provisioned data source ${uid}`);
  return ds.jsonData.index.replace(/cloudflare-/g, `${prefix}-`);
}

/** Every `field` and every term/range key in an Elasticsearch search body must be declared. */
export function checkSearchBody(body: unknown, fields: FieldSet, where: string): string[] {
  const problems: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (!node || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "field" && typeof v === "string" && !fields.has(v)) problems.push(`${where}: undeclared field ${v}`);
      // A term, terms or range query names fields as keys; the aggregations of the same names have a `field`.
      if ((k === "term" || k === "range" || k === "terms") && v && typeof v === "object" && !("field" in v)) {
        for (const f of Object.keys(v)) if (!fields.has(f)) problems.push(`${where}: ${k} on undeclared field ${f}`);
      }
      if (k === "_source" && Array.isArray(v))
        for (const f of v) if (typeof f === "string" && !fields.has(f)) problems.push(`${where}: _source lists undeclared ${f}`);
      if (k === "sort" && Array.isArray(v))
        for (const s of v) for (const f of Object.keys(s as object)) if (!fields.has(f)) problems.push(`${where}: sort on undeclared ${f}`);
      visit(v);
    }
  };
  visit(body);
  return problems;
}
