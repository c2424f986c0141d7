/**
 * Cloudflare allows 300 GraphQL queries per 5 minutes per token, and a request costs zones x nodes queries.
 * The pacer keeps a sliding window of what was spent and waits before a request that would exceed the budget,
 * so a long backfill slows down instead of running into "budget depleted". A CronJob's run does not wait: when its
 * share is spent it stops (`ShareSpentError`) and the next run, minutes later, goes on.
 */
export const BUDGET_WINDOW_MS = 5 * 60_000;

export class QueryBudget {
  private readonly spent: { at: number; cost: number }[] = [];
  private used = 0;

  constructor(
    readonly perWindow: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** Wait for the window to make room (a backfill); false: throw `ShareSpentError` instead (a CronJob's run). */
    private readonly waits = true,
  ) {}

  /** Total queries spent since this process started (for the run summary). */
  get total(): number {
    return this.used;
  }

  /** Queries that fit in the window now, without waiting. */
  available(): number {
    const now = this.clock();
    return this.perWindow - this.spent.filter((s) => s.at > now - BUDGET_WINDOW_MS).reduce((sum, s) => sum + s.cost, 0);
  }

  /**
   * Books queries someone else spent (an earlier run, another tool on the same token) as spent at `at`: they count
   * against the budget until they leave the 5-minute window.
   */
  spentElsewhere(cost: number, at: number): void {
    if (cost <= 0) return;
    this.spent.push({ at, cost });
    this.spent.sort((a, b) => a.at - b.at);
  }

  /** Waits until `cost` more queries fit in the window, then books them. */
  async take(cost: number): Promise<void> {
    const need = Math.min(cost, this.perWindow);
    for (;;) {
      const now = this.clock();
      while (this.spent.length > 0 && this.spent[0]!.at <= now - BUDGET_WINDOW_MS) this.spent.shift();
      const inWindow = this.spent.reduce((sum, s) => sum + s.cost, 0);
      if (inWindow + need <= this.perWindow) break;
      if (!this.waits) throw new ShareSpentError(cost, this.perWindow - inWindow);
      await this.sleep(this.spent[0]!.at + BUDGET_WINDOW_MS - now + 10);
    }
    this.spent.push({ at: this.clock(), cost });
    this.used += cost;
  }
}

/** A request that does not fit what is left of the run's share of the budget, in a run that does not wait. */
export class ShareSpentError extends Error {
  override readonly name = "ShareSpentError";
  constructor(
    readonly cost: number,
    readonly left: number,
  ) {
    super(`the request costs ${cost} queries, ${Math.max(0, left)} are left of this run's share of the query budget`);
  }
}
