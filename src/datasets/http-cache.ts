/**
 * `httpRequestsAdaptiveGroups` of end users by cache status, host and content type: what the cache serves where. The
 * hit ratio is computed when read (cached statuses over all), never stored: ratios do not add up over minutes.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { bytes, cacheStatus, contentType, host, requests } from "./shared-fields.js";

export const httpCache = groupedDataset({
  name: "http_cache",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests and bytes per zone and minute by cache status, host and content type; sampled.",
  breakdown: "cache_host_content_type",
  filter: EYEBALL,
  dimensions: [
    { field: "cacheStatus", stored: cacheStatus },
    { field: "clientRequestHTTPHost", stored: host },
    { field: "edgeResponseContentTypeName", stored: contentType },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
  countConfidence: true,
});
