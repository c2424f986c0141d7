/**
 * The one registry of datasets, in the order runs process them: adding one is its module, its fixtures and one line
 * here. Names (`DatasetName`, `DATASET_NAMES`, which configuration checks `datasets:` against) follow from it.
 */
import type { Dataset } from "./dataset.js";
import { declaredDataset, type Declaration } from "./declared/dataset.js";
import { dns } from "./dns.js";
import { firewallEvents } from "./firewall-events.js";
import { healthChecks } from "./health-checks.js";
import { httpAsn } from "./http-asn.js";
import { httpBots } from "./http-bots.js";
import { httpCache } from "./http-cache.js";
import { httpColo } from "./http-colo.js";
import { httpEyeball } from "./http-eyeball.js";
import { httpOrigin } from "./http-origin.js";
import { httpOriginColo } from "./http-origin-colo.js";
import { httpPaths } from "./http-paths.js";
import { httpOverview } from "./http-overview.js";
import { httpRequests } from "./http-requests.js";
import { httpRequestsDaily } from "./http-requests-daily.js";
import { httpRequestsHourly } from "./http-requests-hourly.js";
import { httpTtfb } from "./http-ttfb.js";
import { loadBalancing } from "./load-balancing.js";
import { logpushHealth } from "./logpush-health.js";
import { r2Operations } from "./r2-operations.js";
import { r2Storage } from "./r2-storage.js";
import { tunnels } from "./tunnels.js";
import { workers } from "./workers.js";

const registry = [
  httpRequests,
  httpRequestsHourly,
  httpRequestsDaily,
  httpOverview,
  httpEyeball,
  httpOrigin,
  httpColo,
  httpCache,
  httpTtfb,
  httpPaths,
  httpOriginColo,
  httpAsn,
  httpBots,
  firewallEvents,
  healthChecks,
  loadBalancing,
  dns,
  workers,
  r2Operations,
  r2Storage,
  logpushHealth,
] as const;

/**
 * Datasets that are no GraphQL query over time but a snapshot of the present, read from Cloudflare's REST API by each
 * run at its minute (snapshots.ts): no coverage, no backfill, no query budget.
 */
const snapshotRegistry = [tunnels] as const;

/** The name of a dataset the exporter knows, e.g. `http_requests`. */
export type DatasetName = (typeof registry)[number]["name"] | (typeof snapshotRegistry)[number]["name"];

export const datasets: readonly Dataset[] = registry;

/** The built-in datasets, then the config file's declared ones (`customDatasets`), which run like built-ins. */
export function datasetsOf(config: { readonly customDatasets: readonly Declaration[] }): readonly Dataset[] {
  return [...registry, ...config.customDatasets.map(declaredDataset)];
}

export type SnapshotDataset = (typeof snapshotRegistry)[number];
export const snapshotDatasets: readonly SnapshotDataset[] = snapshotRegistry;

export const DATASET_NAMES: readonly DatasetName[] = [...registry.map((d) => d.name), ...snapshotRegistry.map((d) => d.name)];

/** In `datasets`: every dataset that runs unless named otherwise (all but the opt-in ones). */
export const DEFAULT_SET = "default";
/** In `datasets`: every dataset, opt-in ones included. */
export const EVERY_DATASET = "all";

export type { Dataset } from "./dataset.js";
