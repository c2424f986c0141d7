import type { ExportDocument } from "./document.js";
import type { FieldDecl } from "./fields.js";

/** A half-open time range `[from, to)` in epoch milliseconds, aligned to the dataset's unit. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** Cloudflare scopes its datasets by zone or by account; a query names owners of one scope only. */
export type Scope = "zone" | "account";

/** A zone or an account, as configured: documents carry it as `cloudflare.zone.*` or `cloudflare.account.*`. */
export interface Owner {
  readonly scope: Scope;
  readonly id: string;
  readonly name: string;
}

/** A breakdown whose entries must add up to a metric of the unit's total (checked by `verify` and the tests). */
export interface BreakdownCheck {
  readonly breakdown: string;
  /** Entry metric -> the total metric the entries of one unit add up to. */
  readonly metrics: readonly { readonly entry: string; readonly total: string }[];
}

/**
 * Cloudflare's own coarser rollup of the same figures, which `verify` compares the stored units with.
 * Its query takes `$zoneTag`, `$from`, `$to`, `$limit` and returns one row per coarse unit.
 */
export interface Rollup {
  readonly node: string;
  /** Length of one rollup row (an hour, a day). */
  readonly unit: number;
  /** `Date` when the rollup is filtered by day (`date_geq`), else `Time`. */
  readonly timeType: "Time" | "Date";
  readonly query: string;
  /** Our metric names compared row by row. */
  readonly metrics: readonly string[];
  /** Row start (epoch ms) -> metric -> value, from one zone object of the response. */
  rows(zoneObject: unknown): Map<number, Record<string, number>>;
}

/** What a run knows when it flattens: the cap on high-cardinality breakdowns. */
export interface FlattenOptions {
  readonly topN: number;
  /** Optional fields the query left out: a unit without rows gets zeros only for the figures that were asked for. */
  readonly omit?: ReadonlySet<string>;
}

/** Query options beyond the plan's refused fields. */
export interface QueryOptions {
  /** Ask for confidence bounds of the sampled count at this level (datasets whose node offers them). */
  readonly confidenceLevel?: number | undefined;
}

/**
 * One Cloudflare dataset: its GraphQL query, its pure flattening and its field declarations. It knows nothing of
 * HTTP or Elasticsearch; adding a dataset means one such module and one line in index.ts.
 */
export interface Dataset<Name extends string = string> {
  /** Name in documents (`cloudflare.dataset`), index names and `datasets:`: the registry's (index.ts) or a user's declaration. */
  readonly name: Name;
  /** Cloudflare's node name, also the key of its limits in the `settings` node. */
  readonly node: string;
  readonly scope: Scope;
  /** One row per owner and unit at most for rollups; the stored grain (minute, hour, day) in ms. */
  readonly unit: number;
  /** Adaptive (sampled) datasets store Cloudflare's estimates and mark every document as such. */
  readonly sampled: boolean;
  /** One sentence for `check`, docs/fields.md and the README. */
  readonly description: string;
  readonly fields: readonly FieldDecl[];
  /** How the breakdown documents relate to the totals. */
  readonly breakdownChecks: readonly BreakdownCheck[];
  readonly rollup?: Rollup;
  /** Rows one owner and unit usually yields; sizes windows so a page rarely fills (a full page is split anyway). */
  readonly rowsPerUnit: number;
  /**
   * Leaf paths in `settings.availableFields` form (`sum_visits`, `dimensions_description`) that the query can do
   * without: a plan that refuses one gets a query without it (and documents without that field), not a failure.
   * Listed in the order they are shed when a query must fit Cloudflare's `maxNumberOfFields`.
   */
  readonly optionalFields: readonly string[];
  /** Optional fields Cloudflare's schema marks deprecated: shed before any other under a field cap. */
  readonly deprecatedFields?: readonly string[];
  /** Leaf paths without which the dataset is meaningless: a plan refusing one turns the dataset off for that owner. */
  readonly requiredFields: readonly string[];
  /**
   * A stand-in runs only where the dataset it stands in for is off (the Free plan's sampled overview replaces the
   * exact per-minute rollup); naming it in `datasets` runs it regardless.
   */
  readonly standInFor?: string;
  /**
   * Runs only when named in `datasets` (or with `all`): breakdowns that cost many documents or need a plan most
   * zones lack. The default set is every other dataset.
   */
  readonly optIn?: boolean;
  /** `$from`/`$to` as `Time` (ISO instant) or `Date` (YYYY-MM-DD). */
  readonly timeType: "Time" | "Date";
  /**
   * The query for one window; zone scope: up to 10 zones (`$zoneTags`), account scope: one account (`$accountTag`);
   * both take `$from`, `$to`, `$limit`. `omit` lists optional fields the owners' plan refuses.
   */
  query(omit: ReadonlySet<string>, options?: QueryOptions): string;
  /** The dataset's rows inside one zone or account object of the response (shape-checked). */
  rowsOf(ownerObject: unknown): readonly unknown[];
  /** Start (epoch ms) of the unit a row belongs to; rows arrive ordered by it (shape-checked). */
  rowUnit(row: unknown): number;
  /**
   * Rows of one owner and window -> documents, with a total for every unit (zero where Cloudflare returned no row).
   * Rows are checked at once; documents are produced lazily, each time the iterables are iterated, so a window of
   * a million documents never sits in memory.
   */
  flatten(rows: readonly unknown[], owner: Owner, window: Window, options: FlattenOptions): Flattened;
}

/** A window's documents in the order they must be written. */
export interface Flattened {
  /** Breakdown entries; written first. */
  readonly entries: Iterable<ExportDocument>;
  /**
   * One `total` per unit of the window; written last. A stored total is the mark that its unit is complete:
   * missing-unit detection reads only totals, so a run killed mid-window leaves those units "missing".
   */
  readonly totals: Iterable<ExportDocument>;
}
