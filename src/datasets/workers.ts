/** `workersInvocationsAdaptive` (account scope): Workers invocations per script and outcome. */
import { dimension, metric } from "./fields.js";
import { groupedDataset } from "./grouped.js";
import { asIs, requests } from "./shared-fields.js";

const quantile = (field: string, q: "P50" | "P99", as: string, unit: string) => ({
  path: `quantiles.${field}${q}`,
  metric: metric(
    `cloudflare.worker.${as}_${q.toLowerCase()}${unit}`,
    "double",
    "none",
    `${q} of the invocations' ${as.replace("_", " ")}${unit ? ` (${unit.slice(1)})` : ""}; not additive.`,
  ),
});

export const workers = groupedDataset({
  name: "workers",
  node: "workersInvocationsAdaptive",
  scope: "account",
  description: "Workers invocations per account and minute by script and status: requests, errors, subrequests, CPU time and duration quantiles; sampled.",
  breakdown: "script_status",
  dimensions: [
    { field: "scriptName", stored: asIs(dimension("cloudflare.worker.script", "keyword", "Worker script name.")) },
    {
      field: "status",
      stored: asIs(
        dimension(
          "cloudflare.worker.status",
          "keyword",
          "Invocation outcome (`success`, `clientDisconnected`, `scriptThrewException`, `exceededResources`, ...).",
        ),
      ),
    },
  ],
  metrics: [
    { path: "sum.requests", metric: requests },
    { path: "sum.errors", metric: metric("cloudflare.errors", "long", "sum", "Invocations that ended in an error.") },
    { path: "sum.subrequests", metric: metric("cloudflare.subrequests", "long", "sum", "Fetches the Worker made.") },
    { path: "sum.cpuTimeUs", metric: metric("cloudflare.worker.cpu_time_us", "long", "sum", "CPU time used, in microseconds.") },
    { path: "sum.duration", metric: metric("cloudflare.worker.duration_gb_s", "double", "sum", "Wall-clock duration billed, in GB-seconds.") },
    quantile("cpuTime", "P50", "cpu_time", "_us"),
    quantile("cpuTime", "P99", "cpu_time", "_us"),
    quantile("duration", "P50", "duration", ""),
    quantile("duration", "P99", "duration", ""),
  ],
  rankBy: requests,
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 20,
});
