/**
 * The index a document goes to follows from its own timestamp: `<prefix>-<dataset>-<period>`. Rewriting a minute in
 * any later run therefore hits the same document in the same index, so no duplicate can appear across indices
 * (which rollover aliases and data streams cannot promise).
 */
import { DateTime } from "luxon";
import type { IndexPeriod } from "../config/types.js";

export function indexName(prefix: string, dataset: string, period: IndexPeriod, timestamp: number): string {
  return `${prefix}-${dataset}-${periodSuffix(period, timestamp)}`;
}

/** `indexName` remembered per minute: a window has thousands of documents but few distinct minutes. */
export function indexNamer(prefix: string, period: IndexPeriod): (dataset: string, timestamp: number) => string {
  const known = new Map<string, string>();
  return (dataset, timestamp) => {
    const key = `${dataset}@${timestamp}`;
    let name = known.get(key);
    if (name === undefined) known.set(key, (name = indexName(prefix, dataset, period, timestamp)));
    return name;
  };
}

export function indexPattern(prefix: string, dataset: string): string {
  return `${prefix}-${dataset}-*`;
}

function periodSuffix(period: IndexPeriod, timestamp: number): string {
  const t = DateTime.fromMillis(timestamp, { zone: "utc" });
  if (period === "day") return t.toFormat("yyyy.MM.dd");
  if (period === "week") return t.toFormat("kkkk-'w'WW"); // ISO week-year and week, e.g. 2026-w01
  return t.toFormat("yyyy.MM");
}

/** Start of the period that contains `timestamp` (epoch ms): where a time-series index's range begins. */
export function periodStart(period: IndexPeriod, timestamp: number): number {
  // Luxon's weeks are ISO weeks (Monday), as the `kkkk-'w'WW` names are.
  return DateTime.fromMillis(timestamp, { zone: "utc" }).startOf(period).toMillis();
}

/** End of the period that contains `timestamp` (epoch ms): the age of an index's data is counted from here. */
export function periodEnd(period: IndexPeriod, timestamp: number): number {
  const start = DateTime.fromMillis(timestamp, { zone: "utc" }).startOf(period);
  const next = period === "day" ? start.plus({ days: 1 }) : period === "week" ? start.plus({ weeks: 1 }) : start.plus({ months: 1 });
  return next.toMillis();
}
