/** Injected faults (seeded, so a failing test replays the same way) and the query budget of Cloudflare's rate limiter. */

import { MESSAGES, errorBody, ownerBudgetMessage, wireError } from "./errors.js";
import type { FaultKind, Scope, SimulatorConfig } from "./options.js";

/** Decides, request by request, whether to fail and how. The same seed gives the same sequence of decisions. */
export class FaultInjector {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The fault for the next request, or undefined to answer it normally. */
  draw(config: Pick<SimulatorConfig, "failureRate" | "failureKinds">): FaultKind | undefined {
    if (config.failureRate <= 0 || config.failureKinds.length === 0) return undefined;
    const roll = this.next();
    const which = this.next(); // drawn whether used or not, so the sequence does not depend on the rate
    if (roll >= config.failureRate) return undefined;
    return config.failureKinds[Math.floor(which * config.failureKinds.length)];
  }

  private next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}

/** Status and body of a fault answered instead of the query. `truncated` is not here: it cuts the real answer. */
export function faultResponse(kind: Exclude<FaultKind, "truncated">, at: number): { status: number; body: string } {
  switch (kind) {
    case "budget200":
      return { status: 200, body: budgetBody(at) };
    case "http429":
      return { status: 429, body: budgetBody(at) };
    case "http503":
      return { status: 503, body: errorBody([wireError(MESSAGES.busy, undefined, at)]) };
    case "http500":
      return { status: 500, body: errorBody([wireError(MESSAGES.internal, undefined, at)]) };
  }
}

export function budgetBody(at: number): string {
  return errorBody([wireError(MESSAGES.budget, undefined, at, "budget")]);
}

/** Account-based rate limiting's refusal naming the zone or account whose own budget is spent. */
export function ownerBudgetBody(scope: Scope, tag: string, at: number): string {
  return errorBody([wireError(ownerBudgetMessage(scope, tag), undefined, at, "budget")]);
}

/** Cuts a body in the middle, so it is invalid JSON (the client then sees HTTP 200 with a body it cannot parse). */
export function truncate(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}

const WINDOW_MS = 5 * 60_000;

/**
 * Cloudflare's default limit: queries (zones x dataset nodes of each request) counted over a sliding 5-minute window
 * of real time, whatever the simulator's clock says.
 */
export class QueryBudget {
  private charges: { at: number; queries: number }[] = [];

  /** Queries counted in the window ending at `at`. */
  used(at: number): number {
    while (this.charges.length > 0 && this.charges[0]!.at <= at - WINDOW_MS) this.charges.shift();
    return this.charges.reduce((sum, c) => sum + c.queries, 0);
  }

  /** Counts `queries` if they fit within `limit`; returns false (and counts nothing) if they do not. */
  charge(queries: number, limit: number, at: number): boolean {
    if (this.used(at) + queries > limit) return false;
    if (queries > 0) this.charges.push({ at, queries });
    return true;
  }

  /** When the oldest charge still in the window was made; undefined when the window is empty. */
  oldest(): number | undefined {
    return this.charges[0]?.at;
  }

  reset(): void {
    this.charges = [];
  }
}

/** What one zone or account of a request is charged under account-based rate limiting. */
export interface OwnerCharge {
  readonly scope: Scope;
  readonly tag: string;
  /** The dataset nodes the owner is queried with in the request. */
  readonly queries: number;
}

/** The most one owner has had charged within one 5-minute window, and which owner that was. */
export interface OwnerPeak {
  readonly scope: Scope;
  readonly tag: string;
  readonly queries: number;
}

/**
 * Account-based rate limiting: a `QueryBudget` of its own for every zone and every account, all on the same clock.
 * A request is charged to all its owners or to none.
 */
export class OwnerBudgets {
  private readonly budgets = new Map<string, QueryBudget>();
  private highest: OwnerPeak | undefined;

  /**
   * Charges every owner its queries if each fits within its own limit; otherwise charges nothing and returns the
   * first owner (in the request's order) that would go over.
   */
  charge(charges: readonly OwnerCharge[], limitOf: (charge: OwnerCharge) => number, at: number): OwnerCharge | undefined {
    const merged = new Map<string, OwnerCharge>();
    for (const c of charges) {
      const key = `${c.scope}:${c.tag}`;
      merged.set(key, { ...c, queries: (merged.get(key)?.queries ?? 0) + c.queries });
    }
    for (const c of merged.values()) {
      if (this.used(c.scope, c.tag, at) + c.queries > limitOf(c)) return c;
    }
    for (const [key, c] of merged) {
      if (c.queries <= 0) continue;
      let budget = this.budgets.get(key);
      if (!budget) this.budgets.set(key, (budget = new QueryBudget()));
      budget.charge(c.queries, Number.POSITIVE_INFINITY, at);
      // A window's total only grows at a charge, so the highest total seen right after charges is the highest of any
      // 5-minute window.
      const used = budget.used(at);
      if (used > (this.highest?.queries ?? 0)) this.highest = { scope: c.scope, tag: c.tag, queries: used };
    }
    return undefined;
  }

  /** Queries charged to one owner in the window ending at `at`. */
  used(scope: Scope, tag: string, at: number): number {
    return this.budgets.get(`${scope}:${tag}`)?.used(at) ?? 0;
  }

  /** The most any one owner had charged within one 5-minute window since the start or the last reset. */
  peak(): OwnerPeak | undefined {
    return this.highest;
  }

  reset(): void {
    this.budgets.clear();
    this.highest = undefined;
  }
}
