/** Minute arithmetic on epoch milliseconds. Everything is UTC; a window is half-open `[from, to)`. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
/** A dataset's unit in words: "minute", "hour" or "day". */
export const unitName = (unit: number): string => (unit === MINUTE ? "minute" : unit === HOUR ? "hour" : "day");
/** A dataset's unit as an Elasticsearch `fixed_interval`. */
export const fixedInterval = (unit: number): string => (unit === MINUTE ? "1m" : unit === HOUR ? "1h" : "1d");
export const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

/** Parses an ISO-8601 instant; a value without zone is taken as UTC, never as local time. */
export function parseInstant(text: string): number | undefined {
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}
