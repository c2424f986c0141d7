/** `loadBalancingRequestsAdaptiveGroups`: how Cloudflare's load balancers steered requests (Pro and up, with Load Balancing). */
import { dimension } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, region, requests } from "./shared-fields.js";

export const loadBalancing = groupedDataset({
  name: "load_balancing",
  node: "loadBalancingRequestsAdaptiveGroups",
  scope: "zone",
  description: "Load-balanced requests per zone and minute by load balancer, pool, origin, region, steering policy and pool health; sampled.",
  breakdown: "steering",
  dimensions: [
    { field: "lbName", stored: asIs(dimension("cloudflare.lb.name", "keyword", "Load balancer (its host name).")) },
    { field: "selectedPoolName", stored: asIs(dimension("cloudflare.lb.pool", "keyword", "Pool the request was sent to.")) },
    { field: "selectedOriginName", stored: asIs(dimension("cloudflare.lb.origin", "keyword", "Origin the request was sent to.")) },
    { field: "region", stored: region },
    {
      field: "steeringPolicy",
      stored: asIs(
        dimension("cloudflare.lb.steering_policy", "keyword", "Steering policy that chose the pool (`off`, `geo`, `random`, `dynamic_latency`, ...)."),
      ),
    },
    {
      field: "selectedPoolHealthy",
      stored: asIs(dimension("cloudflare.lb.pool_healthy", "integer", "1 if the selected pool was healthy, 0 if not (failover).")),
    },
  ],
  metrics: [{ path: "count", metric: requests }],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 10,
  countConfidence: true,
});
