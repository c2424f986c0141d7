/** `logpushHealthAdaptiveGroups` (account scope): Logpush uploads per job, so failing jobs are seen before logs are missed. */
import { groupedDataset } from "./grouped.js";

export const logpushHealth = groupedDataset({
  name: "logpush_health",
  node: "logpushHealthAdaptiveGroups",
  scope: "account",
  description: "Logpush upload attempts per account and minute by job, destination and success; failed uploads are the entries with success 0; sampled.",
  breakdown: "job",
  dimensions: [
    { field: "jobId", as: "cloudflare.logpush.job_id", type: "keyword", description: "Logpush job id." },
    { field: "destinationType", as: "cloudflare.logpush.destination", type: "keyword", description: "Destination kind (`s3`, `gcs`, `http`, `r2`, ...)." },
    { field: "success", as: "cloudflare.logpush.success", type: "integer", description: "1 for successful uploads, 0 for failed ones." },
  ],
  metrics: [
    { path: "count", as: "cloudflare.events", type: "long", description: "Events (Cloudflare's estimate from the sample).", additive: true },
    { path: "sum.uploads", as: "cloudflare.logpush.uploads", type: "long", description: "Upload attempts.", additive: true },
    { path: "sum.records", as: "cloudflare.logpush.records", type: "long", description: "Log records in the uploads.", additive: true },
    { path: "sum.bytes", as: "cloudflare.bytes", type: "long", description: "Bytes uploaded (uncompressed).", additive: true },
  ],
  rankBy: "cloudflare.events",
  capped: false,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 5,
  countConfidence: true,
});
