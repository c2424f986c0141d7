/** The Cloudflare GraphQL Analytics simulator: public API. */

export { startSimulator } from "./server.js";
export type { RequestLogEntry, Simulator, SimulatorStats } from "./server.js";
export { DATASETS, ENTERPRISE_SETTINGS, FAULT_KINDS } from "./options.js";
export type { DatasetName, DatasetSettings, FaultKind, SimulatorConfig, SimulatorOptions, StatusCodes } from "./options.js";
export { finalMinute, growthFactor, hourTotals, observedMinute } from "./traffic.js";
export type {
  BrowserMapEntry, ClientHTTPVersionMapEntry, ClientSSLMapEntry, ContentTypeMapEntry, CountryMapEntry, IpClassMapEntry,
  ResponseStatusMapEntry, ThreatPathingMapEntry, TrafficData, TrafficSum,
} from "./traffic.js";
