import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUDGET_WINDOW_MS, QueryBudget, ShareSpentError } from "../../src/cloudflare/budget.js";

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

describe("query budget per zone and account (account-based rate limiting)", () => {
  it("charges each owner of a request its part, and one owner's spent share does not hold back another", async () => {
    let now = 0;
    const budget = new QueryBudget(
      3,
      () => now,
      () => Promise.reject(new Error("must not wait")),
      false,
      true,
    );
    for (let i = 0; i < 3; i++) await budget.take(1, ["zone-a"]);
    assert.equal(budget.available("zone-a"), 0);
    assert.equal(budget.available("zone-b"), 3);
    const refused = await budget.take(1, ["zone-a"]).catch((e: unknown) => e);
    assert.ok(refused instanceof ShareSpentError && refused.owner === "zone-a", String(refused));
    await budget.take(2, ["zone-b", "zone-c"]);
    assert.equal(budget.available("zone-b"), 2);
    assert.equal(budget.available("zone-c"), 2);
    assert.equal(budget.total, 5);
    now += BUDGET_WINDOW_MS;
    assert.equal(budget.available("zone-a"), 3);
  });

  it("books what earlier runs spent on an owner against that owner only", () => {
    const now = 1_000_000;
    const budget = new QueryBudget(300, () => now, undefined, false, true);
    budget.spentElsewhere(280, now - 60_000, "zone-a");
    budget.spentElsewhere(50, now - BUDGET_WINDOW_MS - 1, "zone-b");
    assert.equal(budget.available("zone-a"), 20);
    assert.equal(budget.available("zone-b"), 300);
    assert.equal(budget.available(), 300);
  });

  it("keeps one window for the token when not per owner, whatever the owners named", async () => {
    const budget = new QueryBudget(10, () => 0, undefined, false, false);
    await budget.take(4, ["zone-a", "zone-b"]);
    assert.equal(budget.available("zone-c"), 6);
    assert.equal(budget.available(), 6);
  });
});
