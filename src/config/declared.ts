/**
 * `customDatasets` of the config file: datasets a user declares on any per-minute Adaptive group node of Cloudflare's
 * schema. Each declaration is checked here, when the configuration loads, against the schema digest the exporter
 * ships (datasets/declared/schema.ts): an unknown node or field, a node of the other scope, a figure that is not a
 * number, a name a built-in dataset has. Every problem names the key and the nearest valid names, and exits 2 like
 * any configuration error.
 *
 *   customDatasets:
 *     - name: cache_by_prefix
 *       node: httpRequestsAdaptiveGroups        # zone scope unless `scope: account`
 *       dimensions: [cacheStatus, clientRequestHTTPHost, { field: clientRequestPath, pathPrefix: 1 }]
 *       metrics: [count, sum.edgeResponseBytes, quantiles.edgeTimeToFirstByteMsP95]
 *       filter: { requestSource: eyeball }
 *       topN: 50
 */
import { DATASET_NAMES, DEFAULT_SET, EVERY_DATASET } from "../datasets/index.js";
import type { Scope } from "../datasets/dataset.js";
import { additive, type Declaration, type DeclaredDimension, type DeclaredMetric } from "../datasets/declared/dataset.js";
import { adaptiveNode, adaptiveNodeNames, isNumber, type NodeDigest } from "../datasets/declared/schema.js";
import { editDistance } from "./file.js";
import { child, type Found, type Problems } from "./origin.js";

const KEYS = ["name", "node", "scope", "dimensions", "metrics", "filter", "topN", "rankBy"];
const GROUPS = ["sum", "avg", "quantiles"] as const;
/** As CF_TOP_N's bounds. */
const MAX_TOP_N = 10_000;
const MAX_PATH_SEGMENTS = 16;
/** Index names are `<prefix>-<dataset>-<period>`: lowercase, and short enough for Elasticsearch's 255 bytes. */
const NAME = /^[a-z][a-z0-9_]{0,47}$/;
/** The run records' indices take the place of a dataset's name (runs/run-document.ts). */
const RUN_RECORDS = "runs";

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The (up to) three names closest to `typed`, case ignored: what a message offers instead. */
function nearest(typed: string, names: readonly string[], count = 3): string[] {
  const t = typed.toLowerCase();
  return names
    .map((name) => ({ name, distance: editDistance(t, name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((n) => n.name);
}

const offer = (typed: string, names: readonly string[]): string =>
  names.length === 0 ? "there is none" : `the nearest valid names: ${nearest(typed, names).join(", ")}`;

/** Figures a node offers as `count` or `<group>.<field>`, numbers only. */
function figuresOf(node: NodeDigest): string[] {
  const paths = node.count === undefined ? [] : ["count"];
  for (const group of GROUPS) {
    for (const [field, type] of Object.entries(node[group] ?? {}))
      if (isNumber(type) && !(group === "avg" && field === "sampleInterval")) paths.push(`${group}.${field}`);
  }
  return paths;
}

/** Dimensions a declaration may key by: not the time (the exporter groups by `datetimeMinute` itself), not lists. */
const keyable = (node: NodeDigest): string[] => Object.entries(node.dimensions).flatMap(([f, t]) => (/^(Time|Date)$/.test(t) || t.startsWith("[") ? [] : [f]));

export function declarations(found: Found, problems: Problems): Declaration[] | undefined {
  if (!Array.isArray(found.value)) {
    return problems.bad(
      found,
      "is not a list",
      "write a list of declarations, each with name, node, dimensions and metrics (see the README's Custom datasets)",
    );
  }
  const before = problems.list.length;
  const result: Declaration[] = [];
  const names = new Set<string>();
  found.value.forEach((raw: unknown, i) => {
    const at = (key: string): Found => ({ value: isMapping(raw) ? raw[key] : undefined, origin: child(found.origin, `[${i}]${key ? `.${key}` : ""}`) });
    if (!isMapping(raw)) return problems.bad(at(""), "is not a mapping", "give name, node, dimensions and metrics");
    for (const key of Object.keys(raw)) {
      if (!KEYS.includes(key))
        problems.bad(at(key), "is not a key of a declaration", `use ${nearest(key, KEYS, 1).join("")}, or remove it (keys: ${KEYS.join(", ")})`);
    }
    const declared = declaration(at, problems);
    if (!declared) return;
    if (names.has(declared.name)) problems.bad(at("name"), "names two declarations", "give each declared dataset its own name");
    names.add(declared.name);
    result.push(declared);
  });
  return problems.list.length > before ? undefined : result;
}

function declaration(at: (key: string) => Found, problems: Problems): Declaration | undefined {
  const before = problems.list.length;
  const name = datasetName(at("name"), problems);
  const scope = scopeOf(at("scope"), problems);
  if (scope === undefined) return undefined;
  const nodeName = at("node");
  const node = adaptiveNodeOf(nodeName, scope, problems);
  if (!name || !node) return undefined;
  const dimensions = dimensionsOf(at("dimensions"), node, problems);
  const metrics = metricsOf(at("metrics"), node, problems);
  const filter = filterOf(at("filter"), node, problems);
  const topN = at("topN").value === undefined ? undefined : topNOf(at("topN"), problems);
  const rankBy = metrics && rankByOf(at("rankBy"), metrics, problems);
  if (problems.list.length > before || !dimensions || !metrics || !rankBy) return undefined;
  return {
    name,
    node: nodeName.value as string,
    scope,
    dimensions,
    metrics,
    ...(filter === undefined ? {} : { filter }),
    ...(topN === undefined ? {} : { topN }),
    rankBy,
    confidence: node.confidence === true,
    sampleInterval: node.avg?.sampleInterval !== undefined,
  };
}

function datasetName(found: Found, problems: Problems): string | undefined {
  const { value } = found;
  if (typeof value !== "string" || !NAME.test(value)) {
    return problems.bad(found, "is not a dataset name", "use lowercase letters, digits and _ (starting with a letter, at most 48): it names the indices");
  }
  if (value === RUN_RECORDS) {
    return problems.bad(found, "is the name of the exporter's run records (`<prefix>-runs-<period>`)", "choose another name");
  }
  if ((DATASET_NAMES as readonly string[]).includes(value) || value === DEFAULT_SET || value === EVERY_DATASET) {
    return problems.bad(found, "is the name of a built-in dataset (or of a set in `datasets`)", `choose another name, e.g. my_${value}`);
  }
  return value;
}

function scopeOf(found: Found, problems: Problems): Scope | undefined {
  if (found.value === undefined) return "zone";
  if (found.value === "zone" || found.value === "account") return found.value;
  return problems.bad(found, "is not a scope", "write zone or account");
}

function adaptiveNodeOf(found: Found, scope: Scope, problems: Problems): NodeDigest | undefined {
  const { value } = found;
  if (typeof value !== "string" || value === "")
    return problems.bad(found, "is missing", `name a ${scope} node of Cloudflare's schema, e.g. httpRequestsAdaptiveGroups`);
  const node = adaptiveNode(scope, value);
  if (node) return node;
  const other: Scope = scope === "zone" ? "account" : "zone";
  if (adaptiveNode(other, value)) {
    return problems.bad(found, `is an ${other}-scoped node of Cloudflare's schema, not a ${scope}-scoped one`, `set scope: ${other} beside it`);
  }
  return problems.bad(
    found,
    `is no per-minute Adaptive group node of Cloudflare's ${scope} scope`,
    `${offer(value, adaptiveNodeNames(scope))} (every node with datetimeMinute; see Cloudflare's schema)`,
  );
}

function dimensionsOf(found: Found, node: NodeDigest, problems: Problems): DeclaredDimension[] | undefined {
  const list = found.value;
  if (!Array.isArray(list) || list.length === 0)
    return problems.bad(found, "is not a list of dimensions", `list at least one, e.g. [${keyable(node).slice(0, 2).join(", ")}]`);
  const result: DeclaredDimension[] = [];
  const before = problems.list.length;
  list.forEach((item: unknown, i) => {
    const here: Found = { value: item, origin: child(found.origin, `[${i}]`) };
    const field = isMapping(item) ? item.field : item;
    if (typeof field !== "string") return problems.bad(here, "is not a dimension", "write the dimension's name, or { field: <name>, pathPrefix: <segments> }");
    if (isMapping(item)) {
      for (const key of Object.keys(item))
        if (key !== "field" && key !== "pathPrefix") problems.bad(here, `has the key ${key}`, "give only field and pathPrefix");
    }
    const type = node.dimensions[field];
    if (type === undefined) return problems.bad(here, `is no dimension of this node`, offer(field, keyable(node)));
    if (field.startsWith("datetime") || /^(Time|Date)$/.test(type)) {
      return problems.bad(here, "is a time dimension", "remove it: documents are per minute (datetimeMinute) already");
    }
    if (type.startsWith("[")) return problems.bad(here, `is a list (${type}), which cannot key an entry`, offer(field, keyable(node)));
    if (result.some((d) => d.field === field)) return problems.bad(here, "is listed twice", "list each dimension once");
    const prefix = isMapping(item) ? item.pathPrefix : undefined;
    if (prefix !== undefined) {
      if (type !== "string") return problems.bad(here, `has pathPrefix, but is a ${type}, not a string`, "remove pathPrefix");
      if (typeof prefix !== "number" || !Number.isInteger(prefix) || prefix < 1 || prefix > MAX_PATH_SEGMENTS) {
        return problems.bad(here, "has a pathPrefix that is not a whole number of segments", `write pathPrefix: 1 to ${MAX_PATH_SEGMENTS}`);
      }
      result.push({ field, type, pathPrefix: prefix });
    } else result.push({ field, type });
  });
  return problems.list.length > before ? undefined : result;
}

function metricsOf(found: Found, node: NodeDigest, problems: Problems): DeclaredMetric[] | undefined {
  const list = found.value;
  const figures = figuresOf(node);
  if (!Array.isArray(list) || list.length === 0)
    return problems.bad(found, "is not a list of metrics", `list at least one of: ${figures.slice(0, 5).join(", ")}, ...`);
  const result: DeclaredMetric[] = [];
  const before = problems.list.length;
  list.forEach((item: unknown, i) => {
    const here: Found = { value: item, origin: child(found.origin, `[${i}]`) };
    if (typeof item !== "string") return problems.bad(here, "is not a metric", "write count, or sum.<field>, avg.<field> or quantiles.<field>");
    if (item === "count") {
      if (node.count === undefined) return problems.bad(here, "is not offered by this node", offer(item, figures));
      if (!result.some((m) => m.path === item)) result.push({ path: item, type: node.count });
      return undefined;
    }
    const [group, field, ...rest] = item.split(".");
    if (!GROUPS.includes(group as (typeof GROUPS)[number]) || field === undefined || rest.length > 0) {
      return problems.bad(here, "is not count, sum.<field>, avg.<field> or quantiles.<field>", offer(item, figures));
    }
    const type = node[group as (typeof GROUPS)[number]]?.[field];
    if (type === undefined) return problems.bad(here, `is no figure of this node`, offer(item, figures));
    if (!isNumber(type)) return problems.bad(here, `is not a number (Cloudflare's type: ${type})`, offer(item, figures));
    if (item === "avg.sampleInterval") return problems.bad(here, "is stored on every document already, as cloudflare.sample_interval", "remove it");
    if (result.some((m) => m.path === item)) return problems.bad(here, "is listed twice", "list each metric once");
    result.push({ path: item, type });
  });
  if (problems.list.length > before) return undefined;
  if (!result.some((m) => additive(m.path))) {
    return problems.bad(found, "has no count or sum", "add count (or a sum.<field>): the top N is ranked by one, and the minute's total adds them up");
  }
  return result;
}

function rankByOf(found: Found, metrics: readonly DeclaredMetric[], problems: Problems): string | undefined {
  const additives = metrics.filter((m) => additive(m.path)).map((m) => m.path);
  if (found.value === undefined) return additives[0];
  if (typeof found.value === "string" && additives.includes(found.value)) return found.value;
  return problems.bad(found, "is not one of the declaration's counts or sums", `rank by one of: ${additives.join(", ")}`);
}

function topNOf(found: Found, problems: Problems): number | undefined {
  const { value } = found;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_TOP_N) return value;
  return problems.bad(found, "is not a whole number of entries", `write topN: 1 to ${MAX_TOP_N}, or remove it to keep CF_TOP_N entries per minute`);
}

type Literal = string | number | boolean;

/** A filter value as GraphQL: strings quoted (JSON's escapes are GraphQL's), numbers and booleans bare, lists of them. */
function graphqlValue(value: Literal | readonly Literal[]): string {
  return Array.isArray(value) ? `[${value.map((v: Literal) => graphqlValue(v)).join(", ")}]` : JSON.stringify(value);
}

/** Whether a YAML value fits a filter field of Cloudflare's type. */
function fits(value: unknown, type: string): boolean {
  if (type.startsWith("[")) return Array.isArray(value) && value.length > 0 && value.every((v) => fits(v, type.slice(1, -1)));
  if (isNumber(type))
    return (
      typeof value === "number" && Number.isFinite(value) && (!type.startsWith("u") || value >= 0) && (type.startsWith("float") || Number.isInteger(value))
    );
  if (type === "bool") return typeof value === "boolean";
  return typeof value === "string";
}

function filterOf(found: Found, node: NodeDigest, problems: Problems): string | undefined {
  if (found.value === undefined) return undefined;
  if (!isMapping(found.value) || Object.keys(found.value).length === 0) {
    return problems.bad(found, "is not a mapping of filter fields", "write e.g. filter: { requestSource: eyeball }, or remove it");
  }
  const fields = Object.keys(node.filter).filter((f) => !f.startsWith("datetime") && !/^(AND|OR)$/.test(f));
  const terms: string[] = [];
  for (const [key, value] of Object.entries(found.value)) {
    const here: Found = { value, origin: child(found.origin, `.${key}`) };
    const type = node.filter[key];
    if (key.startsWith("datetime")) {
      problems.bad(here, "filters by time", "remove it: the exporter asks for each window's minutes itself");
    } else if (type === undefined || !fields.includes(key)) {
      problems.bad(here, "is no filter field of this node", offer(key, fields));
    } else if (!fits(value, type)) {
      problems.bad(here, `does not fit the filter field's type (${type})`, type.startsWith("[") ? "write a list, e.g. [a, b]" : `write a ${type} value`);
    } else terms.push(`${key}: ${graphqlValue(value as Literal | Literal[])}`);
  }
  return terms.join(", ");
}
