/**
 * Which minutes to fetch, as windows Cloudflare will accept. Pure: the stored state, the zone's limits and the
 * clock come in as arguments, so every rule here is tested with tables.
 */
import type { Window } from "./datasets/dataset.js";
import { DAY, floorMinute, MINUTE } from "./time.js";

/** A dataset's limits for one zone, from Cloudflare's `settings` node (seconds, rows). */
export interface DatasetLimits {
  readonly enabled: boolean;
  readonly maxDurationSeconds: number;
  readonly notOlderThanSeconds: number;
  readonly maxPageSize: number;
}

/** Keeps the oldest window clear of Cloudflare's `notOlderThan` edge, which moves on while a long run proceeds. */
export const NOT_OLDER_THAN_MARGIN = 10 * MINUTE;

/** The range a run looks after: settled minutes only, never beyond what Cloudflare still serves. */
export function retentionRange(now: number, settleMinutes: number, maxBackfillDays: number, limits: DatasetLimits): Window {
  const to = floorMinute(now - settleMinutes * MINUTE);
  const byConfig = to - maxBackfillDays * DAY;
  const byCloudflare = floorMinute(now - limits.notOlderThanSeconds * 1000) + NOT_OLDER_THAN_MARGIN;
  return { from: Math.min(to, Math.max(byConfig, byCloudflare)), to };
}

/**
 * Minutes one window may span. A response with as many rows as `limit` might have been cut, so a window must hold
 * fewer minutes than `maxPageSize` (one row per minute per zone); it also may not exceed `maxDuration`.
 */
export function maxWindowMinutes(limits: DatasetLimits): number {
  return Math.max(1, Math.min(Math.floor(limits.maxDurationSeconds / 60), limits.maxPageSize - 1));
}

/** What to fetch in a run: the holes and the tail, plus the last `overlap` minutes before the newest stored one. */
export function minutesToFetch(range: Window, missing: readonly Window[], newest: number | undefined, overlapMinutes: number): Window[] {
  const wanted = [...missing];
  if (newest !== undefined && overlapMinutes > 0) {
    const end = newest + MINUTE;
    wanted.push({ from: end - overlapMinutes * MINUTE, to: end });
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

/** The complement of `present` (sorted minute starts) inside `range`, as ranges. */
export function holes(range: Window, present: readonly number[]): Window[] {
  const gaps: Window[] = [];
  let cursor = range.from;
  for (const minute of present) {
    if (minute < cursor || minute >= range.to) continue;
    if (minute > cursor) gaps.push({ from: cursor, to: minute });
    cursor = minute + MINUTE;
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
export function batchByWindow<Z>(work: readonly { zone: Z; windows: readonly Window[] }[], maxZones: number): Batch<Z>[] {
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
    const minutes = (window.to - window.from) / MINUTE;
    const size = Math.max(1, Math.min(maxZones, Math.floor(ROWS_PER_REQUEST / minutes)));
    for (let i = 0; i < zones.length; i += size) batches.push({ window, zones: zones.slice(i, i + size) });
  }
  return batches;
}
