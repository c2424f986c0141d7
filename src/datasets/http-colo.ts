/** `httpRequestsAdaptiveGroups` by Cloudflare data centre (colo) and host: where the traffic is served. */
import { groupedDataset } from "./grouped.js";
import { bytes, colo, host, requests, visits } from "./shared-fields.js";

export const httpColo = groupedDataset({
  name: "http_colo",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests, visits and bytes per zone and minute by edge data centre (colo) and host; sampled.",
  breakdown: "colo_host",
  dimensions: [
    { field: "coloCode", stored: colo },
    { field: "clientRequestHTTPHost", stored: host },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.visits", metric: visits },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 40,
  countConfidence: true,
});
