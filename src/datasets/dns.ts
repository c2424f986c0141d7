/** `dnsAnalyticsAdaptiveGroups`: queries answered by Cloudflare's authoritative DNS for the zone. */
import { groupedDataset } from "./grouped.js";

export const dns = groupedDataset({
  name: "dns",
  node: "dnsAnalyticsAdaptiveGroups",
  scope: "zone",
  description: "Authoritative DNS queries per zone and minute by query type, response code, cached or not and data centre; sampled.",
  breakdown: "query",
  dimensions: [
    {
      field: "queryType",
      as: "cloudflare.dns.query_type",
      type: "keyword",
      description: "Record type asked for (`A`, `AAAA`, `CNAME`, `MX`, `TXT`, `HTTPS`, ...).",
    },
    { field: "responseCode", as: "cloudflare.dns.response_code", type: "keyword", description: "DNS response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, ...)." },
    { field: "responseCached", as: "cloudflare.dns.cached", type: "integer", description: "1 if answered from cache, else 0." },
    { field: "coloName", as: "cloudflare.colo", type: "keyword", description: "Cloudflare data centre (IATA code, e.g. `FRA`)." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.queries", type: "long", description: "DNS queries (Cloudflare's estimate from the sample).", additive: true },
    {
      path: "avg.processingTimeUs",
      as: "cloudflare.dns.processing_avg_us",
      type: "double",
      description: "Mean processing time in microseconds; not additive.",
      additive: false,
    },
  ],
  rankBy: "cloudflare.queries",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 30,
  countConfidence: true,
});
