/** The simulator's options, their defaults (an Enterprise zone), and the resolved, run-time mutable configuration. */

export type DatasetName = "httpRequests1mGroups" | "httpRequests1hGroups";
export const DATASETS: readonly DatasetName[] = ["httpRequests1mGroups", "httpRequests1hGroups"];

/**
 * Injectable failures:
 * - `budget200`: rate limiter budget error with HTTP 200, the way practitioners see it;
 * - `http429`: the same body with HTTP 429, the documented status;
 * - `http503`: "too many queries in progress";
 * - `truncated`: HTTP 200 whose body stops halfway, so it is not valid JSON;
 * - `http500`: "Internal server error".
 */
export type FaultKind = "budget200" | "http429" | "http503" | "truncated" | "http500";
export const FAULT_KINDS: readonly FaultKind[] = ["budget200", "http429", "http503", "truncated", "http500"];

/**
 * HTTP status of error answers that are not injected faults: `observed` always sends 200 with `errors[]` (what
 * clients see in practice); `documented` uses the statuses of Cloudflare's errors page (400, 401, 403, 429, ...).
 */
export type StatusCodes = "observed" | "documented";

/** A dataset's limits as the `settings` node reports them; durations in seconds. */
export interface DatasetSettings {
  enabled: boolean;
  /** Widest time range one query may ask for. */
  maxDuration: number;
  /** Reported only: how Cloudflare counts fields is not documented, so the simulator does not enforce it. */
  maxNumberOfFields: number;
  /** Largest `limit`. */
  maxPageSize: number;
  /** How far back a query may reach. */
  notOlderThan: number;
}

export interface SimulatorOptions {
  /** TCP port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** Accepted bearer tokens. Unset: any non-empty token or e-mail + key pair is accepted. */
  tokens?: readonly string[] | undefined;
  /** @default "observed" */
  statusCodes?: StatusCodes;
  /** The simulator's clock in epoch ms: decides which minutes exist and how settled they are. @default Date.now */
  now?: () => number;
  /** Minutes until a minute's data is final; younger minutes are still growing. @default 0 */
  lateMinutes?: number;
  /** Per-dataset overrides of the Enterprise defaults. */
  settings?: { [D in DatasetName]?: Partial<DatasetSettings> };
  /** Datasets refused per zone tag (e.g. a Free zone: `{ tag: ["httpRequests1mGroups"] }`). */
  denied?: Readonly<Record<string, readonly DatasetName[]>>;
  /** @default 10 */
  maxZonesPerQuery?: number;
  /** Queries (zones x dataset nodes) allowed per sliding 5 minutes of real time. @default 300 */
  budgetPerFiveMinutes?: number;
  /** Share of requests, 0..1, answered with an injected fault. @default 0 */
  failureRate?: number;
  /** The faults to choose from. @default all of FAULT_KINDS */
  failureKinds?: readonly FaultKind[];
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
  /** Seed of the PRNG that decides which requests fail (traffic does not depend on it). @default 1 */
  seed?: number;
}

/** The resolved options. Every field may be changed while the simulator runs; the next request uses the new value. */
export interface SimulatorConfig {
  tokens: readonly string[] | undefined;
  statusCodes: StatusCodes;
  now: () => number;
  lateMinutes: number;
  settings: Record<DatasetName, DatasetSettings>;
  denied: Readonly<Record<string, readonly DatasetName[]>>;
  maxZonesPerQuery: number;
  budgetPerFiveMinutes: number;
  failureRate: number;
  failureKinds: readonly FaultKind[];
  latencyMs: number;
}

/** Enterprise limits: 1m data reaches 7 days back in windows of up to 3 days; 1h data 90 days back, 30-day windows. */
export const ENTERPRISE_SETTINGS: Readonly<Record<DatasetName, Readonly<DatasetSettings>>> = {
  httpRequests1mGroups: { enabled: true, maxDuration: 259_200, maxNumberOfFields: 30, maxPageSize: 10_000, notOlderThan: 604_800 },
  httpRequests1hGroups: { enabled: true, maxDuration: 2_592_000, maxNumberOfFields: 30, maxPageSize: 10_000, notOlderThan: 7_776_000 },
};

export function resolveOptions(options: SimulatorOptions): SimulatorConfig {
  return {
    tokens: options.tokens,
    statusCodes: options.statusCodes ?? "observed",
    now: options.now ?? Date.now,
    lateMinutes: options.lateMinutes ?? 0,
    settings: {
      httpRequests1mGroups: { ...ENTERPRISE_SETTINGS.httpRequests1mGroups, ...options.settings?.httpRequests1mGroups },
      httpRequests1hGroups: { ...ENTERPRISE_SETTINGS.httpRequests1hGroups, ...options.settings?.httpRequests1hGroups },
    },
    denied: options.denied ?? {},
    maxZonesPerQuery: options.maxZonesPerQuery ?? 10,
    budgetPerFiveMinutes: options.budgetPerFiveMinutes ?? 300,
    failureRate: options.failureRate ?? 0,
    failureKinds: options.failureKinds ?? FAULT_KINDS,
    latencyMs: options.latencyMs ?? 0,
  };
}
