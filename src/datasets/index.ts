/** The explicit list of datasets the exporter knows, in the order runs process them. Adding one: its module, its fixtures, one line here. */
import type { Dataset } from "./dataset.js";
import { dns } from "./dns.js";
import { firewallEvents } from "./firewall-events.js";
import { healthChecks } from "./health-checks.js";
import { httpColo } from "./http-colo.js";
import { httpEyeball } from "./http-eyeball.js";
import { httpOrigin } from "./http-origin.js";
import { httpOverview } from "./http-overview.js";
import { httpRequests } from "./http-requests.js";
import { httpRequestsDaily } from "./http-requests-daily.js";
import { httpRequestsHourly } from "./http-requests-hourly.js";
import { loadBalancing } from "./load-balancing.js";
import { logpushHealth } from "./logpush-health.js";
import { r2Operations } from "./r2-operations.js";
import { r2Storage } from "./r2-storage.js";
import { workers } from "./workers.js";

export const datasets: readonly Dataset[] = [
  httpRequests,
  httpRequestsHourly,
  httpRequestsDaily,
  httpOverview,
  httpEyeball,
  httpOrigin,
  httpColo,
  firewallEvents,
  healthChecks,
  loadBalancing,
  dns,
  workers,
  r2Operations,
  r2Storage,
  logpushHealth,
];

export type { Dataset } from "./dataset.js";
