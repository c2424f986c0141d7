/** `healthCheckEventsAdaptiveGroups`: standalone health check results per origin and region (Pro and up). */
import { groupedDataset } from "./grouped.js";

export const healthChecks = groupedDataset({
  name: "health_checks",
  node: "healthCheckEventsAdaptiveGroups",
  scope: "zone",
  description: "Health check events per zone and minute by health status, check, origin, region and FQDN, with RTT and TTFB averages; sampled.",
  breakdown: "check",
  dimensions: [
    { field: "healthStatus", as: "cloudflare.health_check.status", type: "keyword", description: "`healthy` or `unhealthy`." },
    { field: "healthCheckName", as: "cloudflare.health_check.name", type: "keyword", description: "Name of the health check." },
    { field: "originIP", as: "cloudflare.health_check.origin_ip", type: "keyword", description: "Origin address that was checked." },
    { field: "region", as: "cloudflare.region", type: "keyword", description: "Cloudflare region the check or request ran from (e.g. `WEU`, `ENAM`)." },
    { field: "fqdn", as: "cloudflare.health_check.fqdn", type: "keyword", description: "Host name checked." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.events", type: "long", description: "Events (Cloudflare's estimate from the sample).", additive: true },
    {
      path: "avg.rttMs",
      as: "cloudflare.health_check.rtt_avg_ms",
      type: "double",
      description: "Mean round-trip time to the origin in ms; not additive.",
      additive: false,
    },
    {
      path: "avg.timeToFirstByteMs",
      as: "cloudflare.health_check.ttfb_avg_ms",
      type: "double",
      description: "Mean time to first byte in ms; not additive.",
      additive: false,
    },
  ],
  rankBy: "cloudflare.events",
  capped: false,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 6,
  countConfidence: true,
});
