/**
 * The dashboard of the HTTP breakdowns (http_cache, http_ttfb, http_paths, http_origin_colo, http_asn, http_bots).
 * The cache hit ratio is divided when read, from the summed counts of the selected range: no ratio is stored, because
 * ratios of minutes or hosts do not add up. Time-to-first-byte and origin percentiles are per minute and entry: shown
 * as their peak or their mean over the minutes, never summed, and never taken for the percentile of the whole range.
 */
import {
  avg,
  byDimension,
  dashboard,
  datasetShare,
  DATA,
  dataSourceVariable,
  dimension,
  Layout,
  max,
  ownerVariable,
  peakByDimension,
  rangeByDimension,
  resetIds,
  SAMPLED,
  scoped,
  sum,
  table,
  target,
  type Json,
} from "./dashboard-kit.js";

const CACHE = "http_cache";
const CACHE_MAP = "cache_host_content_type";
const TTFB = "http_ttfb";
const PATHS = "http_paths";
const ORIGIN_COLO = "http_origin_colo";
const ASN = "http_asn";
const BOTS = "http_bots";
const CACHED = "served from Cloudflare's cache (cache status hit, stale, updating, revalidated, deferred_hit or revalidated_hit)";
const OTHER_ROW = 'Entries beyond the top N of a minute keep no host and show as "other".';

export function httpBreakdowns(): Json {
  const l = new Layout();

  l.row("Cache (http_cache)");
  l.add(
    datasetShare(
      "Cache hit ratio",
      `End-user requests ${CACHED}, over all end-user requests. Computed here from the stored counts, never stored: a ratio does not add up over minutes or hosts.`,
      CACHE,
      "zone",
      "cloudflare.cached_requests",
      "cloudflare.requests",
      6,
    ),
  );
  l.add(
    datasetShare(
      "Cached bandwidth ratio",
      `Bytes ${CACHED}, over all bytes sent to end users. Computed here from the stored sums, never stored.`,
      CACHE,
      "zone",
      "cloudflare.cached_bytes",
      "cloudflare.bytes",
      6,
    ),
  );
  l.add(
    byDimension(
      "Requests by cache status",
      "End-user requests per bucket and cache status.",
      CACHE,
      CACHE_MAP,
      "zone",
      "cloudflare.cache.status",
      "cloudflare.requests",
      "short",
      "",
      12,
    ),
  );
  {
    resetIds();
    const cached = sum("cloudflare.cached_requests");
    const all = sum("cloudflare.requests");
    const t = target(DATA, scoped(CACHE, CACHE_MAP, "zone"), [cached, all], [dimension("url.domain", 500, String(all.id))]);
    const spec = table(
      "Cache hit ratio by host",
      `Per host, end-user requests ${CACHED} over all its end-user requests: both summed over the selected range, then divided. ${OTHER_ROW} ${SAMPLED}`,
      [t],
      { "url.domain": "Host", "Sum cloudflare.cached_requests": "Cached requests", "Sum cloudflare.requests": "Requests" },
      [],
      { w: 12 },
    );
    spec.transformations = [
      {
        id: "calculateField",
        options: {
          mode: "binary",
          alias: "Hit ratio",
          replaceFields: false,
          binary: {
            left: { matcher: { id: "byName", options: "Sum cloudflare.cached_requests" } },
            operator: "/",
            right: { matcher: { id: "byName", options: "Sum cloudflare.requests" } },
          },
        },
      },
      ...spec.transformations!,
    ];
    spec.overrides = [{ matcher: { id: "byName", options: "Hit ratio" }, properties: [{ id: "unit", value: "percentunit" }] }];
    l.add(spec);
  }

  l.row("Edge time to first byte (http_ttfb)");
  {
    resetIds();
    const worst = max("cloudflare.edge.ttfb_p95_ms");
    const mean = avg("cloudflare.edge.ttfb_p95_ms");
    const t = target(DATA, scoped(TTFB, "host", "zone"), [worst, mean], [dimension("url.domain", 500, String(worst.id))]);
    l.add(
      table(
        "Slowest hosts by P95 time to first byte",
        "Per host, the 95th percentile of the edge's time to first byte as Cloudflare gives it for each minute: the worst minute of the selected range, and the mean of the minutes' values. A percentile does not add up and cannot be combined into the range's own P95: these are statistics of per-minute P95s, never summed. Slowest first. " +
          `${OTHER_ROW} ${SAMPLED}`,
        [t],
        {
          "url.domain": "Host", // One max and one average: Grafana names such columns by the metric type alone.
          Max: "Worst minute's P95",
          Average: "Mean of the minutes' P95",
        },
        [
          { matcher: { id: "byName", options: "Worst minute's P95" }, properties: [{ id: "unit", value: "ms" }] },
          { matcher: { id: "byName", options: "Mean of the minutes' P95" }, properties: [{ id: "unit", value: "ms" }] },
        ],
        { w: 12 },
      ),
    );
  }
  l.add(
    peakByDimension(
      "P95 time to first byte by host (peak)",
      "The edge's time to first byte, 95th percentile, per host.",
      TTFB,
      "host",
      "zone",
      "url.domain",
      "cloudflare.edge.ttfb_p95_ms",
      "ms",
    ),
  );

  l.row("Paths (http_paths, when named)");
  {
    resetIds();
    const requests = sum("cloudflare.requests");
    const bytes = sum("cloudflare.bytes");
    const t = target(
      DATA,
      scoped(PATHS, "host_path", "zone"),
      [requests, bytes],
      [dimension("url.domain", 100, String(requests.id)), dimension("cloudflare.url.path_pattern", 100, String(requests.id))],
    );
    l.add(
      table(
        "Top paths",
        `End-user requests and bytes per host and path pattern (ids collapsed: /orders/{num}), summed over the selected range, the busiest first. Entries beyond the top N of a minute keep no host or path and show as "other". ${SAMPLED}`,
        [t],
        { "url.domain": "Host", "cloudflare.url.path_pattern": "Path", "Sum cloudflare.requests": "Requests", "Sum cloudflare.bytes": "Bytes" },
        [{ matcher: { id: "byName", options: "Bytes" }, properties: [{ id: "unit", value: "decbytes" }] }],
        { w: 24 },
      ),
    );
  }

  l.row("Origin by data centre (http_origin_colo, when named)");
  l.add(
    peakByDimension(
      "Origin P95 by data centre (peak)",
      "The origin's response time, 95th percentile, per Cloudflare data centre that sent the requests (the slowest host of each).",
      ORIGIN_COLO,
      "colo_host",
      "zone",
      "cloudflare.colo",
      "cloudflare.origin.duration_p95_ms",
      "ms",
    ),
  );
  l.add(
    byDimension(
      "Origin requests by data centre",
      "Requests sent to the origin per bucket and Cloudflare data centre.",
      ORIGIN_COLO,
      "colo_host",
      "zone",
      "cloudflare.colo",
      "cloudflare.requests",
    ),
  );

  l.row("Networks and bots (http_asn, http_bots; when named, Enterprise)");
  l.add(
    rangeByDimension(
      "pie",
      "Share of requests by network (AS)",
      'End-user requests per client autonomous system (its name); entries beyond the top N and requests without an AS name show as "other".',
      ASN,
      "asn",
      "zone",
      "source.as.organization.name",
      "cloudflare.requests",
      "short",
      "",
      12,
    ),
  );
  l.add(
    rangeByDimension(
      "pie",
      "Share of requests by bot management decision",
      'End-user requests per Bot Management decision (likely_human, likely_automated, verified_bot, ...); entries beyond the top N and requests without a decision show as "other".',
      BOTS,
      "bot_host",
      "zone",
      "cloudflare.bot.management_decision",
      "cloudflare.requests",
      "short",
      "",
      12,
    ),
  );

  return dashboard(
    "cloudflare-http-breakdowns",
    "Cloudflare HTTP breakdowns",
    "The HTTP breakdowns of the selected zones (sampled): cache hit ratio per host, computed from stored counts; the slowest hosts by time to first byte; top paths; origin time per data centre; networks and bots. http_paths, http_origin_colo, http_asn and http_bots run only when named in CF_DATASETS, and the last two need Enterprise (Bot Management for bots): their panels stay empty otherwise. Generated by scripts/build-dashboards.ts.",
    [
      dataSourceVariable("datasource", "Data", "cloudflare-analytics", "Elasticsearch data source for the exporter's data indices."),
      ownerVariable("zone", [CACHE, TTFB, PATHS, ORIGIN_COLO, ASN, BOTS]),
    ],
    l.done(),
  );
}
