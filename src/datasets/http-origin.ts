/**
 * `httpRequestsAdaptiveGroups` for requests Cloudflare had to send to the origin (cache status miss, expired,
 * bypass, dynamic or revalidated), with origin status and response time quantiles: the origin's health as users feel it.
 */
import { groupedDataset } from "./grouped.js";

export const httpOrigin = groupedDataset({
  name: "http_origin",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests that reached the origin per zone and minute by origin status, country and host, with origin duration p50/p95/p99; sampled.",
  breakdown: "origin_status_country_host",
  filter: 'cacheStatus_in: ["miss", "expired", "bypass", "dynamic", "revalidated"]',
  dimensions: [
    { field: "originResponseStatus", as: "cloudflare.origin.status_code", type: "integer", description: "Status the origin answered with (0: no answer)." },
    { field: "clientCountryName", as: "cloudflare.country", type: "keyword", description: "Client country, ISO 3166 alpha-2 (`XX` unknown, `T1` Tor)." },
    { field: "clientRequestHTTPHost", as: "cloudflare.host", type: "keyword", description: "Host name the request asked for." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true },
    ...(["P50", "P95", "P99"] as const).map((q) => ({
      path: `quantiles.originResponseDurationMs${q}`,
      as: `cloudflare.origin.duration_${q.toLowerCase()}_ms`,
      type: "double" as const,
      description: `${q} of the origin's response time in ms for the entry; not additive. Absent where the plan does not offer it (Free).`,
      additive: false,
      optional: true,
    })),
    {
      path: "avg.originResponseDurationMs",
      as: "cloudflare.origin.duration_avg_ms",
      type: "double",
      description: "Mean origin response time in ms for the entry; not additive. Absent where the plan does not offer it (Free).",
      additive: false,
      optional: true,
    },
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 40,
  countConfidence: true,
});
