import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  batchByWindow,
  holes,
  maxWindowMinutes,
  mergeRanges,
  minutesToFetch,
  NOT_OLDER_THAN_MARGIN,
  retentionRange,
  ROWS_PER_REQUEST,
  splitWindows,
  type DatasetLimits,
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
    [{ maxPageSize: 1000 }, 999], // a full page is never trusted, so one row fewer than the page
    [{ maxDurationSeconds: 3600 }, 60],
    [{ maxDurationSeconds: 30 }, 1],
    [{ maxPageSize: 1 }, 1],
  ];
  for (const [over, expected] of table) {
    it(`${JSON.stringify(over)} -> ${expected}`, () => assert.equal(maxWindowMinutes(limits(over)), expected));
  }
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

describe("batchByWindow", () => {
  it("puts zones needing the same window into one request, at most 10, oldest window first", () => {
    const zones = Array.from({ length: 12 }, (_, i) => `z${i}`);
    const work = zones.map((zone, i) => ({ zone, windows: i === 11 ? [w(0, 5)] : [w(5, 20)] }));
    const batches = batchByWindow(work, 10);
    assert.deepEqual(
      batches.map((b) => [b.window, b.zones.length]),
      [
        [w(0, 5), 1],
        [w(5, 20), 10],
        [w(5, 20), 1],
      ],
    );
  });
  it("keeps a request's rows bounded: fewer zones per request for long windows", () => {
    const minutes = 3 * 1440;
    const work = Array.from({ length: 10 }, (_, i) => ({ zone: i, windows: [w(0, minutes)] }));
    const batches = batchByWindow(work, 10);
    for (const b of batches) assert.ok(b.zones.length * minutes <= ROWS_PER_REQUEST);
    assert.equal(
      batches.reduce((n, b) => n + b.zones.length, 0),
      10,
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
