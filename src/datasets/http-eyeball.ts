/** `httpRequestsAdaptiveGroups` restricted to end users (`requestSource: eyeball`): no purges, health checks or Worker subrequests. */
import { groupedDataset } from "./grouped.js";

export const httpEyeball = groupedDataset({
  name: "http_eyeball",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests per zone and minute by edge status, country and host; sampled.",
  breakdown: "status_country_host",
  filter: 'requestSource: "eyeball"',
  dimensions: [
    {
      field: "edgeResponseStatus",
      as: "http.response.status_code",
      type: "integer",
      description: "Edge response status, numeric so that ranges such as 500-599 work.",
    },
    { field: "clientCountryName", as: "cloudflare.country", type: "keyword", description: "Client country, ISO 3166 alpha-2 (`XX` unknown, `T1` Tor)." },
    { field: "clientRequestHTTPHost", as: "cloudflare.host", type: "keyword", description: "Host name the request asked for." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true },
    { path: "sum.edgeResponseBytes", as: "cloudflare.bytes", type: "long", description: "Bytes sent to clients.", additive: true },
    { path: "sum.visits", as: "cloudflare.visits", type: "long", description: "Visits: page views that came from another site or directly.", additive: true },
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
  countConfidence: true,
});
