export { loadConfig, type LoadConfigInput } from "./load.js";
export { ConfigError } from "./errors.js";
export { describeConfig } from "./describe-config.js";
export { demoZones } from "./zones.js";
export type * from "./types.js";
