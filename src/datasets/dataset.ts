import type { Zone } from "../config/types.js";
import type { ExportDocument } from "./document.js";
import type { FieldDecl } from "./fields.js";

/** A half-open time range `[from, to)` in epoch milliseconds, minute-aligned. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** A breakdown whose entries must add up to a metric of the minute's total (checked by `verify`). */
export interface BreakdownCheck {
  readonly breakdown: string;
  /** Entry metric -> the total metric the entries of one minute add up to. */
  readonly metrics: readonly { readonly entry: string; readonly total: string }[];
}

/**
 * Cloudflare's own coarser rollup of the same figures, which `verify` compares the stored minutes with.
 * Its query takes `$zoneTag`, `$from`, `$to`, `$limit` and returns one row per hour.
 */
export interface Rollup {
  readonly node: string;
  readonly query: string;
  /** Our metric names compared hour by hour. */
  readonly metrics: readonly string[];
  /** Hour start (epoch ms) -> metric -> value, from one zone object of the response. */
  hours(zoneObject: unknown): Map<number, Record<string, number>>;
}

/**
 * One Cloudflare zone-scoped dataset: its GraphQL query, its pure flattening and its field declarations.
 * It knows nothing of HTTP or Elasticsearch; adding a dataset means one such module and one line in index.ts.
 */
export interface ZoneDataset {
  /** Name in documents (`cloudflare.dataset`) and index names. */
  readonly name: string;
  /** Cloudflare's node name, also the key of its limits in the zone `settings` node. */
  readonly node: string;
  readonly fields: readonly FieldDecl[];
  /** How the breakdown documents relate to the totals. */
  readonly breakdownChecks: readonly BreakdownCheck[];
  readonly rollup?: Rollup;
  /** The query for up to 10 zones and one window; variables `$zoneTags`, `$from`, `$to`, `$limit`. */
  readonly query: string;
  /** The dataset's rows inside one zone object of the response (shape-checked; throws on a malformed answer). */
  rowsOf(zoneObject: unknown): readonly unknown[];
  /**
   * Rows of one zone and window -> documents, with a zero total for every minute Cloudflare returned no row for.
   * Rows are checked at once; documents are produced lazily, each time the iterables are iterated, so a window of
   * a million documents never sits in memory.
   */
  flatten(rows: readonly unknown[], zone: Zone, window: Window): Flattened;
}

/** A window's documents in the order they must be written. */
export interface Flattened {
  /** Breakdown entries; written first. */
  readonly entries: Iterable<ExportDocument>;
  /**
   * One `total` per minute of the window; written last. A stored total is the mark that its minute is complete:
   * missing-minute detection reads only totals, so a run killed mid-window leaves those minutes "missing".
   */
  readonly totals: Iterable<ExportDocument>;
}
