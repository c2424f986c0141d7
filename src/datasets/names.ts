/**
 * The names of every dataset the exporter knows, in the order runs process them. Kept apart from the dataset modules
 * so configuration can check `datasets: [...]` without loading them; a unit test keeps it equal to the registry.
 */
export const DATASET_NAMES = [
  "http_requests",
  "http_requests_hourly",
  "http_requests_daily",
  "http_overview",
  "http_eyeball",
  "http_origin",
  "http_colo",
  "firewall_events",
  "health_checks",
  "load_balancing",
  "dns",
  "workers",
  "r2_operations",
  "r2_storage",
  "logpush_health",
] as const;

export type DatasetName = (typeof DATASET_NAMES)[number];
