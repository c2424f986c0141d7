/**
 * Small readers for Cloudflare's JSON. A malformed answer must never be read as "no traffic": it would be stored
 * as zeros for minutes that were never really fetched. So every reader throws `MalformedResponseError` instead.
 */

export class MalformedResponseError extends Error {
  override readonly name = "MalformedResponseError";
}

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MalformedResponseError(`${what}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new MalformedResponseError(`${what}: expected a list, got ${describe(value)}`);
  return value;
}

export function asCount(value: unknown, what: string): number {
  // @octokit/graphql parses integers beyond 2^53 as BigInt; a plain JSON parser would have rounded them. Either way
  // the figure cannot be stored exactly (Elasticsearch's long would take it, our sums and checks would not).
  if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value) && value > Number.MAX_SAFE_INTEGER)) {
    throw new MalformedResponseError(`${what}: a number beyond 2^53 (${String(value)}) cannot be handled exactly; nothing of this window is stored`);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedResponseError(`${what}: expected a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

export function asText(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new MalformedResponseError(`${what}: expected a string, got ${describe(value)}`);
}

/** A timestamp aligned to `unit` ms (a minute, an hour, a day); `what` names the field for the error. */
export function asUnitStart(value: unknown, unit: number, what: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms % unit !== 0) {
    throw new MalformedResponseError(`${what}: expected a timestamp aligned to ${unit / 60_000} minutes, got ${describe(value)}`);
  }
  return ms;
}

/** Any finite number (averages, quantiles, GB-seconds). */
export function asNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new MalformedResponseError(`${what}: expected a number, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
