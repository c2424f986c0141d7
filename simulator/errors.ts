/**
 * Cloudflare's error wire format and the messages the simulator sends.
 *
 * Cloudflare answers `{"data":null,"errors":[{"message","path","extensions":{"code"?,"timestamp"}}]}`; `path` holds
 * strings (the zone index too, e.g. ["viewer","zones","0","httpRequests1mGroups"]) or null. Cloudflare's documentation
 * gives an HTTP status per class of error, but the same errors are commonly seen with HTTP 200. `statusFor` supports
 * both.
 */

import type { Scope, StatusCodes } from "./options.js";

/** The classes of Cloudflare's errors page, each with the HTTP status that page documents. */
export type ErrorClass = "auth" | "authz" | "parse" | "limit" | "rate" | "unavailable" | "internal";

const DOCUMENTED_STATUS: Readonly<Record<ErrorClass, number>> = {
  auth: 401,
  authz: 403,
  parse: 400,
  limit: 400,
  rate: 429,
  unavailable: 503,
  internal: 500,
};

export const MESSAGES = {
  unauthorized: "Unauthorized",
  budget: "rate limiter budget depleted, try again after 5 minutes",
  busy: "too many queries in progress, please try again later",
  internal: "Internal server error",
  queryError: "query contains error, please review it and retry",
  tooManyZones: "too many zones requested",
  emptyZoneFilter: "empty zone filters not allowed",
  /** Plausible, modelled on the zone message (Cloudflare's wording for accounts was not found). */
  emptyAccountFilter: "empty account filters not allowed",
  /** Plausible, modelled on the zone message: Cloudflare allows exactly one account per account-scoped query. */
  tooManyAccounts: "too many accounts requested",
  /** Cloudflare's errors page (rate class, 429): the request as a whole asks for too many owners x nodes. */
  tooManyNodes: "in combination, your request queries too many nodes, zones and accounts",
  /** Cloudflare's errors page (rate class, 429). */
  excessiveResources: "query consumed excessive resources, please try running smaller queries which consume fewer resources",
  /**
   * OUR MODEL, NOT CLOUDFLARE'S WORDING: account-based rate limiting documents that "a list of zones at viewer level
   * is not allowed in this mode" but not the error it answers; this text paraphrases that sentence.
   */
  zoneListAccountBased: "a list of zones at viewer level is not allowed with account-based rate limiting",
} as const;

/**
 * Account-based rate limiting's refusal when a zone's or an account's own budget is spent, word for word from
 * Cloudflare's account-based-rate-limiting page (`extensions.code` "budget").
 */
export const ownerBudgetMessage = (scope: Scope, tag: string): string =>
  `${scope === "zone" ? "Zone" : "Account"} ${tag} has exceeded its rate limit. Please try again after 5 minutes. ` +
  "Refer to this page for more details about rate limits: https://developers.cloudflare.com/analytics/graphql-api/limits/";

/** Cloudflare's errors page (dataset limits, 400). */
export const fieldCapMessage = (cap: number): string => `number of fields can't be more than ${cap}`;

/** An error a resolver raises; graphql-js keeps it as `originalError`, so its class survives execution. */
export class CloudflareError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    /** `extensions.code`: "authz" and "budget" are the ones seen from Cloudflare. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "CloudflareError";
  }
}

export interface WireError {
  message: string;
  path: string[] | null;
  extensions: { code?: string; timestamp: string };
}

export function wireError(message: string, path: readonly (string | number)[] | undefined, at: number, code?: string): WireError {
  const extensions: WireError["extensions"] = code === undefined ? { timestamp: new Date(at).toISOString() } : { code, timestamp: new Date(at).toISOString() };
  return { message, path: path ? path.map(String) : null, extensions };
}

export function errorBody(errors: readonly WireError[]): string {
  return JSON.stringify({ data: null, errors });
}

export function statusFor(errorClass: ErrorClass, mode: StatusCodes): number {
  return mode === "documented" ? DOCUMENTED_STATUS[errorClass] : 200;
}
