/**
 * `httpRequestsOverviewAdaptiveGroups`: the Free plan's per-minute HTTP picture, where `httpRequests1mGroups` is not
 * available. Sampled, and without uniques, IP classes or threats; it runs only for zones without the exact rollup
 * unless named in `datasets`.
 */
import { groupedDataset } from "./grouped.js";
import { bytes, cachedBytes, cachedRequests, country, edgeStatus, pageViews, requests, visits } from "./shared-fields.js";

export const httpOverview = groupedDataset({
  name: "http_overview",
  node: "httpRequestsOverviewAdaptiveGroups",
  scope: "zone",
  description: "Free-plan stand-in for http_requests: HTTP totals per zone and minute by edge status and country; sampled, no uniques.",
  breakdown: "status_country",
  standInFor: "httpRequests1mGroups",
  dimensions: [
    { field: "edgeResponseStatus", stored: edgeStatus },
    { field: "clientCountryName", stored: country },
  ],
  metrics: [
    { path: "sum.requests", metric: requests },
    { path: "sum.bytes", metric: bytes },
    { path: "sum.cachedRequests", metric: cachedRequests },
    { path: "sum.cachedBytes", metric: cachedBytes },
    { path: "sum.pageViews", metric: pageViews },
    { path: "sum.visits", metric: visits },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
});
