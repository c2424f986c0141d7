/** `r2OperationsAdaptiveGroups` (account scope): R2 requests per bucket and operation. */
import { groupedDataset } from "./grouped.js";

export const r2Operations = groupedDataset({
  name: "r2_operations",
  node: "r2OperationsAdaptiveGroups",
  scope: "account",
  description: "R2 operations per account and minute by bucket and action (GetObject, PutObject, ...): requests and response bytes; sampled.",
  breakdown: "bucket_action",
  dimensions: [
    { field: "bucketName", as: "cloudflare.r2.bucket", type: "keyword", description: "R2 bucket (jurisdictional buckets are named `eu_<name>`)." },
    { field: "actionType", as: "cloudflare.r2.action", type: "keyword", description: "Operation (`GetObject`, `PutObject`, `ListObjects`, ...)." },
  ],
  metrics: [
    { path: "sum.requests", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true },
    { path: "sum.responseBytes", as: "cloudflare.bytes", type: "long", description: "Bytes sent to clients.", additive: true },
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  // R2's nodes carry no avg.sampleInterval: documents are marked sampled without an interval.
  sampleInterval: false,
  rowsPerMinute: 15,
});
