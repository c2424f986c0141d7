import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUDGET_WINDOW_MS, QueryBudget } from "../../src/cloudflare/budget.js";

describe("query budget pacing", () => {
  it("never lets more than the budget through in any 5-minute window", async () => {
    let now = 0;
    const sleeps: number[] = [];
    const budget = new QueryBudget(
      25,
      () => now,
      (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    );
    const booked: number[] = [];
    for (let i = 0; i < 40; i++) {
      await budget.take(10);
      booked.push(now);
      now += 1_000;
    }
    assert.equal(budget.total, 400);
    for (const t of booked) {
      const inWindow = booked.filter((b) => b > t - BUDGET_WINDOW_MS && b <= t).length * 10;
      assert.ok(inWindow <= 25, `at ${t}: ${inWindow}`);
    }
    assert.ok(sleeps.length > 0);
  });
});
