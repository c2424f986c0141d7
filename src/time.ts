/** Minute arithmetic on epoch milliseconds. Everything is UTC; a window is half-open `[from, to)`. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
export const ceilMinute = (ms: number): number => Math.ceil(ms / MINUTE) * MINUTE;
export const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

/** Parses an ISO-8601 instant; a value without zone is taken as UTC, never as local time. */
export function parseInstant(text: string): number | undefined {
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}
