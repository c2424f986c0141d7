/**
 * `r2StorageAdaptiveGroups` (account scope): R2 storage per bucket and storage class. These are levels, not counts:
 * buckets add up within a minute (the total is the account's storage), but minutes do not add up over time; chart
 * the latest or the maximum, never a sum over time.
 */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, bucket } from "./shared-fields.js";

const level = (field: string, as: string, description: string) => ({
  path: `max.${field}`,
  metric: metric(`cloudflare.r2.${as}`, "long", "level", `${description} at that minute (a level: buckets add up, minutes do not).`),
});

const payload = level("payloadSize", "payload_bytes", "Bytes of object data stored");

export const r2Storage = groupedDataset({
  name: "r2_storage",
  node: "r2StorageAdaptiveGroups",
  scope: "account",
  description: "R2 storage per account and minute by bucket and storage class: payload and metadata size, objects, uploads (levels, not counts).",
  breakdown: "bucket",
  dimensions: [
    { field: "bucketName", stored: bucket },
    { field: "storageClass", stored: asIs(dimension("cloudflare.r2.storage_class", "keyword", "`Standard` or `InfrequentAccess`.")) },
  ],
  metrics: [
    payload,
    level("metadataSize", "metadata_bytes", "Bytes of object metadata stored"),
    level("objectCount", "objects", "Objects stored"),
    level("uploadCount", "uploads", "Multipart uploads in progress"),
  ],
  rankBy: payload.metric,
  capped: false,
  sampled: true,
  sampleInterval: false,
  rowsPerMinute: 10,
});
