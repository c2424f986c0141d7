/**
 * `httpRequestsAdaptiveGroups` of end users per client autonomous system (number and name): which networks the
 * traffic comes from. Cloudflare offers `clientAsn` on Enterprise plans only; elsewhere off, with the reason. Off
 * unless named.
 */
import { groupedDataset } from "./grouped.js";
import { EYEBALL } from "./http-eyeball.js";
import { bytes, clientAsn, clientAsName, requests } from "./shared-fields.js";

export const httpAsn = groupedDataset({
  name: "http_asn",
  node: "httpRequestsAdaptiveGroups",
  scope: "zone",
  description: "End-user requests and bytes per zone and minute by client AS number and name, the top N of each minute; sampled, Enterprise.",
  breakdown: "asn",
  filter: EYEBALL,
  dimensions: [
    { field: "clientAsn", stored: clientAsn },
    { field: "clientASNDescription", stored: clientAsName },
  ],
  metrics: [
    { path: "count", metric: requests },
    { path: "sum.edgeResponseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 100,
  countConfidence: true,
  optIn: true,
});
