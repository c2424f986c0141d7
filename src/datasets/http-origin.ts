/**
 * `httpRequestsAdaptiveGroups` for requests Cloudflare had to send to the origin (cache status miss, expired,
 * bypass, dynamic or revalidated), with origin status and response time quantiles: the origin's health as users feel it.
 */
import { dimension } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, country, host, originDuration, originDurationAvg, requests } from "./shared-fields.js";

/** The cache statuses of requests Cloudflare sent to the origin; http_origin_colo asks for the same requests. */
export const TO_ORIGIN = 'cacheStatus_in: ["miss", "expired", "bypass", "dynamic", "revalidated"]';

export const httpOrigin = groupedDataset({
  name: "http_origin",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests that reached the origin per zone and minute by origin status, country and host, with origin duration p50/p95/p99; sampled.",
  breakdown: "origin_status_country_host",
  filter: TO_ORIGIN,
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
    ...(["P50", "P95", "P99"] as const).map((q) => ({ path: `quantiles.originResponseDurationMs${q}`, metric: originDuration[q], optional: true })),
    { path: "avg.originResponseDurationMs", metric: originDurationAvg, optional: true },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 40,
  countConfidence: true,
});
