/** The Cloudflare GraphQL Analytics simulator: public API. */

export { startSimulator } from "./server.js";
export type { RequestLogEntry, Simulator, SimulatorStats } from "./server.js";
export {
  ACCOUNT_DATASETS,
  DATASETS,
  DECLARABLE_ACCOUNT_NODES,
  DECLARABLE_ZONE_NODES,
  ENTERPRISE_SETTINGS,
  FAULT_KINDS,
  MAP_NAMES,
  PLANS,
  PLAN_REFUSED_FIELDS,
  PLAN_SETTINGS,
  ROLLUPS,
  ZONE_DATASETS,
  effectiveSettings,
  rowTypeName,
  scopeOf,
} from "./options.js";
export type {
  AccountDatasetName,
  AdaptiveName,
  DatasetName,
  DatasetSettings,
  FaultKind,
  MapName,
  Plan,
  RollupName,
  Scope,
  SimulatorConfig,
  SimulatorOptions,
  StatusCodes,
  ZoneDatasetName,
  ListingMode,
  RestAccount,
  RestFault,
  RestZone,
  SimTunnel,
  SimTunnelStatus,
} from "./options.js";
export type { RestLogEntry, RestStats } from "./rest.js";
export type { OwnerPeak } from "./faults.js";
export { tunnelAt } from "./rest.js";
export { dayTotals, finalMinute, growthFactor, hourTotals, observedMinute } from "./traffic.js";
export type {
  BrowserMapEntry,
  ClientHTTPVersionMapEntry,
  ClientSSLMapEntry,
  ContentTypeMapEntry,
  CountryMapEntry,
  IpClassMapEntry,
  ResponseStatusMapEntry,
  ThreatPathingMapEntry,
  TrafficData,
  TrafficSum,
} from "./traffic.js";
export { adaptiveEventList, adaptiveGroups } from "./truth.js";
export { HUGE_LITERAL } from "./shapes.js";
export type { AdaptiveEvent, GroundTruthOptions, GroundTruthRow } from "./truth.js";
