/**
 * Request paths as breakdown keys. Raw paths carry ids (`/orders/48213`, `/u/3f2b...`), so a "top 100 paths" of raw
 * paths is mostly one-off ids and the rest of the traffic lands in `__other__`. A path is therefore grouped by its
 * pattern: every segment that is an id is replaced by a placeholder, so `/orders/48213` and `/orders/48214` are one
 * entry `/orders/{num}`. The rule (also in the README):
 *
 * - a segment of digits only becomes `{num}`;
 * - a UUID (8-4-4-4-12 hex digits, any case) becomes `{uuid}`;
 * - a segment of 16 or more hex digits (hashes, object ids) becomes `{hex}`;
 * - anything else, the empty path and `/` stay as they are; the query string is no part of Cloudflare's path.
 *
 * Segments are what lies between slashes; an id inside a segment (`app.3f9a8c7d.js`) is kept. Placeholders use braces,
 * which a browser never sends unescaped in a path, so a pattern is never mistaken for a real path.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
const DIGITS = /^\d+$/;

function segmentPattern(segment: string): string {
  if (DIGITS.test(segment)) return "{num}";
  if (UUID.test(segment)) return "{uuid}";
  if (LONG_HEX.test(segment)) return "{hex}";
  return segment;
}

/** `/orders/48213/items/9f1c...` -> `/orders/{num}/items/{hex}`; a path without ids is returned unchanged. */
export function collapsePath(path: string): string {
  return path.split("/").map(segmentPattern).join("/");
}

/** Whether a stored pattern is a real path (no segment was collapsed): only then is it a value for ECS `url.path`. */
export const isRealPath = (pattern: string): boolean => !/\{(num|uuid|hex)\}/.test(pattern);

/**
 * The first `segments` segments of a path, and `/*` where more followed: with 1, `/static/js/app.js` becomes
 * `/static/*` and `/about` stays `/about`; `/` stays `/`. For user-declared breakdowns by path prefix.
 */
export function pathPrefix(path: string, segments: number): string {
  const parts = path.split("/");
  // parts[0] is what precedes the first slash ("" for an absolute path).
  if (parts.length - 1 <= segments) return path;
  return `${parts.slice(0, segments + 1).join("/")}/*`;
}
