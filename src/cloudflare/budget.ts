/**
 * Cloudflare allows 300 GraphQL queries per 5 minutes per token, and a request costs zones x nodes queries.
 * The pacer keeps a sliding window of what was spent and waits before a request that would exceed the budget,
 * so a long backfill slows down instead of running into "budget depleted".
 */
export const BUDGET_WINDOW_MS = 5 * 60_000;

export class QueryBudget {
  private readonly spent: { at: number; cost: number }[] = [];
  private used = 0;

  constructor(
    readonly perWindow: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
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
      await this.sleep(this.spent[0]!.at + BUDGET_WINDOW_MS - now + 10);
    }
    this.spent.push({ at: this.clock(), cost });
    this.used += cost;
  }
}
