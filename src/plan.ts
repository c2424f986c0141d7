/**
 * Which minutes to fetch, as windows Cloudflare will accept. Pure: the stored state, the zone's limits and the
 * clock come in as arguments, so every rule here is tested with tables.
 */
import type { Window } from "./datasets/dataset.js";
import { DAY, floorMinute, MINUTE } from "./time.js";

const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number): number => Math.ceil(ms / unit) * unit;

/** A dataset's limits for one zone, from Cloudflare's `settings` node (seconds, rows). */
export interface DatasetLimits {
  readonly enabled: boolean;
  readonly maxDurationSeconds: number;
  readonly notOlderThanSeconds: number;
  readonly maxPageSize: number;
  /** Leaf fields one query of the node may select (`maxNumberOfFields`); undefined when Cloudflare did not say. */
  readonly maxNumberOfFields?: number | undefined;
  /**
   * `settings.availableFields`, normalised to `group_field` paths (`sum_visits`, `dimensions_clientAsn`). Empty when
   * Cloudflare listed none: then nothing is known to be refused.
   */
  readonly availableFields: ReadonlySet<string>;
}

/** Keeps the oldest window clear of Cloudflare's `notOlderThan` edge, which moves on while a long run proceeds. */
export const NOT_OLDER_THAN_MARGIN = 10 * MINUTE;

/**
 * The range a run looks after: settled units only (a unit is complete `settleMinutes` after it ends), never beyond
 * what Cloudflare still serves. `unit` is the dataset's grain: a minute, an hour or a day.
 */
export function retentionRange(now: number, settleMinutes: number, maxBackfillDays: number, limits: DatasetLimits, unit = MINUTE): Window {
  const to = floorTo(now - settleMinutes * MINUTE, unit);
  const byConfig = to - maxBackfillDays * DAY;
  const byCloudflare = ceilTo(floorMinute(now - limits.notOlderThanSeconds * 1000) + NOT_OLDER_THAN_MARGIN, unit);
  return { from: Math.min(to, Math.max(byConfig, byCloudflare)), to };
}

/** How the densities earlier runs saw are keyed: one per dataset and zone (or account). */
export const densityKey = (dataset: string, ownerId: string): string => `${dataset} ${ownerId}`;

/** Rows per unit planned for an owner whose answers were empty lately: windows as long as Cloudflare allows. */
const NO_ROWS_LATELY = 0.01;

/**
 * Rows per unit to size an owner's windows for: the dataset's own estimate (set for a busy zone), or more where
 * earlier runs saw more. An owner and dataset whose every answer of the last day was empty (a zone without Workers,
 * load balancers or firewall events, a quiet zone) gets windows as long as Cloudflare allows: a week of nothing costs
 * a few queries, not hundreds. Windows are never lengthened for owners with data, although their pages would allow it:
 * Cloudflare samples long ranges of Adaptive nodes harder, and the figures must not get coarser to save queries. A
 * window that turns out fuller than planned is cut again at run time, as it always was.
 */
export function plannedDensity(estimate: number, seen: number | undefined): number {
  if (seen === 0) return NO_ROWS_LATELY;
  return Math.max(estimate, seen ?? 0);
}

/** Share of a page a window is sized to hold: a unit busier than expected still fits. */
const PAGE_SHARE = 0.8;

/**
 * Minutes one window may span: no more than `maxDuration`, and at `rowsPerUnit` (per unit and owner) no more than
 * 80 % of `maxPageSize` rows, because a response with as many rows as `limit` may have been cut and is asked again in
 * halves. Always a whole number of units, at least one.
 */
export function maxWindowMinutes(limits: DatasetLimits, unit = MINUTE, rowsPerUnit = 1): number {
  const unitMinutes = unit / MINUTE;
  const byDuration = Math.floor(limits.maxDurationSeconds / 60 / unitMinutes);
  const byPage = Math.floor((PAGE_SHARE * limits.maxPageSize) / rowsPerUnit);
  return Math.max(1, Math.min(byDuration, byPage)) * unitMinutes;
}

/**
 * What to fetch in a run: the holes and the tail, plus the last `overlap` minutes (rounded up to whole units) before
 * the newest stored unit, where late data lands.
 */
export function minutesToFetch(
  range: Window,
  missing: readonly Window[],
  newest: number | undefined,
  overlapMinutes: number,
  unit = MINUTE,
  settledAt = range.to,
): Window[] {
  const wanted = [...missing];
  // An hour or a day is re-read only while it is young (its end less than `overlap` before the settled instant):
  // runs come every few minutes, and re-reading yesterday 288 times a day would spend the budget on nothing.
  const young = unit === MINUTE || (newest !== undefined && newest + unit > settledAt - overlapMinutes * MINUTE);
  if (newest !== undefined && overlapMinutes > 0 && young) {
    const end = newest + unit;
    wanted.push({ from: end - ceilTo(overlapMinutes * MINUTE, unit), to: end });
  }
  return mergeRanges(wanted.map((w) => clip(w, range)).filter((w) => w.from < w.to));
}

/** Sorted, non-overlapping, with touching ranges joined. */
export function mergeRanges(ranges: readonly Window[]): Window[] {
  const sorted = [...ranges].filter((r) => r.from < r.to).sort((a, b) => a.from - b.from);
  const merged: Window[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else merged.push(r);
  }
  return merged;
}

/** Cuts ranges into windows of at most `maxMinutes`, aligned to the range start, oldest first. */
export function splitWindows(ranges: readonly Window[], maxMinutes: number): Window[] {
  const step = maxMinutes * MINUTE;
  const windows: Window[] = [];
  for (const r of mergeRanges(ranges)) {
    for (let from = r.from; from < r.to; from += step) windows.push({ from, to: Math.min(from + step, r.to) });
  }
  return windows;
}

/** The complement of `present` (sorted unit starts) inside `range`, as ranges. */
export function holes(range: Window, present: readonly number[], unit = MINUTE): Window[] {
  const gaps: Window[] = [];
  let cursor = range.from;
  for (const minute of present) {
    if (minute < cursor || minute >= range.to) continue;
    if (minute > cursor) gaps.push({ from: cursor, to: minute });
    cursor = minute + unit;
  }
  if (cursor < range.to) gaps.push({ from: cursor, to: range.to });
  return gaps;
}

const clip = (w: Window, range: Window): Window => ({ from: Math.max(w.from, range.from), to: Math.min(w.to, range.to) });

/**
 * Rows one request may carry. Cloudflare counts zones x nodes against the budget however they are grouped, so
 * grouping only saves HTTP requests; this bound keeps one answer (spilled to disk as it streams) modest.
 */
export const ROWS_PER_REQUEST = 5_000;

/** One owner x dataset's part of a run, as the planner sees it. */
export interface Want<T> {
  readonly item: T;
  /** Owners of one group may share a request (same dataset, same fields left out); groups also break ties in order. */
  readonly group: string;
  /** What to fetch (merged ranges of whole units). */
  readonly ranges: readonly Window[];
  /** Newest stored unit; undefined when nothing is stored yet, the stalest of all. */
  readonly newest: number | undefined;
  /** End of the settled range: the range that ends here is the tail, the newest units. */
  readonly settled: number;
  readonly windowMinutes: number;
  readonly unit: number;
  readonly rowsPerUnit: number;
  /** Owners one request may name: 10 zones, 1 account. */
  readonly perRequest: number;
}

/** One request of a run: a window for one or more owners of one group. */
export interface Request<T> {
  readonly group: string;
  readonly window: Window;
  readonly items: readonly T[];
  /** Holds an owner's newest units. */
  readonly tail: boolean;
}

/**
 * Every request of a run, in the order they are made. First the newest window of every owner and dataset, the
 * stalest first: when the query budget runs out, the next run begins with those this one left, so no owner starves.
 * Then everything else, oldest first, so holes and history fill from the back. Owners of one group that need the
 * same window share a request (up to `perRequest`, and `ROWS_PER_REQUEST` rows).
 */
export function schedule<T>(wants: readonly Want<T>[]): Request<T>[] {
  interface Slot {
    readonly group: string;
    readonly window: Window;
    readonly tail: boolean;
    /** With each owner's newest stored unit: a request's owners go stalest first. */
    readonly items: { item: T; newest: number }[];
    staleness: number;
    readonly size: number;
  }
  const slots = new Map<string, Slot>();
  const order = new Map<string, number>();
  for (const want of wants) {
    if (!order.has(want.group)) order.set(want.group, order.size);
    const step = want.windowMinutes * MINUTE;
    const add = (window: Window, tail: boolean): void => {
      const key = `${want.group}|${window.from}|${window.to}|${tail}`;
      let slot = slots.get(key);
      if (!slot) {
        const rows = ((window.to - window.from) / want.unit) * want.rowsPerUnit;
        const size = Math.max(1, Math.min(want.perRequest, Math.floor(ROWS_PER_REQUEST / rows)));
        slots.set(key, (slot = { group: want.group, window, tail, items: [], staleness: Number.POSITIVE_INFINITY, size }));
      }
      const newest = want.newest ?? Number.NEGATIVE_INFINITY;
      slot.items.push({ item: want.item, newest });
      slot.staleness = Math.min(slot.staleness, newest);
    };
    for (const range of mergeRanges(want.ranges)) {
      if (range.to === want.settled) {
        // The tail is cut from its end, so that its newest window is a whole one.
        for (let to = range.to; to > range.from; to -= step) add({ from: Math.max(range.from, to - step), to }, to === range.to);
      } else {
        for (let from = range.from; from < range.to; from += step) add({ from, to: Math.min(from + step, range.to) }, false);
      }
    }
  }
  const rank = (a: Slot, b: Slot): number => order.get(a.group)! - order.get(b.group)!;
  const tails = [...slots.values()].filter((s) => s.tail).sort((a, b) => a.staleness - b.staleness || rank(a, b));
  const rest = [...slots.values()].filter((s) => !s.tail).sort((a, b) => a.window.from - b.window.from || rank(a, b));
  return [...tails, ...rest].flatMap((slot) => {
    const requests: Request<T>[] = [];
    const items = slot.items.sort((a, b) => (a.newest === b.newest ? 0 : a.newest - b.newest)).map((i) => i.item);
    for (let i = 0; i < items.length; i += slot.size) {
      requests.push({ group: slot.group, window: slot.window, items: items.slice(i, i + slot.size), tail: slot.tail });
    }
    return requests;
  });
}
