/**
 * Builds the Grafana dashboards in dashboards/*.json (run `node dist/scripts/build-dashboards.js` after `npm run build`).
 * The JSON files are what users import and what the Helm chart packages; test/unit/dashboards.test.ts fails when they
 * differ from what this script builds, and the tests run every panel against the real Elasticsearch.
 *
 * Rules every panel follows (checked by the tests):
 * - Data queries name their dataset and the breakdown they mean (`cloudflare.breakdown:total` or one map), so that
 *   no panel adds a breakdown's entries to the minute's totals, and runs documents never enter a data panel.
 * - Totals over the range are sums of the stored minutes: a sum per bucket reduced with "sum", or one terms
 *   aggregation without a date histogram. Never a last value, never a max posing as a total.
 * - Unique visitors are per minute and never summed: a maximum per bucket, with a description saying why.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../test/support/paths.js";
import {
  avg,
  bars,
  byName,
  count,
  countryMap,
  dashboard,
  DATA,
  dataSourceVariable,
  filters,
  histogram,
  http,
  keyTotals,
  Layout,
  max,
  pie,
  resetIds,
  resolutionVariable,
  RUNS,
  stat,
  sum,
  table,
  target,
  terms,
  timeseries,
  zoneVariable,
  type Json,
  type PanelSpec,
} from "./dashboard-kit.js";
import { httpBreakdowns } from "./dashboards-breakdowns.js";
import { dns, httpOverview, httpSampled, logpush, origins, r2, security, workers } from "./dashboards-datasets.js";
import { tunnels } from "./dashboards-tunnels.js";

// ---------------------------------------------------------------- zone overview

function overview(): Json {
  const perBucket = "Each bucket is the sum of its stored minutes; the legend's Total is the sum over the selected range.";
  const share = (title: string, part: string, whole: string, description: string): PanelSpec => {
    resetIds();
    const t = target(DATA, http("total"), [sum(`cloudflare.${part}`), sum(`cloudflare.${whole}`)], [terms("cloudflare.dataset", 1)]);
    return stat(title, description, t, "percentunit", "lastNotNull", {
      transformations: [
        {
          id: "calculateField",
          options: {
            mode: "binary",
            alias: title,
            replaceFields: true,
            binary: {
              left: { matcher: { id: "byName", options: `Sum cloudflare.${part}` } },
              operator: "/",
              right: { matcher: { id: "byName", options: `Sum cloudflare.${whole}` } },
            },
          },
        },
      ],
    });
  };
  const total = (title: string, field: string, unit: string, description: string): PanelSpec => {
    resetIds();
    return stat(
      title,
      `${description} Sum of the stored minutes of the selected range and zones.`,
      target(DATA, http("total"), [sum(`cloudflare.${field}`)], [histogram()]),
      unit,
      "sum",
    );
  };
  const statusGroups: [string, string][] = [
    ["Success (2xx, 3xx)", "http.response.status_code:[200 TO 399]"],
    ["Client issues (4xx)", "http.response.status_code:[400 TO 499]"],
    ["Errors (5xx)", "http.response.status_code:[500 TO 599]"],
    ["Other (1xx, no response)", "NOT http.response.status_code:[200 TO 599]"],
  ];
  const groupColors: Json[] = [
    byName("Success (2xx, 3xx)", [["color", { mode: "fixed", fixedColor: "green" }]]),
    byName("Client issues (4xx)", [["color", { mode: "fixed", fixedColor: "orange" }]]),
    byName("Errors (5xx)", [["color", { mode: "fixed", fixedColor: "red" }]]),
    byName("Other (1xx, no response)", [["color", { mode: "fixed", fixedColor: "text" }]]),
  ];
  const statusGroupTarget = (): Json => {
    resetIds();
    return target(DATA, http("status"), [sum("cloudflare.requests")], [filters(statusGroups), histogram()]);
  };

  const l = new Layout();
  l.row("Totals for the selected range");
  l.add(total("Requests", "requests", "short", "All requests."));
  l.add(total("Bandwidth", "bytes", "decbytes", "Bytes sent to clients."));
  l.add(
    share(
      "Cached requests",
      "cached_requests",
      "requests",
      "Share of requests served from Cloudflare's cache: cached requests over all requests, both summed over the range.",
    ),
  );
  l.add(
    share(
      "Encrypted requests",
      "encrypted_requests",
      "requests",
      "Share of requests over TLS: encrypted requests over all requests, both summed over the range.",
    ),
  );
  l.add(total("Page views", "page_views", "short", "Successful HTML responses."));
  l.add(total("Threats", "threats", "short", "Requests Cloudflare classed as threats (Cloudflare deprecated this figure in favour of firewall events)."));
  l.add(
    share(
      "Cached bandwidth",
      "cached_bytes",
      "bytes",
      "Share of bytes served from Cloudflare's cache: cached bytes over all bytes, both summed over the range.",
    ),
  );
  l.add(share("Encrypted bandwidth", "encrypted_bytes", "bytes", "Share of bytes sent over TLS: encrypted bytes over all bytes, both summed over the range."));
  l.add(total("Data received", "edge_request_bytes", "decbytes", "Bytes received from clients."));
  {
    resetIds();
    const t = target(DATA, http("total"), [max("cloudflare.uniques")], [terms("cloudflare.zone.name", 500, "_key", { order: "asc" })]);
    const spec = stat(
      "Peak unique visitors in one ${dataset:text}",
      "Per zone: the highest number of unique client IPs Cloudflare counted in any single minute (hour, day: the chosen resolution) of the range. Unique visitors do not add up: the same visitor counts in every minute (and every zone) it appears in, so no total over time is shown.",
      t,
      "short",
      "lastNotNull",
      { w: 12 },
    );
    (spec.options!.reduceOptions as Json).values = true;
    spec.options!.textMode = "value_and_name";
    l.add(spec);
  }

  l.row("Traffic over time");
  resetIds();
  l.add(
    timeseries(
      "Requests: all and cached",
      `Requests per bucket, all and served from cache. ${perBucket}`,
      [target(DATA, http("total"), [sum("cloudflare.requests"), sum("cloudflare.cached_requests")], [histogram()])],
      "short",
      ["sum", "max"],
      {
        overrides: [
          byName("Sum cloudflare.requests", [["displayName", "All requests"]]),
          byName("Sum cloudflare.cached_requests", [["displayName", "Cached requests"]]),
        ],
      },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Bandwidth: all and cached",
      `Bytes sent to clients per bucket, all and served from cache. ${perBucket}`,
      [target(DATA, http("total"), [sum("cloudflare.bytes"), sum("cloudflare.cached_bytes")], [histogram()])],
      "decbytes",
      ["sum", "max"],
      { overrides: [byName("Sum cloudflare.bytes", [["displayName", "All bytes"]]), byName("Sum cloudflare.cached_bytes", [["displayName", "Cached bytes"]])] },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Requests per zone",
      `Requests per bucket and zone. ${perBucket}`,
      [target(DATA, http("total"), [sum("cloudflare.requests")], [terms("cloudflare.zone.name", 500, "_key", { order: "asc" }), histogram()])],
      "short",
      ["sum", "max"],
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Unique visitors per ${dataset:text} (peak in each bucket)",
      "Per zone: the highest count of unique client IPs of one stored minute (hour, day) within each bucket; with buckets as long as the resolution, that unit's own count. Unique visitors do not add up over minutes or zones, so buckets show a maximum, never a sum, and the legend shows no total.",
      [target(DATA, http("total"), [max("cloudflare.uniques")], [terms("cloudflare.zone.name", 500, "_key", { order: "asc" }), histogram()])],
      "short",
      ["max", "mean"],
    ),
  );

  l.row("Status codes");
  l.add(
    timeseries(
      "Requests by status group",
      `Requests per bucket by edge response status, grouped on the numeric status (2xx and 3xx, 4xx, 5xx, the rest). The groups add up to all requests. ${perBucket}`,
      [statusGroupTarget()],
      "short",
      ["sum", "max"],
      { overrides: groupColors },
      { stacking: { mode: "normal", group: "A" }, fillOpacity: 40 },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Requests by status code",
      `Requests per bucket and edge response status code. ${perBucket}`,
      [target(DATA, http("status"), [sum("cloudflare.requests")], [terms("cloudflare.key", 100, "_key", { order: "asc" }), histogram()])],
      "short",
      ["sum", "max"],
    ),
  );
  {
    const spec = pie("Status groups over the range", "Requests per status group, summed over the selected range.", statusGroupTarget(), "short");
    spec.options!.reduceOptions = { values: false, calcs: ["sum"], fields: "" };
    spec.overrides = groupColors;
    spec.w = 12;
    l.add(spec);
  }
  l.add(
    bars(
      "Status codes over the range",
      "Requests per edge response status code, summed over the selected range.",
      keyTotals("status", "cloudflare.requests"),
      "short",
      12,
    ),
  );

  l.row("Countries");
  {
    resetIds();
    const t = target(DATA, http("country"), [sum("cloudflare.requests"), sum("cloudflare.bytes")], [terms("cloudflare.key", 500, "1")]);
    l.add(
      countryMap(
        "Requests by country",
        "Per client country over the selected range: colour is requests, size is bytes sent. Countries Cloudflare cannot place (XX, T1 for Tor) are listed in the table only.",
        t,
        "cloudflare.key",
        "Sum cloudflare.requests",
        "Sum cloudflare.bytes",
        "dark-green",
        "continuous-GrYlRd",
        12,
        [byName("Sum cloudflare.bytes", [["unit", "decbytes"]]), byName("Sum cloudflare.requests", [["unit", "short"]])],
      ),
    );
  }
  {
    resetIds();
    const t = target(
      DATA,
      http("country"),
      [sum("cloudflare.requests"), sum("cloudflare.bytes"), sum("cloudflare.threats")],
      [terms("cloudflare.key", 500, "1")],
    );
    l.add(
      table(
        "Countries",
        "Per client country (ISO 3166 code as Cloudflare gives it), summed over the selected range.",
        [t],
        { "cloudflare.key": "Country", "Sum cloudflare.requests": "Requests", "Sum cloudflare.bytes": "Bytes", "Sum cloudflare.threats": "Threats" },
        [byName("Bytes", [["unit", "decbytes"]])],
        { h: 12 },
      ),
    );
  }

  l.row("Content, clients and protocols over the range");
  l.add(
    pie(
      "Content types by requests",
      "Requests per response content type, summed over the selected range.",
      keyTotals("content_type", "cloudflare.requests"),
      "short",
    ),
  );
  l.add(
    pie(
      "Content types by bandwidth",
      "Bytes sent per response content type, summed over the selected range.",
      keyTotals("content_type", "cloudflare.bytes"),
      "decbytes",
    ),
  );
  l.add(
    pie("Browsers by page views", "Page views per browser family, summed over the selected range.", keyTotals("browser", "cloudflare.page_views"), "short"),
  );
  l.add(
    bars(
      "TLS versions",
      "Requests per client TLS version (none = plain HTTP), summed over the selected range.",
      keyTotals("ssl_protocol", "cloudflare.requests"),
      "short",
    ),
  );
  l.add(bars("HTTP versions", "Requests per client HTTP version, summed over the selected range.", keyTotals("http_protocol", "cloudflare.requests"), "short"));
  l.add(bars("IP classes", "Requests per client IP class, summed over the selected range.", keyTotals("ip_class", "cloudflare.requests"), "short"));
  l.add(
    bars(
      "Threats by type",
      "Threatened requests per threat path, summed over the selected range.",
      keyTotals("threat_pathing", "cloudflare.requests"),
      "short",
    ),
  );

  return dashboard(
    "cloudflare-zone-overview",
    "Cloudflare zone overview",
    "HTTP traffic of the selected zones from the exact figures cloudflare-es-exporter stores per minute, hour or day (datasets http_requests, http_requests_hourly, http_requests_daily). Every total is a sum of stored units, so it matches Cloudflare's own figures for the same range. Generated by scripts/build-dashboards.ts.",
    [
      dataSourceVariable("datasource", "Data", "cloudflare-analytics", "Elasticsearch data source for the exporter's data indices (not the runs index)."),
      resolutionVariable,
      zoneVariable,
    ],
    l.done(),
  );
}

// ---------------------------------------------------------------- exporter health

/** Per dataset and owner: zone-scoped documents carry a zone, account-scoped ones an account; the other is empty. */
const ownerTerms = (): Json[] => [
  terms("cloudflare.dataset", 100, "_key", { order: "asc" }),
  terms("cloudflare.zone.name", 1000, "_key", { order: "asc", missing: "" }),
  terms("cloudflare.account.name", 1000, "_key", { order: "asc", missing: "" }),
];
const OWNER_ALIAS = "{{cloudflare.dataset}} {{cloudflare.zone.name}}{{cloudflare.account.name}}";

function health(): Json {
  const l = new Layout();
  l.row("Freshness");
  {
    resetIds();
    const t = target(DATA, "cloudflare.breakdown:total", [max("@timestamp")], ownerTerms());
    l.add(
      table(
        "Newest stored minute",
        "Per dataset and zone (or account), the newest minute (hour, day) with a stored total in the last 7 days, shown as time since now. Right after a run it is the settle delay plus a minute or two for minute datasets; more means the exporter has not run, or cannot write. A zone missing here has no data in 7 days.",
        [t],
        { "cloudflare.dataset": "Dataset", "cloudflare.zone.name": "Zone", "cloudflare.account.name": "Account", Max: "Newest stored minute" },
        [byName("Newest stored minute", [["unit", "dateTimeFromNow"]])],
        { timeFrom: "7d", h: 8 },
      ),
    );
  }
  resetIds();
  l.add(
    timeseries(
      "Lag reported by runs",
      "Minutes between each run's end and the newest stored minute, per dataset and zone (or account), as the runs report it (the largest in each bucket; a lag is a level and never summed). It stays at the settle delay plus a few minutes while the exporter keeps up. When runs stop this panel goes quiet: see Newest stored minute.",
      [target(RUNS, "run.kind:dataset", [max("run.lag_minutes")], [...ownerTerms(), histogram()], { alias: OWNER_ALIAS })],
      "m",
      ["lastNotNull", "max"],
      { h: 8 },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Stored minutes per bucket",
      "Per dataset and zone (or account), how many units of each bucket have a stored total. A complete bucket of a minute dataset has as many as it is long (60 for one hour); a dip is a gap, which the next run heals while Cloudflare still has the data.",
      [target(DATA, "cloudflare.breakdown:total", [count()], [...ownerTerms(), histogram()], { alias: OWNER_ALIAS })],
      "short",
      ["min", "max"],
      { w: 24, h: 7 },
    ),
  );

  l.row("Runs");
  const runStat = (title: string, description: string, query: string, metric: Json, unit = "short"): PanelSpec => {
    resetIds();
    const m = { ...metric, id: "1" };
    resetIds(1);
    return stat(title, description, target(RUNS, query, [m], [histogram()]), unit, "sum");
  };
  l.add(runStat("Runs", "Runs started in the selected range (run command and backfills).", "run.kind:run", count()));
  l.add(
    runStat(
      "Failed runs",
      "Runs that ended with exit code 1 in the selected range (failed, or no answer from the gate).",
      'run.kind:run AND run.outcome:(failed OR "gate-error")',
      count(),
    ),
  );
  l.add(
    runStat(
      "Gate denials",
      "Runs the concurrency gate did not allow: it answered False (this environment is not the active one) or gave no answer (gate-error).",
      "run.kind:run AND run.gate.allowed:false",
      count(),
    ),
  );
  l.add(
    runStat(
      "Documents written",
      "Documents the runs of the selected range wrote (rewrites of re-read minutes included).",
      "run.kind:run",
      sum("run.documents"),
    ),
  );
  l.add(
    runStat(
      "Cloudflare queries",
      "Cloudflare query cost of the runs of the selected range (zones x nodes, as Cloudflare counts it).",
      "run.kind:run",
      sum("run.queries"),
    ),
  );
  l.add(runStat("Bulk re-sends", "Documents Elasticsearch pushed back (429) and the runs sent again.", "run.kind:run", sum("run.bulk_retries")));
  resetIds();
  l.add(
    timeseries(
      "Run outcomes",
      "Runs per bucket by outcome: completed, failed (exit 1), not-active (the gate said another environment runs), stopped-by-gate (the gate was revoked mid-run), gate-error (the gate gave no answer; exit 1).",
      [target(RUNS, "run.kind:run", [count()], [terms("run.outcome", 10, "_key", { order: "asc" }), histogram()])],
      "short",
      ["sum"],
      {
        overrides: [
          byName("completed", [["color", { mode: "fixed", fixedColor: "green" }]]),
          byName("failed", [["color", { mode: "fixed", fixedColor: "red" }]]),
          byName("not-active", [["color", { mode: "fixed", fixedColor: "blue" }]]),
          byName("stopped-by-gate", [["color", { mode: "fixed", fixedColor: "orange" }]]),
          byName("gate-error", [["color", { mode: "fixed", fixedColor: "purple" }]]),
        ],
      },
      { drawStyle: "bars", fillOpacity: 80, stacking: { mode: "normal", group: "A" } },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Documents per run",
      "Documents written per run (the average of the runs in each bucket). A catch-up after downtime shows as a peak; a steady run writes the re-read overlap plus the new minutes.",
      [target(RUNS, "run.kind:run", [avg("run.documents")], [histogram()])],
      "short",
      ["mean", "max"],
      { overrides: [byName("Average run.documents", [["displayName", "Documents per run"]])] },
      { drawStyle: "points", showPoints: "always", pointSize: 5 },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Cloudflare queries per 5 minutes and the budget",
      "Cloudflare query cost of the runs started in each 5-minute bucket, against the configured budget (CF_QUERY_BUDGET, queries per 5 minutes; Cloudflare allows 300 per token; a setting, never summed).",
      [target(RUNS, "run.kind:run", [sum("run.queries"), max("run.query_budget")], [histogram("5m")])],
      "short",
      ["max"],
      {
        overrides: [
          byName("Sum run.queries", [["displayName", "Queries"]]),
          byName("Max run.query_budget", [
            ["displayName", "Budget"],
            ["color", { mode: "fixed", fixedColor: "red" }],
            ["custom.lineStyle", { fill: "dash", dash: [10, 10] }],
            ["custom.fillOpacity", 0],
          ]),
        ],
      },
      { drawStyle: "bars", fillOpacity: 60 },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Dataset results per run",
      "Per bucket, the zone (or account) and dataset results of the runs: ok, skipped (the plan lacks the dataset), failed, off.",
      [target(RUNS, "run.kind:dataset", [count()], [terms("run.status", 10, "_key", { order: "asc" }), histogram()])],
      "short",
      ["sum"],
      {
        overrides: [
          byName("ok", [["color", { mode: "fixed", fixedColor: "green" }]]),
          byName("failed", [["color", { mode: "fixed", fixedColor: "red" }]]),
          byName("skipped", [["color", { mode: "fixed", fixedColor: "yellow" }]]),
        ],
      },
      { drawStyle: "bars", fillOpacity: 80, stacking: { mode: "normal", group: "A" } },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Gate decisions",
      "Runs per bucket the concurrency gate allowed or denied. With two environments, one is denied on purpose; an alert fires only when no environment is allowed.",
      [
        target(
          RUNS,
          "run.kind:run",
          [count()],
          [
            filters([
              ["allowed", "run.gate.allowed:true"],
              ["denied", "run.gate.allowed:false"],
            ]),
            histogram(),
          ],
        ),
      ],
      "short",
      ["sum"],
      {
        overrides: [
          byName("allowed", [["color", { mode: "fixed", fixedColor: "green" }]]),
          byName("denied", [["color", { mode: "fixed", fixedColor: "orange" }]]),
        ],
      },
      { drawStyle: "bars", fillOpacity: 80, stacking: { mode: "normal", group: "A" } },
    ),
  );
  resetIds();
  l.add(
    timeseries(
      "Run duration",
      "The longest run of each bucket, from start to end.",
      [target(RUNS, "run.kind:run", [max("run.duration_ms")], [histogram()])],
      "ms",
      ["max", "mean"],
      { overrides: [byName("Max run.duration_ms", [["displayName", "Longest run"]])] },
    ),
  );
  resetIds();
  l.add(
    table(
      "Gate reasons",
      "Why the gate allowed or denied the runs of the selected range, and how often.",
      [target(RUNS, "run.kind:run", [count()], [terms("run.gate.reason", 50)])],
      { "run.gate.reason": "Reason", Count: "Runs" },
      [],
      { h: 8, w: 8 },
    ),
  );
  resetIds();
  l.add(
    table(
      "Errors",
      "Errors of the selected range: per run (run) and per zone and dataset (dataset), with how often each occurred. Messages never contain secrets.",
      [target(RUNS, "run.kind:* AND _exists_:run.error", [count()], [terms("run.kind", 10, "_key", { order: "desc" }), terms("run.error", 100)])],
      { "run.kind": "Scope", "run.error": "Error", Count: "Times" },
      [],
      { h: 8, w: 16 },
    ),
  );

  return dashboard(
    "cloudflare-exporter-health",
    "Cloudflare exporter health",
    "Is the data fresh, do the runs succeed, how much of the Cloudflare query budget do they use, and what does the concurrency gate decide. Data from the exporter's data indices and its runs index. Generated by scripts/build-dashboards.ts.",
    [
      dataSourceVariable("datasource", "Data", "cloudflare-analytics", "Elasticsearch data source for the exporter's data indices."),
      dataSourceVariable("runs", "Runs", "cloudflare-runs", "Elasticsearch data source for the exporter's runs index (<prefix>-runs-*)."),
    ],
    l.done(),
    "now-6h",
  );
}

/** File name (in dashboards/) -> dashboard JSON. */
export function buildDashboards(): Record<string, Json> {
  return {
    "cloudflare-zone-overview.json": overview(),
    "cloudflare-exporter-health.json": health(),
    "cloudflare-security-events.json": security(),
    "cloudflare-origins.json": origins(),
    "cloudflare-dns.json": dns(),
    "cloudflare-workers.json": workers(),
    "cloudflare-r2.json": r2(),
    "cloudflare-http-sampled.json": httpSampled(),
    "cloudflare-http-breakdowns.json": httpBreakdowns(),
    "cloudflare-http-overview.json": httpOverview(),
    "cloudflare-logpush.json": logpush(),
    "cloudflare-tunnels.json": tunnels(),
  };
}

export function render(dashboard: Json): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, json] of Object.entries(buildDashboards())) {
    const path = join(repoRoot, "dashboards", file);
    writeFileSync(path, render(json));
    console.log(`wrote ${path}`);
  }
}
