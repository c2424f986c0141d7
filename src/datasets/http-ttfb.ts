/**
 * `httpRequestsAdaptiveGroups` of end users per host with the edge's time to first byte (p50, p95, p99, mean): which
 * hosts are slow as clients feel it, cached or not. Pro plans and up; elsewhere off, with the plan's refusal as reason.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { edgeTtfb, edgeTtfbAvg, host, requests } from "./shared-fields.js";

export const httpTtfb = groupedDataset({
  name: "http_ttfb",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests per zone and minute by host, with the edge's time to first byte p50/p95/p99 and mean; sampled, Pro and up.",
  breakdown: "host",
  filter: EYEBALL,
  dimensions: [{ field: "clientRequestHTTPHost", stored: host }],
  metrics: [
    { path: "count", metric: requests },
    ...(["P50", "P95", "P99"] as const).map((q) => ({ path: `quantiles.edgeTimeToFirstByteMs${q}`, metric: edgeTtfb[q] })),
    { path: "avg.edgeTimeToFirstByteMs", metric: edgeTtfbAvg },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 10,
  countConfidence: true,
});
