/** `healthCheckEventsAdaptiveGroups`: standalone health check results per origin and region (Pro and up). */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, events, region } from "./shared-fields.js";

export const healthChecks = groupedDataset({
  name: "health_checks",
  node: "healthCheckEventsAdaptiveGroups",
  scope: "zone",
  description: "Health check events per zone and minute by health status, check, origin, region and FQDN, with RTT and TTFB averages; sampled.",
  breakdown: "check",
  dimensions: [
    { field: "healthStatus", stored: asIs(dimension("cloudflare.health_check.status", "keyword", "`healthy` or `unhealthy`.")) },
    { field: "healthCheckName", stored: asIs(dimension("cloudflare.health_check.name", "keyword", "Name of the health check.")) },
    { field: "originIP", stored: asIs(dimension("cloudflare.health_check.origin_ip", "keyword", "Origin address that was checked (as Cloudflare gives it).")) },
    { field: "region", stored: region },
    { field: "fqdn", stored: asIs(dimension("cloudflare.health_check.fqdn", "keyword", "Host name checked.")) },
  ],
  metrics: [
    { path: "count", metric: events },
    { path: "avg.rttMs", metric: metric("cloudflare.health_check.rtt_avg_ms", "double", "none", "Mean round-trip time to the origin in ms; not additive.") },
    {
      path: "avg.timeToFirstByteMs",
      metric: metric("cloudflare.health_check.ttfb_avg_ms", "double", "none", "Mean time to first byte in ms; not additive."),
    },
  ],
  rankBy: events,
  capped: false,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 6,
  countConfidence: true,
});
