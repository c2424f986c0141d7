/** `httpRequestsAdaptiveGroups` restricted to end users (`requestSource: eyeball`): no purges, health checks or Worker subrequests. */
import { groupedDataset } from "./grouped.js";
import { bytes, country, edgeStatus, host, requests, visits } from "./shared-fields.js";

/** End users only: no purges, health checks, Worker subrequests or prefetches. The breakdowns of what users get use it. */
export const EYEBALL = 'requestSource: "eyeball"';

export const httpEyeball = groupedDataset({
  name: "http_eyeball",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests per zone and minute by edge status, country and host; sampled.",
  breakdown: "status_country_host",
  filter: EYEBALL,
  dimensions: [
    { field: "edgeResponseStatus", stored: edgeStatus },
    { field: "clientCountryName", stored: country },
    { field: "clientRequestHTTPHost", stored: host },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
    { path: "sum.visits", metric: visits },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
  countConfidence: true,
});
