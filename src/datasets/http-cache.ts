/**
 * `httpRequestsAdaptiveGroups` of end users by cache status, host and content type: what the cache serves where.
 * Each entry also carries its requests and bytes again as `cached_requests` / `cached_bytes` when its status is one
 * served from the cache (0 otherwise), so a hit ratio is a ratio of two sums over any range and any hosts, computed
 * when read. The ratio itself is never stored: ratios do not add up over minutes or hosts.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { bytes, cachedBytes, cachedRequests, cacheStatus, contentType, host, requests } from "./shared-fields.js";

/**
 * Cache statuses of responses served from Cloudflare's cache: the ones lablabs' exporter counts as cached
 * (../shared/reference/cloudflare-graphql-api.md §6); the simulator serves the first four.
 */
const CACHED_STATUSES = ["hit", "stale", "updating", "revalidated", "deferred_hit", "revalidated_hit"];

export const httpCache = groupedDataset({
  name: "http_cache",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests and bytes per zone and minute by cache status, host and content type, with the part served from cache; sampled.",
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
    { path: "count", metric: cachedRequests, when: { field: "cacheStatus", in: CACHED_STATUSES } },
    { path: "sum.edgeResponseBytes", metric: cachedBytes, when: { field: "cacheStatus", in: CACHED_STATUSES } },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
  countConfidence: true,
});
