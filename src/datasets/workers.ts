/** `workersInvocationsAdaptive` (account scope): Workers invocations per script and outcome. */
import { groupedDataset } from "./grouped.js";

const quantile = (field: string, q: "P50" | "P99", as: string, unit: string) => ({
  path: `quantiles.${field}${q}`,
  as: `cloudflare.worker.${as}_${q.toLowerCase()}${unit}`,
  type: "double" as const,
  description: `${q} of the invocations' ${as.replace("_", " ")}${unit ? ` (${unit.slice(1)})` : ""}; not additive.`,
  additive: false,
});

export const workers = groupedDataset({
  name: "workers",
  node: "workersInvocationsAdaptive",
  scope: "account",
  description: "Workers invocations per account and minute by script and status: requests, errors, subrequests, CPU time and duration quantiles; sampled.",
  breakdown: "script_status",
  dimensions: [
    { field: "scriptName", as: "cloudflare.worker.script", type: "keyword", description: "Worker script name." },
    {
      field: "status",
      as: "cloudflare.worker.status",
      type: "keyword",
      description: "Invocation outcome (`success`, `clientDisconnected`, `scriptThrewException`, `exceededResources`, ...).",
    },
  ],
  metrics: [
    { path: "sum.requests", as: "cloudflare.requests", type: "long", description: "Requests (on sampled datasets Cloudflare's estimate).", additive: true },
    { path: "sum.errors", as: "cloudflare.errors", type: "long", description: "Invocations that ended in an error.", additive: true },
    { path: "sum.subrequests", as: "cloudflare.subrequests", type: "long", description: "Fetches the Worker made.", additive: true },
    { path: "sum.cpuTimeUs", as: "cloudflare.worker.cpu_time_us", type: "long", description: "CPU time used, in microseconds.", additive: true },
    { path: "sum.duration", as: "cloudflare.worker.duration_gb_s", type: "double", description: "Wall-clock duration billed, in GB-seconds.", additive: true },
    quantile("cpuTime", "P50", "cpu_time", "_us"),
    quantile("cpuTime", "P99", "cpu_time", "_us"),
    quantile("duration", "P50", "duration", ""),
    quantile("duration", "P99", "duration", ""),
  ],
  rankBy: "cloudflare.requests",
  capped: true,
  sampled: true,
  sampleInterval: true,
  rowsPerMinute: 20,
});
