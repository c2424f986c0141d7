/** `dnsAnalyticsAdaptiveGroups`: queries answered by Cloudflare's authoritative DNS for the zone. */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, colo } from "./shared-fields.js";

const queries = metric("cloudflare.queries", "long", "sum", "DNS queries (Cloudflare's estimate from the sample).");

export const dns = groupedDataset({
  name: "dns",
  node: "dnsAnalyticsAdaptiveGroups",
  scope: "zone",
  description: "Authoritative DNS queries per zone and minute by query type, response code, cached or not and data centre; sampled.",
  breakdown: "query",
  dimensions: [
    {
      field: "queryType",
      stored: asIs(dimension("dns.question.type", "keyword", "ECS: the record type asked for (`A`, `AAAA`, `CNAME`, `MX`, `TXT`, `HTTPS`, ...).")),
    },
    { field: "responseCode", stored: asIs(dimension("dns.response_code", "keyword", "ECS: the DNS response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, ...).")) },
    { field: "responseCached", stored: asIs(dimension("cloudflare.dns.cached", "integer", "1 if answered from cache, else 0.")) },
    { field: "coloName", stored: colo },
  ],
  metrics: [
    { path: "count", metric: queries },
    {
      path: "avg.processingTimeUs",
      metric: metric("cloudflare.dns.processing_avg_us", "double", "none", "Mean processing time in microseconds; not additive."),
    },
  ],
  rankBy: queries,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 30,
  countConfidence: true,
});
