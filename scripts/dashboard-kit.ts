/**
 * The building blocks of the dashboards in dashboards/*.json: Grafana Elasticsearch targets (queries, metrics, bucket
 * aggregations), panels, layout, variables. The dashboards themselves are in build-dashboards.ts and
 * dashboards-datasets.ts.
 */
export type Json = Record<string, unknown>;

export const DATA = { type: "elasticsearch", uid: "${datasource}" };
export const RUNS = { type: "elasticsearch", uid: "${runs}" };
const HTTP = "http_requests";
const GRAFANA_MIN = "11.0.0";

// ---------------------------------------------------------------- queries

let metricId = 0;
const nextId = () => String(++metricId);
/** Metric and bucket ids restart for every target (Grafana numbers them per query). */
export function resetIds(start = 0): void {
  metricId = start;
}

export const sum = (field: string): Json => ({ id: nextId(), type: "sum", field });
export const max = (field: string): Json => ({ id: nextId(), type: "max", field });
export const avg = (field: string): Json => ({ id: nextId(), type: "avg", field });
export const count = (): Json => ({ id: nextId(), type: "count" });

export const histogram = (interval = "auto"): Json => ({
  id: nextId(),
  type: "date_histogram",
  field: "@timestamp",
  settings: { interval, min_doc_count: "0", trimEdges: "0" },
});
export const terms = (field: string, size: number, orderBy = "_count", extra: Json = {}): Json => ({
  id: nextId(),
  type: "terms",
  field,
  settings: { size: String(size), order: "desc", orderBy, min_doc_count: "1", ...extra },
});
export const filters = (entries: readonly [label: string, query: string][]): Json => ({
  id: nextId(),
  type: "filters",
  settings: { filters: entries.map(([label, query]) => ({ label, query })) },
});

/** A data query on one breakdown of the chosen HTTP dataset (minute, hour or day), for the selected zones. */
export const http = (breakdown: string): string => `cloudflare.dataset:$dataset AND cloudflare.breakdown:${breakdown} AND cloudflare.zone.name:$zone`;

export function target(datasource: Json, query: string, metrics: Json[], bucketAggs: Json[], extra: Json = {}): Json {
  return { datasource, refId: "A", query, alias: "", metrics, bucketAggs, timeField: "@timestamp", ...extra };
}

/** Terms over a breakdown's keys, summing one metric, ordered by that sum: one row per key for the whole range. */
export function keyTotals(breakdown: string, field: string): Json {
  resetIds();
  const m = sum(field);
  return target(DATA, http(breakdown), [m], [terms("cloudflare.key", 500, String(m.id))]);
}

// ---------------------------------------------------------------- panels

export interface PanelSpec {
  type: string;
  title: string;
  description: string;
  w: number;
  h: number;
  targets: Json[];
  options?: Json;
  defaults?: Json;
  overrides?: Json[];
  transformations?: Json[];
  timeFrom?: string;
  datasource?: Json;
  interval?: string;
}

const thresholds = (steps: [string, number | null][] = [["green", null]]): Json => ({
  mode: "absolute",
  steps: steps.map(([color, value]) => ({ color, value })),
});

export function stat(
  title: string,
  description: string,
  t: Json,
  unit: string,
  calc: "sum" | "max" | "lastNotNull",
  extra: Partial<PanelSpec> = {},
): PanelSpec {
  return {
    type: "stat",
    title,
    description,
    w: 4,
    h: 4,
    targets: [t],
    options: {
      reduceOptions: { values: false, calcs: [calc], fields: "" },
      orientation: "auto",
      textMode: "value",
      colorMode: "none",
      graphMode: calc === "sum" ? "area" : "none",
      justifyMode: "auto",
      wideLayout: true,
      showPercentChange: false,
    },
    defaults: { unit, decimals: unit === "percentunit" ? 1 : undefined, color: { mode: "thresholds" }, thresholds: thresholds() },
    ...extra,
  };
}

export function timeseries(
  title: string,
  description: string,
  targets: Json[],
  unit: string,
  legendCalcs: string[],
  extra: Partial<PanelSpec> = {},
  custom: Json = {},
): PanelSpec {
  return {
    type: "timeseries",
    title,
    description,
    w: 12,
    h: 8,
    targets,
    options: {
      legend: { showLegend: true, displayMode: "table", placement: "bottom", calcs: legendCalcs },
      tooltip: { mode: "multi", sort: "desc" },
    },
    defaults: {
      unit,
      color: { mode: "palette-classic" },
      custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never", spanNulls: false, axisSoftMin: 0, ...custom },
      thresholds: thresholds(),
    },
    ...extra,
  };
}

export function pie(title: string, description: string, t: Json, unit: string): PanelSpec {
  return {
    type: "piechart",
    title,
    description,
    w: 8,
    h: 9,
    targets: [t],
    options: {
      reduceOptions: { values: true, calcs: [], fields: "" },
      pieType: "donut",
      displayLabels: [],
      legend: { showLegend: true, displayMode: "table", placement: "right", values: ["value", "percent"] },
      tooltip: { mode: "single", sort: "none" },
    },
    defaults: { unit, color: { mode: "palette-classic" } },
  };
}

export function bars(title: string, description: string, t: Json, unit: string, w = 6): PanelSpec {
  return {
    type: "bargauge",
    title,
    description,
    w,
    h: 8,
    targets: [t],
    options: {
      reduceOptions: { values: true, calcs: [], fields: "" },
      orientation: "horizontal",
      displayMode: "basic",
      valueMode: "color",
      showUnfilled: true,
      namePlacement: "auto",
      sizing: "auto",
      minVizHeight: 16,
      maxVizHeight: 300,
    },
    defaults: { unit, min: 0, color: { mode: "continuous-BlPu" }, thresholds: thresholds() },
  };
}

export function table(
  title: string,
  description: string,
  targets: Json[],
  rename: Record<string, string>,
  overrides: Json[],
  extra: Partial<PanelSpec> = {},
): PanelSpec {
  return {
    type: "table",
    title,
    description,
    w: 12,
    h: 10,
    targets,
    transformations: [{ id: "organize", options: { excludeByName: {}, indexByName: {}, renameByName: rename } }],
    options: { showHeader: true, cellHeight: "sm", footer: { show: false, reducer: ["sum"], countRows: false, fields: "" } },
    defaults: { custom: { align: "auto", cellOptions: { type: "auto" }, filterable: true }, thresholds: thresholds() },
    overrides,
    ...extra,
  };
}

export const byName = (name: string, properties: [string, unknown][]): Json => ({
  matcher: { id: "byName", options: name },
  properties: properties.map(([id, value]) => ({ id, value })),
});

/** Lays panels out left to right in rows of 24 columns; `row` starts a titled row. */
export class Layout {
  private readonly panels: Json[] = [];
  private id = 0;
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  row(title: string): this {
    this.newLine();
    this.panels.push({ type: "row", title, id: ++this.id, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
    return this;
  }

  add(spec: PanelSpec): this {
    if (this.x + spec.w > 24) this.newLine();
    const targets = spec.targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) }));
    const datasource = spec.datasource ?? (targets[0] as { datasource?: Json } | undefined)?.datasource ?? DATA;
    const panel: Json = {
      type: spec.type,
      title: spec.title,
      description: spec.description,
      id: ++this.id,
      gridPos: { h: spec.h, w: spec.w, x: this.x, y: this.y },
      datasource,
      targets,
      options: spec.options ?? {},
      fieldConfig: { defaults: clean(spec.defaults ?? {}), overrides: spec.overrides ?? [] },
    };
    if (spec.transformations) panel.transformations = spec.transformations;
    if (spec.timeFrom) panel.timeFrom = spec.timeFrom;
    if (spec.interval) panel.interval = spec.interval;
    this.panels.push(panel);
    this.x += spec.w;
    this.rowHeight = Math.max(this.rowHeight, spec.h);
    return this;
  }

  done(): Json[] {
    return this.panels;
  }

  private newLine(): void {
    if (this.x > 0) this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

/** Drops undefined values so that the JSON stays stable. */
function clean(o: Json): Json {
  return JSON.parse(JSON.stringify(o)) as Json;
}

// ---------------------------------------------------------------- variables

export const dataSourceVariable = (name: string, label: string, current: string, description: string): Json => ({
  type: "datasource",
  name,
  label,
  description,
  query: "elasticsearch",
  regex: "",
  current: { selected: false, text: current, value: current },
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  skipUrlSync: false,
});

export const resolutionVariable: Json = {
  type: "custom",
  name: "dataset",
  label: "Resolution",
  description:
    "Which stored HTTP dataset the panels read: minutes (http_requests), hours (http_requests_hourly) or days (http_requests_daily). The sums are the same; hours and days keep long ranges fast and reach further back.",
  query: `minute : ${HTTP},hour : ${HTTP}_hourly,day : ${HTTP}_daily`,
  current: { selected: true, text: "minute", value: HTTP },
  options: [
    { selected: true, text: "minute", value: HTTP },
    { selected: false, text: "hour", value: `${HTTP}_hourly` },
    { selected: false, text: "day", value: `${HTTP}_daily` },
  ],
  hide: 0,
  includeAll: false,
  multi: false,
  skipUrlSync: false,
};

export const zoneVariable: Json = {
  type: "query",
  name: "zone",
  label: "Zone",
  description: "Zones (cloudflare.zone.name) with stored data of the chosen resolution in the selected range.",
  datasource: DATA,
  query: JSON.stringify({ find: "terms", field: "cloudflare.zone.name", query: "cloudflare.dataset:$dataset AND cloudflare.breakdown:total" }),
  definition: JSON.stringify({ find: "terms", field: "cloudflare.zone.name", query: "cloudflare.dataset:$dataset AND cloudflare.breakdown:total" }),
  current: { selected: true, text: ["All"], value: ["$__all"] },
  includeAll: true,
  allValue: "*",
  multi: true,
  refresh: 2,
  sort: 1,
  hide: 0,
  options: [],
  regex: "",
  skipUrlSync: false,
};

export function dashboard(uid: string, title: string, description: string, variables: Json[], panels: Json[], time = "now-24h"): Json {
  return {
    uid,
    title,
    description,
    tags: ["cloudflare", "cloudflare-es-exporter"],
    editable: true,
    graphTooltip: 1,
    timezone: "utc",
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: "5m",
    schemaVersion: 39,
    version: 1,
    weekStart: "",
    time: { from: time, to: "now" },
    timepicker: {},
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    links: [
      {
        type: "dashboards",
        title: "Cloudflare",
        tags: ["cloudflare-es-exporter"],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
        icon: "external link",
        targetBlank: false,
        tooltip: "",
        url: "",
      },
    ],
    templating: { list: variables },
    panels,
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: GRAFANA_MIN },
      { type: "datasource", id: "elasticsearch", name: "Elasticsearch", version: "1.0.0" },
    ],
  };
}

// ---------------------------------------------------------------- datasets beyond HTTP

export const SAMPLED = "Cloudflare samples this dataset: the figures are its estimates (the same Cloudflare's dashboard shows).";

/** A query on one breakdown of one dataset, for the selected zones or accounts. */
export const scoped = (dataset: string, breakdown: string, owner: "zone" | "account", extra = ""): string =>
  `cloudflare.dataset:${dataset} AND cloudflare.breakdown:${breakdown} AND cloudflare.${owner}.name:$${owner}${extra ? ` AND ${extra}` : ""}`;

/** Terms over a dimension; entries summed into `__other__` (capped breakdowns) have no dimension and show as "other". */
export const dimension = (field: string, size = 500, orderBy = "_count"): Json => terms(field, size, orderBy, { missing: "other" });

export function ownerVariable(owner: "zone" | "account", datasets: readonly string[]): Json {
  const query = JSON.stringify({
    find: "terms",
    field: `cloudflare.${owner}.name`,
    query: `cloudflare.dataset:${datasets.length === 1 ? datasets[0] : `(${datasets.join(" OR ")})`} AND cloudflare.breakdown:total`,
  });
  return {
    ...zoneVariable,
    name: owner,
    label: owner === "zone" ? "Zone" : "Account",
    description: `${owner === "zone" ? "Zones" : "Accounts"} with stored data of this dashboard's datasets in the selected range.`,
    query,
    definition: query,
  };
}

/** Sum of one metric over the range: a sum per bucket of the dataset's totals, reduced with "sum". */
export function datasetTotal(title: string, description: string, dataset: string, owner: "zone" | "account", field: string, unit = "short", w = 4): PanelSpec {
  resetIds();
  return stat(
    title,
    `${description} Sum over the selected range. ${SAMPLED}`,
    target(DATA, scoped(dataset, "total", owner), [sum(field)], [histogram()]),
    unit,
    "sum",
    { w },
  );
}

/** One metric summed per bucket, a series per dimension value. */
export function byDimension(
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  metricField: string,
  unit = "short",
  extra = "",
  w = 12,
): PanelSpec {
  resetIds();
  return timeseries(
    title,
    `${description} Each bucket is the sum of its minutes; the legend's Total is the range total. ${SAMPLED}`,
    [target(DATA, scoped(dataset, breakdown, owner, extra), [sum(metricField)], [dimension(field, 100, "_key"), histogram()])],
    unit,
    ["sum", "max"],
    { w },
    { stacking: { mode: "normal", group: "A" }, fillOpacity: 30 },
  );
}

/** One metric summed over the whole range, one row per dimension value. */
export function rangeByDimension(
  kind: "bars" | "pie",
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  metricField: string,
  unit = "short",
  extra = "",
  w?: number,
): PanelSpec {
  resetIds();
  const m = sum(metricField);
  const t = target(DATA, scoped(dataset, breakdown, owner, extra), [m], [dimension(field, 500, String(m.id))]);
  const text = `${description} Summed over the selected range. ${SAMPLED}`;
  const spec = kind === "pie" ? pie(title, text, t, unit) : bars(title, text, t, unit);
  if (w) spec.w = w;
  return spec;
}

/** A non-additive per-entry figure (a mean or percentile per minute): its peak in each bucket, never a sum. */
export function peakByDimension(
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  metricField: string,
  unit: string,
): PanelSpec {
  resetIds();
  return timeseries(
    title,
    `${description} The figure is a mean (or percentile) per minute and entry, which does not add up: each bucket shows the largest, and the legend shows no total. ${SAMPLED}`,
    [target(DATA, scoped(dataset, breakdown, owner), [max(metricField)], [dimension(field, 100, "_key"), histogram()])],
    unit,
    ["max", "mean"],
  );
}

/**
 * A map of countries: markers looked up by ISO code in `lookup` (a bucket key column), coloured by one number column
 * and sized by another. Codes the gazetteer does not know (`XX`, `T1`, `other`) are not drawn.
 */
export function countryMap(
  title: string,
  description: string,
  t: Json,
  lookup: string,
  colorField: string,
  sizeField: string,
  marker: string,
  scheme: string,
  h: number,
  overrides: Json[] = [],
): PanelSpec {
  return {
    type: "geomap",
    title,
    description,
    w: 12,
    h,
    targets: [t],
    options: {
      view: { id: "zero", lat: 20, lon: 0, zoom: 1, allLayers: true },
      controls: { showZoom: true, mouseWheelZoom: false, showAttribution: true },
      basemap: { type: "default", name: "Basemap", config: {} },
      tooltip: { mode: "details" },
      layers: [
        {
          type: "markers",
          name: "Countries",
          tooltip: true,
          location: { mode: "lookup", lookup, gazetteer: "public/gazetteer/countries.json" },
          config: {
            showLegend: true,
            style: {
              color: { field: colorField, fixed: marker },
              size: { field: sizeField, fixed: 5, min: 3, max: 30 },
              opacity: 0.6,
              symbol: { mode: "fixed", fixed: "img/icons/marker/circle.svg" },
              symbolAlign: { horizontal: "center", vertical: "center" },
              rotation: { fixed: 0, mode: "mod", min: -360, max: 360 },
              textConfig: { fontSize: 12, offsetX: 0, offsetY: 0, textAlign: "center", textBaseline: "middle" },
            },
          },
        },
      ],
    },
    defaults: { color: { mode: scheme }, thresholds: thresholds() },
    ...(overrides.length > 0 ? { overrides } : {}),
  };
}

// ---------------------------------------------------------------- sampled HTTP datasets and Logpush

/** The entry of a capped breakdown that sums a minute's entries beyond the top N; it keeps no dimension. */
export const OTHER_ENTRIES = "cloudflare.key:__other__";

/**
 * Status groups on a numeric status field of a sampled breakdown: 2xx and 3xx, 4xx, 5xx, the rest (`rest`: 1xx, no
 * answer), and "other", the entries beyond the top N whose status is not kept. Together they add up to all requests.
 */
function statusGroups(field: string, rest: string): [string, string][] {
  return [
    ["Success (2xx, 3xx)", `${field}:[200 TO 399]`],
    ["Client issues (4xx)", `${field}:[400 TO 499]`],
    ["Errors (5xx)", `${field}:[500 TO 599]`],
    [rest, `_exists_:${field} AND NOT ${field}:[200 TO 599]`],
    ["other", OTHER_ENTRIES],
  ];
}

const fixedColor = (name: string, color: string): Json => byName(name, [["color", { mode: "fixed", fixedColor: color }]]);

const statusGroupColors = (rest: string): Json[] => [
  fixedColor("Success (2xx, 3xx)", "green"),
  fixedColor("Client issues (4xx)", "orange"),
  fixedColor("Errors (5xx)", "red"),
  fixedColor(rest, "blue"),
  fixedColor("other", "text"),
];

const OTHER_STATUS = 'The entries beyond the top N of a minute keep no status and show as "other".';

/** Requests (or another count) per status group: per bucket (timeseries), or summed over the range (pie). */
export function byStatusGroup(
  kind: "timeseries" | "pie",
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  rest: string,
  metricField = "cloudflare.requests",
  w = 12,
): PanelSpec {
  resetIds();
  const t = target(DATA, scoped(dataset, breakdown, owner), [sum(metricField)], [filters(statusGroups(field, rest)), histogram()]);
  if (kind === "pie") {
    const spec = pie(title, `${description} Summed over the selected range; the groups add up to all requests. ${OTHER_STATUS} ${SAMPLED}`, t, "short");
    spec.options!.reduceOptions = { values: false, calcs: ["sum"], fields: "" };
    spec.overrides = statusGroupColors(rest);
    spec.w = w;
    spec.h = 8;
    return spec;
  }
  return timeseries(
    title,
    `${description} Each bucket is the sum of its minutes and the groups add up to all requests; the legend's Total is the range total. ${OTHER_STATUS} ${SAMPLED}`,
    [t],
    "short",
    ["sum", "max"],
    { w, overrides: statusGroupColors(rest) },
    { stacking: { mode: "normal", group: "A" }, fillOpacity: 40 },
  );
}

/** Sum of one metric over the range on a breakdown's entries, optionally narrowed (`extra`): a sum per bucket, reduced with "sum". */
export function entriesTotal(
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  extra: string,
  unit = "short",
  w = 4,
): PanelSpec {
  resetIds();
  return stat(
    title,
    `${description} Sum over the selected range. ${SAMPLED}`,
    target(DATA, scoped(dataset, breakdown, owner, extra), [sum(field)], [histogram()]),
    unit,
    "sum",
    { w },
  );
}

/** Share of one metric in another over the range: both summed over the range (one row), then divided. */
export function datasetShare(title: string, description: string, dataset: string, owner: "zone" | "account", part: string, whole: string, w = 4): PanelSpec {
  resetIds();
  const t = target(DATA, scoped(dataset, "total", owner), [sum(part), sum(whole)], [terms("cloudflare.dataset", 1)]);
  return stat(title, `${description} Both summed over the selected range, then divided. ${SAMPLED}`, t, "percentunit", "lastNotNull", {
    w,
    transformations: [
      {
        id: "calculateField",
        options: {
          mode: "binary",
          alias: title,
          replaceFields: true,
          binary: { left: { matcher: { id: "byName", options: `Sum ${part}` } }, operator: "/", right: { matcher: { id: "byName", options: `Sum ${whole}` } } },
        },
      },
    ],
  });
}

/** The largest per-minute entry value of a non-additive figure over the range: the peak per bucket, reduced with "max". */
export function peakStat(
  title: string,
  description: string,
  dataset: string,
  breakdown: string,
  owner: "zone" | "account",
  field: string,
  unit: string,
  w = 4,
): PanelSpec {
  resetIds();
  return stat(
    title,
    `${description} The figure is a percentile (or mean) per minute and entry, which does not add up: this is the largest of the selected range, never a sum. ${SAMPLED}`,
    target(DATA, scoped(dataset, breakdown, owner), [max(field)], [histogram()]),
    unit,
    "max",
    { w },
  );
}
