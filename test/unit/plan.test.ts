import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  holes,
  maxWindowMinutes,
  mergeRanges,
  minutesToFetch,
  NOT_OLDER_THAN_MARGIN,
  plannedDensity,
  retentionRange,
  ROWS_PER_REQUEST,
  schedule,
  splitWindows,
  type DatasetLimits,
  type Want,
} from "../../src/plan.js";

const M = 60_000;
const T0 = Date.parse("2026-11-23T00:00:00Z");
const at = (minutes: number) => T0 + minutes * M;
const w = (from: number, to: number) => ({ from: at(from), to: at(to) });
const limits = (over: Partial<DatasetLimits> = {}): DatasetLimits => ({
  enabled: true,
  maxDurationSeconds: 3 * 86400,
  notOlderThanSeconds: 7 * 86400,
  maxPageSize: 10_000,
  availableFields: new Set<string>(),
  ...over,
});

describe("retentionRange", () => {
  it("ends at the last settled minute and reaches back maxBackfillDays", () => {
    const now = at(1000) + 30_000; // mid-minute
    const r = retentionRange(now, 5, 1, limits());
    assert.equal(r.to, at(995));
    assert.equal(r.from, at(995) - 86_400_000);
  });
  it("never reaches beyond Cloudflare's notOlderThan, with a safety margin", () => {
    const now = at(100_000);
    const r = retentionRange(now, 5, 30, limits({ notOlderThanSeconds: 86400 }));
    assert.equal(r.from, at(100_000) - 86_400_000 + NOT_OLDER_THAN_MARGIN);
  });
  it("is empty, not inverted, when notOlderThan is shorter than the settle delay", () => {
    const r = retentionRange(at(100), 5, 7, limits({ notOlderThanSeconds: 60 }));
    assert.ok(r.from <= r.to);
    assert.equal(r.to - r.from, 0);
  });
});

describe("maxWindowMinutes", () => {
  const table: [Partial<DatasetLimits>, number][] = [
    [{}, 4320], // 3 days by maxDuration
    [{ maxPageSize: 1000 }, 800], // a full page is never trusted: windows are sized for 80 % of one
    [{ maxDurationSeconds: 3600 }, 60],
    [{ maxDurationSeconds: 30 }, 1],
    [{ maxPageSize: 1 }, 1],
  ];
  for (const [over, expected] of table) {
    it(`${JSON.stringify(over)} -> ${expected}`, () => assert.equal(maxWindowMinutes(limits(over)), expected));
  }
});

describe("plannedDensity", () => {
  it("before an owner and dataset were ever fetched: the dataset's own estimate", () => assert.equal(plannedDensity(300, undefined), 300));
  it("an owner busier than the estimate: what it had", () => assert.equal(plannedDensity(300, 512.5), 512.5));
  it("an owner with data, but less than the estimate: still the estimate (longer windows would be sampled harder)", () =>
    assert.equal(plannedDensity(300, 24), 300));
  it("an owner whose answers were all empty lately: windows as long as Cloudflare allows", () => {
    const rowsPerUnit = plannedDensity(300, 0);
    assert.ok(rowsPerUnit > 0, "never a division by zero");
    assert.equal(maxWindowMinutes(limits({ maxDurationSeconds: 86_400 }), M, rowsPerUnit), 1440);
    assert.equal(maxWindowMinutes(limits({ maxDurationSeconds: 86_400 }), M, plannedDensity(300, undefined)), 26);
  });
});

describe("holes", () => {
  const table: [string, number[], [number, number][]][] = [
    ["nothing stored", [], [[0, 10]]],
    ["all stored", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], []],
    ["tail missing", [0, 1, 2], [[3, 10]]],
    [
      "head and middle missing",
      [2, 3, 6, 7, 8, 9],
      [
        [0, 2],
        [4, 6],
      ],
    ],
    ["minutes outside the range are ignored", [-5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], []],
  ];
  for (const [name, present, expected] of table) {
    it(name, () =>
      assert.deepEqual(
        holes(w(0, 10), present.map(at)),
        expected.map(([a, b]) => w(a, b)),
      ),
    );
  }
});

describe("mergeRanges", () => {
  it("joins overlapping and touching ranges and drops empty ones", () => {
    assert.deepEqual(mergeRanges([w(5, 8), w(0, 2), w(2, 3), w(7, 9), w(4, 4)]), [w(0, 3), w(5, 9)]);
  });
});

describe("minutesToFetch", () => {
  const range = w(0, 100);
  it("fetches the whole range when nothing is stored", () => {
    assert.deepEqual(minutesToFetch(range, [w(0, 100)], undefined, 15), [w(0, 100)]);
  });
  it("re-reads the overlap before the newest stored minute together with the tail", () => {
    assert.deepEqual(minutesToFetch(range, [w(90, 100)], at(89), 15), [w(75, 100)]);
  });
  it("re-reads the overlap even when nothing is missing", () => {
    assert.deepEqual(minutesToFetch(range, [], at(99), 15), [w(85, 100)]);
  });
  it("heals holes anywhere, and the overlap never reaches outside the range", () => {
    assert.deepEqual(minutesToFetch(range, [w(3, 5), w(40, 41)], at(5), 15), [w(0, 6), w(40, 41)]);
  });
  it("with overlap 0 fetches exactly the missing minutes", () => {
    assert.deepEqual(minutesToFetch(range, [w(10, 12)], at(99), 0), [w(10, 12)]);
  });
});

describe("splitWindows", () => {
  it("cuts ranges into windows of at most the maximum, half-open and contiguous", () => {
    assert.deepEqual(splitWindows([w(0, 25), w(30, 35)], 10), [w(0, 10), w(10, 20), w(20, 25), w(30, 35)]);
  });
  it("never reads a minute twice or skips one", () => {
    const windows = splitWindows([w(0, 1000)], 7);
    let cursor = at(0);
    for (const win of windows) {
      assert.equal(win.from, cursor);
      assert.ok(win.to - win.from <= 7 * M);
      cursor = win.to;
    }
    assert.equal(cursor, at(1000));
  });
});

describe("schedule", () => {
  const want = (item: string, ranges: { from: number; to: number }[], newest: number | undefined, over: Partial<Want<string>> = {}): Want<string> => ({
    item,
    group: "http_requests|",
    ranges,
    newest,
    settled: at(1000),
    windowMinutes: 100,
    unit: M,
    rowsPerUnit: 1,
    perRequest: 10,
    ...over,
  });
  const order = (requests: readonly { window: { from: number; to: number }; items: readonly string[]; tail: boolean }[]) =>
    requests.map((r) => `${(r.window.from - T0) / M}-${(r.window.to - T0) / M}:${r.items.join("+")}${r.tail ? "*" : ""}`);

  it("makes every owner's newest window first, then the rest oldest first; owners needing one window share it, stalest first", () => {
    const requests = schedule([want("fresh", [w(900, 1000)], at(899)), want("stale", [w(600, 1000)], at(599)), want("new", [w(0, 1000)], undefined)]);
    assert.deepEqual(order(requests), [
      // The tails, cut from the end so the newest window is whole.
      "900-1000:new+stale+fresh*",
      // Then everything else, oldest first.
      "0-100:new",
      "100-200:new",
      "200-300:new",
      "300-400:new",
      "400-500:new",
      "500-600:new",
      "600-700:new+stale",
      "700-800:new+stale",
      "800-900:new+stale",
    ]);
  });

  it("orders the tails stalest first, across datasets: what a run had no budget for comes first in the next", () => {
    const requests = schedule([
      want("a", [w(990, 1000)], at(989), { group: "dns|" }),
      want("b", [w(900, 1000)], at(899), { group: "workers|" }),
      want("c", [w(0, 1000)], undefined, { group: "http_colo|" }),
    ]);
    assert.deepEqual(
      requests.filter((r) => r.tail).map((r) => r.group),
      ["http_colo|", "workers|", "dns|"],
    );
  });

  it("treats a hole as history: after every owner's tail, oldest first", () => {
    const requests = schedule([want("a", [w(100, 150), w(990, 1000)], at(989)), want("b", [w(990, 1000)], at(989))]);
    assert.deepEqual(order(requests), ["990-1000:a+b*", "100-150:a"]);
  });

  it("shares a request among at most perRequest owners of one group, and keeps its rows bounded", () => {
    const many = Array.from({ length: 12 }, (_, i) => want(`z${i}`, [w(990, 1000)], at(989)));
    assert.deepEqual(
      schedule(many).map((r) => r.items.length),
      [10, 2],
    );
    const long = Array.from({ length: 10 }, (_, i) => want(`z${i}`, [w(0, 3 * 1440)], undefined, { settled: at(3 * 1440), windowMinutes: 3 * 1440 }));
    const requests = schedule(long);
    for (const r of requests) assert.ok(r.items.length * 3 * 1440 <= ROWS_PER_REQUEST);
    assert.equal(
      requests.reduce((n, r) => n + r.items.length, 0),
      10,
    );
  });

  it("never mixes groups (datasets, or fields left out) in one request", () => {
    const requests = schedule([want("a", [w(990, 1000)], at(989)), want("b", [w(990, 1000)], at(989), { group: "http_requests|sum_threats" })]);
    assert.deepEqual(
      requests.map((r) => [r.group, r.items]),
      [
        ["http_requests|", ["a"]],
        ["http_requests|sum_threats", ["b"]],
      ],
    );
  });
});

describe("minutesToFetch for hours and days", () => {
  const H = 60 * M;
  const hour = (n: number) => T0 + n * H;
  it("re-reads the newest hour only while it is young, so steady runs do not re-read it all day", () => {
    const range = { from: hour(0), to: hour(10) };
    // Settled 10 minutes after hour 10 began: hour 9 ended 10 minutes ago, inside a 15-minute overlap.
    assert.deepEqual(minutesToFetch(range, [], hour(9), 15, H, hour(10) + 10 * M), [{ from: hour(9), to: hour(10) }]);
    // 40 minutes later it is old news: nothing to fetch.
    assert.deepEqual(minutesToFetch(range, [], hour(9), 15, H, hour(10) + 40 * M), []);
    // Holes are fetched whatever the age.
    assert.deepEqual(minutesToFetch(range, [{ from: hour(3), to: hour(4) }], hour(9), 15, H, hour(10) + 40 * M), [{ from: hour(3), to: hour(4) }]);
  });
});
