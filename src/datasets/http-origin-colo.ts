/**
 * `httpRequestsAdaptiveGroups` of requests sent to the origin, per data centre and host, with the origin's response
 * time (p50, p95, p99, mean): where the origin is slow, seen from which Cloudflare location. Pro plans and up; off
 * unless named (http_origin has the same times per host and status).
 */
import { groupedDataset } from "./grouped.js";
import { TO_ORIGIN } from "./http-origin.js";
import { colo, host, originDuration, originDurationAvg, requests } from "./shared-fields.js";

export const httpOriginColo = groupedDataset({
  name: "http_origin_colo",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests that reached the origin per zone and minute by data centre and host, with origin duration p50/p95/p99 and mean; sampled, Pro and up.",
  breakdown: "colo_host",
  filter: TO_ORIGIN,
  dimensions: [
    { field: "coloCode", stored: colo },
    { field: "clientRequestHTTPHost", stored: host },
  ],
  metrics: [
    { path: "count", metric: requests },
    ...(["P50", "P95", "P99"] as const).map((q) => ({ path: `quantiles.originResponseDurationMs${q}`, metric: originDuration[q] })),
    { path: "avg.originResponseDurationMs", metric: originDurationAvg },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
  countConfidence: true,
  optIn: true,
});
