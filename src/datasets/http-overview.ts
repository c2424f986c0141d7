/**
 * `httpRequestsOverviewAdaptiveGroups`: the Free plan's per-minute HTTP picture, where `httpRequests1mGroups` is not
 * available. Sampled, and without uniques, IP classes or threats; it runs only for zones without the exact rollup
 * unless named in `datasets`.
 */
import { groupedDataset } from "./grouped.js";

const sum = (field: string, as: string, description: string) => ({
  path: `sum.${field}`,
  as: `cloudflare.${as}`,
  type: "long" as const,
  description,
  additive: true,
});

export const httpOverview = groupedDataset({
  name: "http_overview",
  node: "httpRequestsOverviewAdaptiveGroups",
  scope: "zone",
  description: "Free-plan stand-in for http_requests: HTTP totals per zone and minute by edge status and country; sampled, no uniques.",
  breakdown: "status_country",
  standInFor: "httpRequests1mGroups",
  dimensions: [
    {
      field: "edgeResponseStatus",
      as: "http.response.status_code",
      type: "integer",
      description: "Edge response status, numeric so that ranges such as 500-599 work.",
    },
    { field: "clientCountryName", as: "cloudflare.country", type: "keyword", description: "Client country, ISO 3166 alpha-2 (`XX` unknown, `T1` Tor)." },
  ],
  metrics: [
    sum("requests", "requests", "Requests (on sampled datasets Cloudflare's estimate)."),
    sum("bytes", "bytes", "Bytes sent to clients."),
    sum("cachedRequests", "cached_requests", "Requests served from Cloudflare's cache."),
    sum("cachedBytes", "cached_bytes", "Bytes served from Cloudflare's cache."),
    sum("pageViews", "page_views", "Successful HTML responses."),
    sum("visits", "visits", "Visits: page views that came from another site or directly."),
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 60,
});
