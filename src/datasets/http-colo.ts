/** `httpRequestsAdaptiveGroups` by Cloudflare data centre (colo) and host: where the traffic is served. */
import { groupedDataset } from "./grouped.js";

export const httpColo = groupedDataset({
  name: "http_colo",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "Requests, visits and bytes per zone and minute by edge data centre (colo) and host; sampled.",
  breakdown: "colo_host",
  dimensions: [
    { field: "coloCode", as: "cloudflare.colo", type: "keyword", description: "Cloudflare data centre (IATA code, e.g. `FRA`)." },
    { field: "clientRequestHTTPHost", as: "cloudflare.host", type: "keyword", description: "Host name the request asked for." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true },
    { path: "sum.visits", as: "cloudflare.visits", type: "long", description: "Visits: page views that came from another site or directly.", additive: true },
    { path: "sum.edgeResponseBytes", as: "cloudflare.bytes", type: "long", description: "Bytes sent to clients.", additive: true },
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 40,
  countConfidence: true,
});
