/** Injected faults (seeded, so a failing test replays the same way) and the query budget of Cloudflare's rate limiter. */

import { MESSAGES, errorBody, wireError } from "./errors.js";
import type { FaultKind, SimulatorConfig } from "./options.js";

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
