/** `loadBalancingRequestsAdaptiveGroups`: how Cloudflare's load balancers steered requests (Pro and up, with Load Balancing). */
import { groupedDataset } from "./grouped.js";

export const loadBalancing = groupedDataset({
  name: "load_balancing",
  node: "loadBalancingRequestsAdaptiveGroups",
  scope: "zone",
  description: "Load-balanced requests per zone and minute by load balancer, pool, origin, region, steering policy and pool health; sampled.",
  breakdown: "steering",
  dimensions: [
    { field: "lbName", as: "cloudflare.lb.name", type: "keyword", description: "Load balancer (its host name)." },
    { field: "selectedPoolName", as: "cloudflare.lb.pool", type: "keyword", description: "Pool the request was sent to." },
    { field: "selectedOriginName", as: "cloudflare.lb.origin", type: "keyword", description: "Origin the request was sent to." },
    { field: "region", as: "cloudflare.region", type: "keyword", description: "Cloudflare region the check or request ran from (e.g. `WEU`, `ENAM`)." },
    {
      field: "steeringPolicy",
      as: "cloudflare.lb.steering_policy",
      type: "keyword",
      description: "Steering policy that chose the pool (`off`, `geo`, `random`, `dynamic_latency`, ...).",
    },
    {
      field: "selectedPoolHealthy",
      as: "cloudflare.lb.pool_healthy",
      type: "integer",
      description: "1 if the selected pool was healthy, 0 if not (failover).",
    },
  ],
  metrics: [{ path: "count", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true }],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 10,
  countConfidence: true,
});
