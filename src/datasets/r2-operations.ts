/** `r2OperationsAdaptiveGroups` (account scope): R2 requests per bucket and operation. */
import { dimension } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, bucket, bytes, requests } from "./shared-fields.js";

export const r2Operations = groupedDataset({
  name: "r2_operations",
  node: "r2OperationsAdaptiveGroups",
  scope: "account",
  description: "R2 operations per account and minute by bucket and action (GetObject, PutObject, ...): requests and response bytes; sampled.",
  breakdown: "bucket_action",
  dimensions: [
    { field: "bucketName", stored: bucket },
    { field: "actionType", stored: asIs(dimension("cloudflare.r2.action", "keyword", "Operation (`GetObject`, `PutObject`, `ListObjects`, ...).")) },
  ],
  metrics: [
    { path: "sum.requests", metric: requests },
    { path: "sum.responseBytes", metric: bytes },
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  // R2's nodes carry no avg.sampleInterval: documents are marked sampled without an interval.
  sampleInterval: false,
  rowsPerMinute: 15,
});
