/**
 * `httpRequestsAdaptiveGroups` of end users by host and path pattern: the top paths per host. Paths are collapsed to
 * patterns before they become keys (paths.ts), so `/orders/48213` and `/orders/48214` are one entry and the top N is
 * the busiest endpoints, not the busiest ids; the remainder and the totals are computed after collapsing. Off unless
 * named: even collapsed, paths are the costliest breakdown in documents.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { collapsePath } from "./paths.js";
import { bytes, host, pathPattern, requests } from "./shared-fields.js";

export const httpPaths = groupedDataset({
  name: "http_paths",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests and bytes per zone and minute by host and path pattern (ids collapsed), the top N of each minute; sampled.",
  breakdown: "host_path",
  filter: EYEBALL,
  dimensions: [
    { field: "clientRequestHTTPHost", stored: host },
    { field: "clientRequestPath", stored: pathPattern, transform: (path) => collapsePath(String(path)) },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 300,
  countConfidence: true,
  optIn: true,
});
