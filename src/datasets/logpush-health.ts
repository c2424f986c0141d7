/** `logpushHealthAdaptiveGroups` (account scope): Logpush uploads per job, so failing jobs are seen before logs are missed. */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, bytes, events } from "./shared-fields.js";

export const logpushHealth = groupedDataset({
  name: "logpush_health",
  node: "logpushHealthAdaptiveGroups",
  scope: "account",
  description: "Logpush upload attempts per account and minute by job, destination and success; failed uploads are the entries with success 0; sampled.",
  breakdown: "job",
  dimensions: [
    { field: "jobId", stored: asIs(dimension("cloudflare.logpush.job_id", "keyword", "Logpush job id.")) },
    { field: "destinationType", stored: asIs(dimension("cloudflare.logpush.destination", "keyword", "Destination kind (`s3`, `gcs`, `http`, `r2`, ...).")) },
    { field: "success", stored: asIs(dimension("cloudflare.logpush.success", "integer", "1 for successful uploads, 0 for failed ones.")) },
  ],
  metrics: [
    { path: "count", metric: events },
    { path: "sum.uploads", metric: metric("cloudflare.logpush.uploads", "long", "sum", "Upload attempts.") },
    { path: "sum.records", metric: metric("cloudflare.logpush.records", "long", "sum", "Log records in the uploads.") },
    { path: "sum.bytes", metric: bytes },
  ],
  rankBy: events,
  capped: false,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 5,
  countConfidence: true,
});
