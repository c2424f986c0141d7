/**
 * The simulator's options, the nodes it serves, the per-plan limits of each node (Enterprise by default), and the
 * resolved, run-time mutable configuration.
 */

import digest from "../src/datasets/declared/adaptive-nodes.json" with { type: "json" };

/** Zone-scoped dataset nodes (`viewer.zones[].<node>`) with plan settings of their own; see `SERVED_ZONE_NODES`. */
export const ZONE_DATASETS = [
  "httpRequests1mGroups",
  "httpRequests1hGroups",
  "httpRequests1dGroups",
  "httpRequestsAdaptiveGroups",
  "httpRequestsOverviewAdaptiveGroups",
  "firewallEventsAdaptiveGroups",
  "healthCheckEventsAdaptiveGroups",
  "loadBalancingRequestsAdaptiveGroups",
  "dnsAnalyticsAdaptiveGroups",
] as const;

/** Account-scoped dataset nodes (`viewer.accounts[].<node>`). */
export const ACCOUNT_DATASETS = ["workersInvocationsAdaptive", "r2OperationsAdaptiveGroups", "r2StorageAdaptiveGroups", "logpushHealthAdaptiveGroups"] as const;

const specified = (name: string): boolean => (ZONE_DATASETS as readonly string[]).includes(name) || (ACCOUNT_DATASETS as readonly string[]).includes(name);

/**
 * Every other per-minute Adaptive group node of Cloudflare's schema (the digest user-declared datasets are checked
 * against, src/datasets/declared/adaptive-nodes.json), served for user-declared datasets: its events come from its
 * schema types alone (specs.ts' generic spec) and its settings are `DECLARABLE_SETTINGS` on every plan. A name both
 * scopes have is served in one (the nodes are keyed by name): the zone's.
 */
export const DECLARABLE_ZONE_NODES: readonly string[] = Object.keys(digest.zone).filter((n) => !specified(n));
export const DECLARABLE_ACCOUNT_NODES: readonly string[] = Object.keys(digest.account).filter((n) => !specified(n) && !Object.hasOwn(digest.zone, n));
/** Every node the simulator answers, by scope. */
export const SERVED_ZONE_NODES: readonly string[] = [...ZONE_DATASETS, ...DECLARABLE_ZONE_NODES];
export const SERVED_ACCOUNT_NODES: readonly string[] = [...ACCOUNT_DATASETS, ...DECLARABLE_ACCOUNT_NODES];
export const SERVED_NODES: readonly string[] = [...SERVED_ZONE_NODES, ...SERVED_ACCOUNT_NODES];

export function isServed(name: string): boolean {
  return SERVED_NODES.includes(name);
}

export type ZoneDatasetName = (typeof ZONE_DATASETS)[number];
export type AccountDatasetName = (typeof ACCOUNT_DATASETS)[number];
export type DatasetName = ZoneDatasetName | AccountDatasetName;
export const DATASETS: readonly DatasetName[] = [...ZONE_DATASETS, ...ACCOUNT_DATASETS];

/** The unsampled rollups (served from the per-minute traffic of traffic.ts); every other node is adaptive (sampled). */
export type RollupName = "httpRequests1mGroups" | "httpRequests1hGroups" | "httpRequests1dGroups";
export const ROLLUPS: readonly RollupName[] = ["httpRequests1mGroups", "httpRequests1hGroups", "httpRequests1dGroups"];
export type AdaptiveName = Exclude<DatasetName, RollupName>;

export type Scope = "zone" | "account";

export function isRollup(name: string): name is RollupName {
  return (ROLLUPS as readonly string[]).includes(name);
}

export function scopeOf(node: string): Scope {
  return SERVED_ZONE_NODES.includes(node) ? "zone" : "account";
}

/** The GraphQL type of a node's rows, e.g. `ZoneFirewallEventsAdaptiveGroups`, `AccountR2StorageAdaptiveGroups`. */
export function rowTypeName(node: string): string {
  return `${scopeOf(node) === "zone" ? "Zone" : "Account"}${node[0]!.toUpperCase()}${node.slice(1)}`;
}

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
  /**
   * Most leaf fields one node selection may have. Reported; enforced only with `enforceFieldCap` (how Cloudflare counts
   * fields is not documented).
   */
  maxNumberOfFields: number;
  /** Largest `limit`. */
  maxPageSize: number;
  /** How far back a query may reach. */
  notOlderThan: number;
}

/** A zone's (or account's) plan: decides each node's settings and the fields it refuses. */
export type Plan = "free" | "pro" | "business" | "enterprise";
export const PLANS: readonly Plan[] = ["free", "pro", "business", "enterprise"];

const DAY = 86_400;
const on = (notOlderThan: number, maxDuration: number): DatasetSettings => ({
  enabled: true,
  maxDuration,
  maxNumberOfFields: 30,
  maxPageSize: 10_000,
  notOlderThan,
});
const off = (notOlderThan: number, maxDuration: number): DatasetSettings => ({ ...on(notOlderThan, maxDuration), enabled: false });

/**
 * Each node's settings per plan. Sources (../shared/reference/cloudflare-graphql-api.md §3):
 * - documented retention (older limits page): 1m n/a / 24 h / 3 d / 7 d; 1h 3 d / 7 d / 30 d / 90 d; 1d 365 d on every
 *   plan; firewallEventsAdaptiveGroups n/a / 3 d / 30 d / 30 d; health checks n/a / 3 d / 30 d / 90 d; load
 *   balancing n/a / 3 d / 30 d / 30 d;
 * - measured on Free: httpRequestsAdaptiveGroups 8 d back, 1 d window; httpRequestsOverviewAdaptiveGroups 32 d back,
 *   32 d window; httpRequests1hGroups 73 h back, 3 d window; dnsAnalyticsAdaptiveGroups 8 d back, 7 d window; Workers
 *   and R2 90 d back; 1m, firewall, health checks and load balancing disabled;
 * - documented example: firewallEventsAdaptive 31 d back, 3-day window; Workers "up to one month of data for dates up
 *   to three months ago".
 * PLAUSIBLE, NOT PUBLISHED (chosen here): every maxDuration not listed above (windows of the paid plans: 1m 1 d on
 * Pro, 3 d on Business/Enterprise; 1h 7 d on Pro, 30 d above; 1d 365 d; adaptive HTTP 1 d on Pro, 3 d above; firewall,
 * health checks, load balancing 3 d; DNS 7 d; Workers and R2 31 d; logpush 3 d), the adaptive retention of paid plans
 * (adaptive HTTP 8 d on Pro, 31 d on Business/Enterprise; overview 32 d on every plan; DNS 8 d on Pro, 31 d above),
 * and logpushHealthAdaptiveGroups (31 d back on every plan); the nodes served only for user-declared datasets
 * (`DECLARABLE_SETTINGS`: 31 d back, 3 d windows on every plan). maxPageSize is 10,000 and maxNumberOfFields 30
 * everywhere.
 */
export const PLAN_SETTINGS: Readonly<Record<Plan, Readonly<Record<DatasetName, Readonly<DatasetSettings>>>>> = {
  free: {
    httpRequests1mGroups: off(DAY, DAY),
    httpRequests1hGroups: on(73 * 3600, 3 * DAY),
    httpRequests1dGroups: on(365 * DAY, 365 * DAY),
    httpRequestsAdaptiveGroups: on(8 * DAY, DAY),
    httpRequestsOverviewAdaptiveGroups: on(32 * DAY, 32 * DAY),
    firewallEventsAdaptiveGroups: off(3 * DAY, 3 * DAY),
    healthCheckEventsAdaptiveGroups: off(3 * DAY, 3 * DAY),
    loadBalancingRequestsAdaptiveGroups: off(3 * DAY, 3 * DAY),
    dnsAnalyticsAdaptiveGroups: on(8 * DAY, 7 * DAY),
    workersInvocationsAdaptive: on(90 * DAY, 31 * DAY),
    r2OperationsAdaptiveGroups: on(90 * DAY, 31 * DAY),
    r2StorageAdaptiveGroups: on(90 * DAY, 31 * DAY),
    logpushHealthAdaptiveGroups: on(31 * DAY, 3 * DAY),
  },
  pro: {
    httpRequests1mGroups: on(DAY, DAY),
    httpRequests1hGroups: on(7 * DAY, 7 * DAY),
    httpRequests1dGroups: on(365 * DAY, 365 * DAY),
    httpRequestsAdaptiveGroups: on(8 * DAY, DAY),
    httpRequestsOverviewAdaptiveGroups: on(32 * DAY, 32 * DAY),
    firewallEventsAdaptiveGroups: on(3 * DAY, 3 * DAY),
    healthCheckEventsAdaptiveGroups: on(3 * DAY, 3 * DAY),
    loadBalancingRequestsAdaptiveGroups: on(3 * DAY, 3 * DAY),
    dnsAnalyticsAdaptiveGroups: on(8 * DAY, 7 * DAY),
    workersInvocationsAdaptive: on(90 * DAY, 31 * DAY),
    r2OperationsAdaptiveGroups: on(90 * DAY, 31 * DAY),
    r2StorageAdaptiveGroups: on(90 * DAY, 31 * DAY),
    logpushHealthAdaptiveGroups: on(31 * DAY, 3 * DAY),
  },
  business: {
    httpRequests1mGroups: on(3 * DAY, 3 * DAY),
    httpRequests1hGroups: on(30 * DAY, 30 * DAY),
    httpRequests1dGroups: on(365 * DAY, 365 * DAY),
    httpRequestsAdaptiveGroups: on(31 * DAY, 3 * DAY),
    httpRequestsOverviewAdaptiveGroups: on(32 * DAY, 32 * DAY),
    firewallEventsAdaptiveGroups: on(30 * DAY, 3 * DAY),
    healthCheckEventsAdaptiveGroups: on(30 * DAY, 3 * DAY),
    loadBalancingRequestsAdaptiveGroups: on(30 * DAY, 3 * DAY),
    dnsAnalyticsAdaptiveGroups: on(31 * DAY, 7 * DAY),
    workersInvocationsAdaptive: on(90 * DAY, 31 * DAY),
    r2OperationsAdaptiveGroups: on(90 * DAY, 31 * DAY),
    r2StorageAdaptiveGroups: on(90 * DAY, 31 * DAY),
    logpushHealthAdaptiveGroups: on(31 * DAY, 3 * DAY),
  },
  enterprise: {
    httpRequests1mGroups: on(7 * DAY, 3 * DAY),
    httpRequests1hGroups: on(90 * DAY, 30 * DAY),
    httpRequests1dGroups: on(365 * DAY, 365 * DAY),
    httpRequestsAdaptiveGroups: on(31 * DAY, 3 * DAY),
    httpRequestsOverviewAdaptiveGroups: on(32 * DAY, 32 * DAY),
    firewallEventsAdaptiveGroups: on(30 * DAY, 3 * DAY),
    healthCheckEventsAdaptiveGroups: on(90 * DAY, 3 * DAY),
    loadBalancingRequestsAdaptiveGroups: on(30 * DAY, 3 * DAY),
    dnsAnalyticsAdaptiveGroups: on(31 * DAY, 7 * DAY),
    workersInvocationsAdaptive: on(90 * DAY, 31 * DAY),
    r2OperationsAdaptiveGroups: on(90 * DAY, 31 * DAY),
    r2StorageAdaptiveGroups: on(90 * DAY, 31 * DAY),
    logpushHealthAdaptiveGroups: on(31 * DAY, 3 * DAY),
  },
};

/** The settings of the nodes served for user-declared datasets only, on every plan (our model: nothing is published). */
const DECLARABLE_SETTINGS: Readonly<DatasetSettings> = on(31 * DAY, 3 * DAY);

/** A node's settings on a plan: its own, or `DECLARABLE_SETTINGS`. */
function planSettings(plan: Plan, node: string): Readonly<DatasetSettings> {
  return (PLAN_SETTINGS[plan] as Readonly<Record<string, Readonly<DatasetSettings>>>)[node] ?? DECLARABLE_SETTINGS;
}

/** Enterprise limits: the defaults of every zone and account without a `plans` entry. */
export const ENTERPRISE_SETTINGS: Readonly<Record<DatasetName, Readonly<DatasetSettings>>> = PLAN_SETTINGS.enterprise;

/**
 * Fields a plan refuses, as prefixes of a field name: a node's field whose name starts with one of them (at any
 * level: `dimensions_clientAsn`, `sum_originResponseDurationMs`, `quantiles_edgeTimeToFirstByteMsP95`,
 * `confidence_sum_edgeTimeToFirstByteMs_estimate`, `sum_botDetectionIdArray`) is missing from `availableFields`, and
 * selecting, filtering or ordering by it fails the query. Measured on Free (reference §2.2): `originResponseDurationMs`
 * and `edgeTimeToFirstByteMs` need Pro, `clientAsn*` Enterprise, `botScore*` / `botManagementDecision` Bot Management
 * (an Enterprise add-on), fraud detection fields were refused on a zone of unknown plan. Extending `clientAsn` to
 * `clientASNDescription` and `botScore` to every `bot*` field, and applying the list to every node, is a choice.
 */
export const PLAN_REFUSED_FIELDS: Readonly<Record<Plan, readonly string[]>> = {
  free: ["originResponseDurationMs", "edgeTimeToFirstByteMs", "clientAsn", "clientASN", "bot", "fraud"],
  pro: ["clientAsn", "clientASN", "bot", "fraud"],
  business: ["clientAsn", "clientASN", "bot", "fraud"],
  enterprise: [],
};

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
  /**
   * Per-dataset overrides, for every zone and account. An Enterprise tag gets Enterprise settings with these applied;
   * a tag with another plan gets its plan's settings with those fields applied that differ from Enterprise's.
   */
  settings?: { [D in DatasetName]?: Partial<DatasetSettings> } & { readonly [node: string]: Partial<DatasetSettings> | undefined };
  /** Datasets refused per zone or account tag (e.g. `{ tag: ["httpRequests1mGroups"] }`), whatever the plan. */
  denied?: Readonly<Record<string, readonly string[]>>;
  /** Plan per zone or account tag. @default "enterprise" for every tag */
  plans?: Readonly<Record<string, Plan>>;
  /**
   * Fields refused per zone or account tag whatever the plan, as `availableFields` paths (`dimensions_description`,
   * `quantiles_cpuTimeP99`; a trailing `*` matches any path with that prefix), in every node that has them.
   */
  refusedFields?: Readonly<Record<string, readonly string[]>>;
  /** @default 10 */
  maxZonesPerQuery?: number;
  /**
   * Queries (zones or accounts x dataset nodes) allowed per sliding 5 minutes of real time, per user: every request
   * without `X-Rate-Limit-Type: account-based` (see `ownerBudgetPerFiveMinutes`). @default 300
   */
  budgetPerFiveMinutes?: number;
  /**
   * The clock the query budget's 5-minute window runs on: `real` time (default), or the simulator's own clock
   * (`now`), so that consecutive runs replayed minutes apart with `--now` see the budget refill as Cloudflare's would.
   */
  budgetClock?: "real" | "simulated";
  /**
   * Account-based rate limiting, which a client opts into per request with the HTTP header
   * `X-Rate-Limit-Type: account-based` (the value compared without regard to case or surrounding spaces; any other
   * value, or none, keeps `budgetPerFiveMinutes`). Such a request is not charged to `budgetPerFiveMinutes`: each zone
   * and each account it queries has a budget of its own of this many queries per sliding 5 minutes (on `budgetClock`),
   * and is charged the number of dataset nodes the request queries it with. A request that would take any of its
   * owners over is refused, uncharged (no owner is charged), with `Zone <tag> has exceeded its rate limit. Please try
   * again after 5 minutes. Refer to this page for more details about rate limits:
   * https://developers.cloudflare.com/analytics/graphql-api/limits/` (or `Account <tag> ...`), `extensions.code`
   * "budget", HTTP 200 or, with `statusCodes: "documented"`, 429. In that mode a request whose `zones` filters name
   * more than one zone in all (`zoneTag_in` with two tags, or two `zones` fields each naming another zone) is refused,
   * uncharged, with `a list of zones at viewer level is not allowed with account-based rate limiting` (HTTP 200 or
   * 400); one zone (`zoneTag: X` or `zoneTag_in: [X]`) is accepted. Source: Cloudflare's account-based rate limiting
   * page (developers.cloudflare.com/analytics/graphql-api/account-based-rate-limiting; ../shared/reference/
   * cloudflare-graphql-api.md §"Rate limits"): the header, 1 request per second per account and per zone (300 per 5
   * minutes; Enterprise defaults 15 per second per account and 10 per zone, see `ownerBudgets`), the refusal text, and
   * "a list of zones at viewer level is not allowed". Our model: counting an owner's dataset nodes (not requests),
   * as the per-user budget counts queries; the zone-list error's text, class and reach (the whole request). The
   * schema served has no `zones` under `accounts`, so "a zones block nested in accounts counts against the account"
   * does not arise. @default 300
   */
  ownerBudgetPerFiveMinutes?: number;
  /**
   * Account-based rate limiting: per zone or account tag, its own budget in place of `ownerBudgetPerFiveMinutes`
   * (e.g. 4,500 for an Enterprise account's 15 requests per second, 3,000 for an Enterprise zone's 10). Source: the
   * Enterprise defaults of Cloudflare's account-based rate limiting page. @default {}
   */
  ownerBudgets?: Readonly<Record<string, number>>;
  /** `viewer { budget }` is refused: what is left must be learned elsewhere (its meaning is undocumented). @default false */
  hideBudget?: boolean;
  /** Share of requests, 0..1, answered with an injected fault. @default 0 */
  failureRate?: number;
  /** The faults to choose from. @default all of FAULT_KINDS */
  failureKinds?: readonly FaultKind[];
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
  /** Seed of the PRNG that decides which requests fail (traffic does not depend on it). @default 1 */
  seed?: number;

  // ---- Shapes of real answers (each off by default; see shapes.ts and DEVELOPERS.md) ----

  /**
   * Rollups (1m, 1h, 1d): `contentTypeMap`, `responseStatusMap` and `countryMap` list some names twice, as two slices
   * whose figures add up to the entry they were split from. Source: a recorded real 1m answer whose `contentTypeMap`
   * had `js`, `woff` and `xml` twice each, with different figures (../shared/reference/real-cloudflare-answers.md);
   * the other two maps are our model, so that merging is tested on a numeric key and on a map with three figures.
   * Every row that has a `contentTypeMap` entry of 2 or more requests shows at least one repeat. @default false
   */
  repeatedMapNames?: boolean;
  /**
   * Rollups: per map, the share (0..1) of the map's total its entries cover: entries are kept largest first, the one
   * that crosses the share is cut, the rest dropped, so the map's main figure (requests; page views for `browserMap`,
   * threats for `threatPathingMap`) adds up to floor(share x total) and no figure to more than its total. The totals
   * stay as they are. 1 (or more) leaves the map whole, 0 empties it. Source: a recorded real 1m answer whose
   * `countryMap` covered 65,567 of 68,493 requests while the other maps were exact. @default {} (every map whole)
   */
  partialMaps?: Partial<Record<MapName, number>>;
  /**
   * A request whose queries (owners x dataset nodes, as the budget counts them) exceed this is refused, uncharged,
   * with `in combination, your request queries too many nodes, zones and accounts` (documented status 429). Source:
   * Cloudflare's errors page; the threshold is not published. @default undefined (no limit besides the budget)
   */
  maxQueriesPerRequest?: number;
  /**
   * A request asking for more owner-minutes than this (per dataset node: its owners x the minutes of its requested
   * time range; summed over nodes) is refused, uncharged, with `query consumed excessive resources, please try running
   * smaller queries which consume fewer resources` (documented status 429). Source: Cloudflare's errors page; how
   * Cloudflare measures "resources" is not published, owner-minutes is our model. @default undefined (no limit)
   */
  maxOwnerMinutesPerRequest?: number;
  /**
   * Enforce each node's `maxNumberOfFields` (settable per node with `settings`): a node selecting more leaf fields is
   * refused with `number of fields can't be more than <n>` (documented status 400). Source: Cloudflare's errors page;
   * how Cloudflare counts fields is not published, project.ts `leafCount` is our model. @default false (reported only)
   */
  enforceFieldCap?: boolean;
  /**
   * `settings.<node>.availableFields` answers an empty list (its format is loosely documented, so a client cannot
   * always rely on it); refused fields still fail queries as before. Source: our model of that uncertainty
   * (../shared/reference/cloudflare-graphql-api.md: "the availableFields format is unverified"). @default false
   */
  hideAvailableFields?: boolean;
  /**
   * Every rollup node's answer carries an integer above 2^53 in its first row: `sum.bytes` (or, when it is not
   * selected, the row's first integer) is written as the literal 9007199254740993, which a JavaScript number cannot
   * hold. Ground truth does not model it. Source: our model (the schema types these figures uint64). @default false
   */
  hugeNumbers?: boolean;
  /**
   * Every successful GraphQL answer is padded with whitespace before its final `}` to at least this many bytes, sent
   * in 1 MiB chunks without a content-length, so a client must count what streams in to refuse it. Source: our model
   * (a guard against unbounded answers). @default 0 (no padding)
   */
  padBodyToBytes?: number;
  /**
   * Adaptive (grouped) nodes: some rows are split into two rows with identical dimensions; `count` and the `sum`
   * figures of the two add up exactly to the original's, every other figure (averages, quantiles, maxima, minima,
   * ratios, confidence) is the original's in both. Not seen in a real recording: modelled on the rollups' repeated map
   * names, so that merging repeated keys is tested for grouped datasets too. `groundTruth.groups` keeps returning the
   * merged rows. @default false
   */
  repeatedGroupRows?: boolean;
  /**
   * Zones and accounts (tags) without any traffic: every dataset node answers no rows for them, after the usual
   * checks (a parked domain; most zones have no Workers, load balancers or health checks either). Ground truth
   * says the same. Source: a window without data is an empty list (an empty map is `[]` in recorded answers,
   * ../shared/reference/real-cloudflare-answers.md); which owners are idle is our model. @default []
   */
  idleTags?: readonly string[];

  // ---- Cloudflare's REST API, for discovery: GET /client/v4/accounts and /client/v4/zones (see rest.ts) ----

  /** Accounts `GET /accounts` lists. @default [] */
  accounts?: readonly RestAccount[];
  /** Zones `GET /zones` lists, in this order, whatever their status (`?status=` filters them). @default [] */
  zones?: readonly RestZone[];
  /** How `GET /accounts` answers the credentials; see `ListingMode`. @default "ok" */
  accountsListing?: ListingMode;
  /** How `GET /zones` answers the credentials; see `ListingMode`. @default "ok" */
  zonesListing?: ListingMode;
  /**
   * REST requests allowed per sliding 5 minutes of real time; beyond it HTTP 429, code 10100 and `retry-after`.
   * Source: Cloudflare's API limits page (1,200 per 5 minutes per user) and the 429 body in lablabs/cloudflare-exporter#74.
   * @default 1200
   */
  restBudgetPerFiveMinutes?: number;
  /** Injected REST failures, each for the requests it matches; see `RestFault`. @default [] */
  restFaults?: readonly RestFault[];
  /**
   * Cloudflare Tunnels `GET /accounts/{id}/cfd_tunnel` lists, by account id; an account not named has none. Their
   * status follows each tunnel's `schedule` on the simulator's clock (`now`), so runs at different minutes see it
   * change. Source: Cloudflare's API reference (`tunnel_cfd_tunnel`: id, name, status, connections with `colo_name`
   * and `is_pending_reconnect`); the schedule and the connections per status are our model. @default {}
   */
  tunnels?: Readonly<Record<string, readonly SimTunnel[]>>;
  /**
   * Accounts whose tunnel list is refused: HTTP 403, code 10000 "Authentication error", what Cloudflare answers a
   * token without Cloudflare Tunnel Read (the code REST clients report for a missing permission). @default []
   */
  tunnelsRefused?: readonly string[];
}

/** Cloudflare's tunnel statuses (`tunnel_status`). */
export type SimTunnelStatus = "healthy" | "degraded" | "down" | "inactive";

/** A tunnel the REST simulator lists. */
export interface SimTunnel {
  readonly id: string;
  readonly name: string;
  /**
   * Statuses in turn, each for its whole minutes, repeating from minute 0 of the epoch on the simulator's clock: e.g.
   * `[{ status: "healthy", minutes: 8 }, { status: "down", minutes: 2 }]`. @default always healthy
   */
  readonly schedule?: readonly { readonly status: SimTunnelStatus; readonly minutes: number }[];
  /** Connections of the tunnel when healthy, spread over `colos` in turn. @default 4 */
  readonly connections?: number;
  /** @default ["FRA", "AMS", "LHR", "CDG"] */
  readonly colos?: readonly string[];
}

/** A zone as the REST simulator lists it; `plan` follows the `plans` option of its id. */
export interface RestZone {
  readonly id: string;
  readonly name: string;
  /** Cloudflare's zone statuses (OpenAPI `zones-get`). @default "active" */
  readonly status?: "initializing" | "pending" | "active" | "moved";
  readonly account: RestAccount;
}

export interface RestAccount {
  readonly id: string;
  readonly name: string;
}

/**
 * How a list endpoint answers valid credentials:
 * - `ok`: the list;
 * - `forbidden`: HTTP 403, code 9109 "Unauthorized to access requested resource" (a token without the permission;
 *   the code is the one client threads report, e.g. octodns/octodns-cloudflare#60);
 * - `account-token` (accounts only): HTTP 400, code 1001 "List accounts endpoint does not support account owned
 *   tokens" (seen in edgefirst-dev/starter#3).
 */
export type ListingMode = "ok" | "forbidden" | "account-token";

/**
 * A REST failure injected instead of the answer: for requests to `path` (and `page`, when set), `times` times (every
 * time when unset). `http500`/`http503`: Cloudflare's envelope with code 10000-range errors; `http429`: the rate
 * limit's body and `retry-after: retryAfter` (default 1); `html502`: a proxy's HTML page; `truncated`: HTTP 200 whose
 * body stops halfway. Source: our model of what any HTTP peer can do.
 */
export interface RestFault {
  /** `/cfd_tunnel`: the tunnel list of any account. */
  readonly path: "/accounts" | "/zones" | "/cfd_tunnel";
  readonly page?: number;
  readonly kind: "http500" | "http503" | "http429" | "html502" | "truncated";
  readonly times?: number;
  readonly retryAfter?: number;
}

/** The rollup maps under `sum`. */
export const MAP_NAMES = [
  "countryMap",
  "responseStatusMap",
  "contentTypeMap",
  "browserMap",
  "clientSSLMap",
  "clientHTTPVersionMap",
  "ipClassMap",
  "threatPathingMap",
] as const;
export type MapName = (typeof MAP_NAMES)[number];

/** The resolved options. Every field may be changed while the simulator runs; the next request uses the new value. */
export interface SimulatorConfig {
  tokens: readonly string[] | undefined;
  statusCodes: StatusCodes;
  now: () => number;
  lateMinutes: number;
  /** Enterprise settings with the `settings` option applied. */
  /** Every served node's (the specified ones by name, those served for declared datasets by any string). */
  settings: Record<DatasetName, DatasetSettings> & Record<string, DatasetSettings | undefined>;
  denied: Readonly<Record<string, readonly string[]>>;
  plans: Readonly<Record<string, Plan>>;
  refusedFields: Readonly<Record<string, readonly string[]>>;
  maxZonesPerQuery: number;
  budgetPerFiveMinutes: number;
  budgetClock: "real" | "simulated";
  ownerBudgetPerFiveMinutes: number;
  ownerBudgets: Readonly<Record<string, number>>;
  hideBudget: boolean;
  failureRate: number;
  failureKinds: readonly FaultKind[];
  latencyMs: number;
  repeatedMapNames: boolean;
  partialMaps: Partial<Record<MapName, number>>;
  /** undefined: no limit. */
  maxQueriesPerRequest: number | undefined;
  /** undefined: no limit. */
  maxOwnerMinutesPerRequest: number | undefined;
  enforceFieldCap: boolean;
  hideAvailableFields: boolean;
  hugeNumbers: boolean;
  /** 0: no padding. */
  padBodyToBytes: number;
  repeatedGroupRows: boolean;
  idleTags: ReadonlySet<string>;
  accounts: readonly RestAccount[];
  zones: readonly RestZone[];
  accountsListing: ListingMode;
  zonesListing: ListingMode;
  restBudgetPerFiveMinutes: number;
  restFaults: readonly RestFault[];
  tunnels: Readonly<Record<string, readonly SimTunnel[]>>;
  tunnelsRefused: readonly string[];
}

export function resolveOptions(options: SimulatorOptions): SimulatorConfig {
  const settings = {} as SimulatorConfig["settings"];
  for (const node of SERVED_NODES) {
    const given = options.settings?.[node];
    const s = { ...planSettings("enterprise", node), ...given };
    // Cloudflare's windows never reach further back than its history: a shorter history given alone shortens them too
    // (a test can still give both, to model a hostile answer).
    if (given?.notOlderThan !== undefined && given.maxDuration === undefined) s.maxDuration = Math.min(s.maxDuration, given.notOlderThan);
    settings[node] = s;
  }
  return {
    tokens: options.tokens,
    statusCodes: options.statusCodes ?? "observed",
    now: options.now ?? Date.now,
    lateMinutes: options.lateMinutes ?? 0,
    settings,
    denied: options.denied ?? {},
    plans: options.plans ?? {},
    refusedFields: options.refusedFields ?? {},
    maxZonesPerQuery: options.maxZonesPerQuery ?? 10,
    budgetPerFiveMinutes: options.budgetPerFiveMinutes ?? 300,
    budgetClock: options.budgetClock ?? "real",
    ownerBudgetPerFiveMinutes: options.ownerBudgetPerFiveMinutes ?? 300,
    ownerBudgets: options.ownerBudgets ?? {},
    hideBudget: options.hideBudget ?? false,
    failureRate: options.failureRate ?? 0,
    failureKinds: options.failureKinds ?? FAULT_KINDS,
    latencyMs: options.latencyMs ?? 0,
    repeatedMapNames: options.repeatedMapNames ?? false,
    partialMaps: options.partialMaps ?? {},
    maxQueriesPerRequest: options.maxQueriesPerRequest,
    maxOwnerMinutesPerRequest: options.maxOwnerMinutesPerRequest,
    enforceFieldCap: options.enforceFieldCap ?? false,
    hideAvailableFields: options.hideAvailableFields ?? false,
    hugeNumbers: options.hugeNumbers ?? false,
    padBodyToBytes: options.padBodyToBytes ?? 0,
    repeatedGroupRows: options.repeatedGroupRows ?? false,
    idleTags: new Set(options.idleTags ?? []),
    accounts: options.accounts ?? [],
    zones: options.zones ?? [],
    accountsListing: options.accountsListing ?? "ok",
    zonesListing: options.zonesListing ?? "ok",
    restBudgetPerFiveMinutes: options.restBudgetPerFiveMinutes ?? 1200,
    restFaults: options.restFaults ?? [],
    tunnels: options.tunnels ?? {},
    tunnelsRefused: options.tunnelsRefused ?? [],
  };
}

/**
 * A tag's settings for a node: its plan's (Enterprise: the configured `settings`), then the `settings` overrides that
 * differ from Enterprise's defaults, then `denied`.
 */
export function effectiveSettings(tag: string, node: string, config: SimulatorConfig): DatasetSettings {
  const plan = config.plans[tag] ?? "enterprise";
  let s: DatasetSettings = config.settings[node] ?? planSettings(plan, node);
  if (plan !== "enterprise") {
    const overrides: Partial<DatasetSettings> = {};
    const enterprise = planSettings("enterprise", node);
    for (const key of Object.keys(s) as (keyof DatasetSettings)[]) {
      if (s[key] !== enterprise[key]) (overrides as Record<string, unknown>)[key] = s[key];
    }
    s = { ...planSettings(plan, node), ...overrides };
  }
  const denied = config.denied[tag]?.includes(node) ?? false;
  return denied ? { ...s, enabled: false } : s;
}
