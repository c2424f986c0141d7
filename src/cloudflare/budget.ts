/**
 * Cloudflare allows 300 GraphQL queries per 5 minutes per token, and a request costs zones x nodes queries.
 * The pacer keeps a sliding window of what was spent and waits before a request that would exceed the budget,
 * so a long backfill slows down instead of running into "budget depleted". A CronJob's run does not wait: when its
 * share is spent it stops (`ShareSpentError`) and the next run, minutes later, goes on.
 *
 * With Cloudflare's opt-in account-based rate limiting (`CF_RATE_LIMIT=account-based`) every zone and account has a
 * budget of its own instead: the pacer then keeps one window per owner, and a request is charged to each owner it
 * names (its nodes), so one busy zone's catch-up never holds back the others.
 */
export const BUDGET_WINDOW_MS = 5 * 60_000;

/** The key of the single per-user window. */
const USER = "";

interface Spend {
  readonly at: number;
  readonly cost: number;
}

export class QueryBudget {
  private readonly windows = new Map<string, Spend[]>();
  private used = 0;

  constructor(
    readonly perWindow: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** Wait for the window to make room (a backfill); false: throw `ShareSpentError` instead (a CronJob's run). */
    private readonly waits = true,
    /** One window per zone or account (account-based rate limiting) instead of one per user. */
    readonly perOwner = false,
  ) {}

  /** Total queries spent since this process started (for the run summary). */
  get total(): number {
    return this.used;
  }

  /** Queries that fit in the window now, without waiting: the user's, or (per owner) that owner's. */
  available(owner?: string): number {
    return this.perWindow - this.inWindow(this.keyOf(owner), this.clock());
  }

  /**
   * Books queries someone else spent (an earlier run, another tool on the same token) as spent at `at`: they count
   * against the budget (the user's, or that owner's) until they leave the 5-minute window.
   */
  spentElsewhere(cost: number, at: number, owner?: string): void {
    if (cost <= 0) return;
    const spent = this.windowOf(this.keyOf(owner));
    spent.push({ at, cost });
    spent.sort((a, b) => a.at - b.at);
  }

  /**
   * Waits until `cost` more queries fit in the window, then books them. Per owner, each of `owners` is charged its
   * part of the cost (the nodes it is queried with) and all of them must fit.
   */
  async take(cost: number, owners: readonly string[] = []): Promise<void> {
    // A request that costs nothing (settings, the budget itself) never waits, however full a window is.
    const charges = this.chargesOf(cost, owners).filter(([, need]) => need > 0);
    for (;;) {
      const now = this.clock();
      const short = charges.find(([key, need]) => this.inWindow(key, now) + Math.min(need, this.perWindow) > this.perWindow);
      if (short === undefined) break;
      const [key, need] = short;
      if (!this.waits) throw new ShareSpentError(need, this.perWindow - this.inWindow(key, now), key === USER ? undefined : key);
      await this.sleep(this.windowOf(key)[0]!.at + BUDGET_WINDOW_MS - now + 10);
    }
    const at = this.clock();
    for (const [key, need] of charges) this.windowOf(key).push({ at, cost: need });
    this.used += cost;
  }

  private chargesOf(cost: number, owners: readonly string[]): [key: string, cost: number][] {
    if (!this.perOwner || owners.length === 0) return [[USER, cost]];
    const each = Math.ceil(cost / owners.length);
    return owners.map((owner) => [owner, each]);
  }

  private keyOf(owner: string | undefined): string {
    return this.perOwner && owner !== undefined ? owner : USER;
  }

  private windowOf(key: string): Spend[] {
    let spent = this.windows.get(key);
    if (spent === undefined) this.windows.set(key, (spent = []));
    return spent;
  }

  /** Drops what left the window and sums the rest. */
  private inWindow(key: string, now: number): number {
    const spent = this.windows.get(key);
    if (spent === undefined) return 0;
    while (spent.length > 0 && spent[0]!.at <= now - BUDGET_WINDOW_MS) spent.shift();
    return spent.reduce((sum, s) => sum + s.cost, 0);
  }
}

/** A request that does not fit what is left of the run's share of the budget, in a run that does not wait. */
export class ShareSpentError extends Error {
  override readonly name = "ShareSpentError";
  constructor(
    readonly cost: number,
    readonly left: number,
    /** The zone or account whose own budget is spent (account-based rate limiting). */
    readonly owner?: string,
  ) {
    super(
      `the request costs ${cost} queries, ${Math.max(0, left)} are left of this run's share of ${owner === undefined ? "the query budget" : `the query budget of ${owner}`}`,
    );
  }
}
