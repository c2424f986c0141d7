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

/**
 * Minutes one window may span. A response with as many rows as `limit` might have been cut, so a window must hold
 * fewer expected rows than `maxPageSize` (`rowsPerUnit` per unit and owner); it also may not exceed `maxDuration`.
 * Always a whole number of units.
 */
export function maxWindowMinutes(limits: DatasetLimits, unit = MINUTE, rowsPerUnit = 1): number {
  const unitMinutes = unit / MINUTE;
  const byDuration = Math.floor(limits.maxDurationSeconds / 60 / unitMinutes);
  const byPage = Math.floor((limits.maxPageSize - 1) / rowsPerUnit);
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

/** One HTTP request's worth of work: the same window for up to 10 zones. */
export interface Batch<Z> {
  readonly window: Window;
  readonly zones: readonly Z[];
}

/**
 * Rows one request may carry. Cloudflare counts zones x nodes against the budget however they are grouped, so
 * grouping only saves HTTP requests; this bound keeps one response (about 2.5 KB of JSON a row) small in memory.
 */
export const ROWS_PER_REQUEST = 5_000;

/** Groups zones that need the same window into requests, oldest window first. */
export function batchByWindow<Z>(work: readonly { zone: Z; windows: readonly Window[] }[], maxZones: number, unit = MINUTE, rowsPerUnit = 1): Batch<Z>[] {
  const groups = new Map<string, { window: Window; zones: Z[] }>();
  for (const { zone, windows } of work) {
    for (const window of windows) {
      const key = `${window.from}:${window.to}`;
      const group = groups.get(key) ?? { window, zones: [] };
      group.zones.push(zone);
      groups.set(key, group);
    }
  }
  const batches: Batch<Z>[] = [];
  for (const { window, zones } of [...groups.values()].sort((a, b) => a.window.from - b.window.from || a.window.to - b.window.to)) {
    const rows = ((window.to - window.from) / unit) * rowsPerUnit;
    const size = Math.max(1, Math.min(maxZones, Math.floor(ROWS_PER_REQUEST / rows)));
    for (let i = 0; i < zones.length; i += size) batches.push({ window, zones: zones.slice(i, i + size) });
  }
  return batches;
}
