/**
 * `r2StorageAdaptiveGroups` (account scope): R2 storage per bucket and storage class. These are levels, not counts:
 * buckets add up within a minute (the total is the account's storage), but minutes do not add up over time; chart
 * the latest or the maximum, never a sum over time.
 */
import { groupedDataset } from "./grouped.js";

const level = (field: string, as: string, description: string) => ({
  path: `max.${field}`,
  as: `cloudflare.r2.${as}`,
  type: "long" as const,
  description: `${description} at that minute (a level: buckets add up, minutes do not).`,
  additive: true,
  merge: "max" as const,
});

export const r2Storage = groupedDataset({
  name: "r2_storage",
  node: "r2StorageAdaptiveGroups",
  scope: "account",
  description: "R2 storage per account and minute by bucket and storage class: payload and metadata size, objects, uploads (levels, not counts).",
  breakdown: "bucket",
  dimensions: [
    { field: "bucketName", as: "cloudflare.r2.bucket", type: "keyword", description: "R2 bucket (jurisdictional buckets are named `eu_<name>`)." },
    { field: "storageClass", as: "cloudflare.r2.storage_class", type: "keyword", description: "`Standard` or `InfrequentAccess`." },
  ],
  metrics: [
    level("payloadSize", "payload_bytes", "Bytes of object data stored"),
    level("metadataSize", "metadata_bytes", "Bytes of object metadata stored"),
    level("objectCount", "objects", "Objects stored"),
    level("uploadCount", "uploads", "Multipart uploads in progress"),
  ],
  rankBy: "cloudflare.r2.payload_bytes",
  capped: false,
  sampled: true,
  sampleInterval: false,
  rowsPerMinute: 10,
});
