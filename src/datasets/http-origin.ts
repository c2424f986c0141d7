/**
 * `httpRequestsAdaptiveGroups` for requests Cloudflare had to send to the origin (cache status miss, expired,
 * bypass, dynamic or revalidated), with origin status and response time quantiles: the origin's health as users feel it.
 */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, country, host, requests } from "./shared-fields.js";

export const httpOrigin = groupedDataset({
  name: "http_origin",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests that reached the origin per zone and minute by origin status, country and host, with origin duration p50/p95/p99; sampled.",
  breakdown: "origin_status_country_host",
  filter: 'cacheStatus_in: ["miss", "expired", "bypass", "dynamic", "revalidated"]',
  dimensions: [
    // Not ECS `http.response.status_code`: that is the status the client got from the edge, this the origin's to Cloudflare.
    {
      field: "originResponseStatus",
      stored: asIs(dimension("cloudflare.origin.status_code", "integer", "Status the origin answered with (0: no answer).")),
    },
    { field: "clientCountryName", stored: country },
    { field: "clientRequestHTTPHost", stored: host },
  ],
  metrics: [
    { path: "count", metric: requests },
    ...(["P50", "P95", "P99"] as const).map((q) => ({
      path: `quantiles.originResponseDurationMs${q}`,
      metric: metric(
        `cloudflare.origin.duration_${q.toLowerCase()}_ms`,
        "double",
        "none",
        `${q} of the origin's response time in ms for the entry; not additive. Absent where the plan does not offer it (Free).`,
      ),
      optional: true,
    })),
    {
      path: "avg.originResponseDurationMs",
      metric: metric(
        "cloudflare.origin.duration_avg_ms",
        "double",
        "none",
        "Mean origin response time in ms for the entry; not additive. Absent where the plan does not offer it (Free).",
      ),
      optional: true,
    },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 40,
  countConfidence: true,
});
