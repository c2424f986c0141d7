/**
 * Where documents go. Two implementations share this interface: Elasticsearch (the product) and NDJSON `_bulk`
 * files (the demo and air-gapped exports). A run only ever talks to a sink through these four calls.
 */
import type { Dataset, Owner, Window } from "../datasets/dataset.js";
import type { ExportDocument } from "../datasets/document.js";
import { ExporterError, type ExporterErrorOptions } from "../errors.js";

/** What a sink already holds for one dataset and owner (zone or account) within a range. */
export interface Coverage {
  /** Newest stored unit (minute, hour, day; start, epoch ms) in the range, if any. */
  readonly newest: number | undefined;
  /** Ranges of units without a stored total document. */
  readonly missing: readonly Window[];
}

/** One owner's documents for one fetched window: entries first, then the totals that mark units complete. */
export interface WriteBatch {
  /** Produced as they are written (read back unit by unit from the spilled answer); iterable more than once. */
  readonly entries: Iterable<ExportDocument> | AsyncIterable<ExportDocument>;
  readonly totals: Iterable<ExportDocument>;
  readonly dataset: string;
  /** Zone or account id. */
  readonly ownerId: string;
  /** Which field holds the owner id in stored documents. */
  readonly scope: Owner["scope"];
  readonly window: Window;
}

export interface WriteOutcome {
  readonly written: number;
  readonly failed: number;
  /** The first few reasons, for the log and the summary. */
  readonly reasons: readonly string[];
  /** Documents sent again after Elasticsearch answered 429 for them (back-pressure, not failure). */
  readonly retried: number;
}

/** What has indices of its own: a dataset (GraphQL or snapshot), by its name and declared fields. */
export type Indexed = Pick<Dataset, "name" | "fields">;

export interface Sink {
  /** e.g. "Elasticsearch http://localhost:9200" or "NDJSON files in ./out". */
  readonly description: string;
  /** Creates or updates whatever must exist before writing (idempotent, cheap). Returns notes worth logging once. */
  ensure(datasets: readonly Indexed[]): Promise<string[]>;
  coverage(dataset: Dataset, owner: Owner, range: Window): Promise<Coverage>;
  /**
   * Cloudflare queries earlier runs recorded as spent since `since` (epoch ms, the records' clock); none if unknown.
   * `perOwner`: per zone or account (`owner` set), for account-based rate limiting; otherwise per run.
   */
  recentQueries(since: number, perOwner?: boolean): Promise<{ readonly at: number; readonly queries: number; readonly owner?: string }[]>;
  /**
   * Rows per unit of the densest window each owner and dataset had in runs since `since` (epoch ms, the records'
   * clock), keyed by `densityKey`; empty if unknown.
   */
  recentDensity(since: number): Promise<ReadonlyMap<string, number>>;
  write(batch: WriteBatch): Promise<WriteOutcome>;
  /** Stores the run's own records (`<prefix>-runs-<period>`); creates what they need if `ensure` did not run. */
  record(documents: readonly ExportDocument[]): Promise<void>;
  close(): Promise<void>;
}

export class SinkError extends ExporterError {
  override readonly name = "SinkError";
  constructor(
    message: string,
    /** HTTP status when the destination answered (429 means "slow down", not "wrong"). */
    readonly status?: number,
    options: ExporterErrorOptions & { readonly service?: "elasticsearch" | "output"; readonly kind?: string; readonly retryable?: boolean } = {},
  ) {
    super(
      message,
      options.service ?? "elasticsearch",
      options.kind ?? (status === undefined ? "unreachable" : `http-${status}`),
      options.retryable ?? (status === 429 || (status ?? 0) >= 500),
      options,
    );
  }
}
