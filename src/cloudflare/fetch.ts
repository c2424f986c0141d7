/**
 * One request for one dataset: a window, up to 10 zones (or one account) and the fields to leave out. Owns the query
 * variables, unpacking the answer per owner, and the answer to each documented failure that a *different* request can
 * cure. Whatever can be retried unchanged (budget, 5xx, timeouts) the client has already retried; what comes back
 * here needs another request: fewer owners, a shorter window, fewer fields, or none at all.
 */
import type { Dataset, Owner, Window } from "../datasets/dataset.js";
import { ownerObjects, queryVariables, selectedLeaves } from "../datasets/query.js";
import { fitFieldCap } from "../matrix.js";
import { iso, unitName } from "../time.js";
import type { CloudflareClient } from "./client.js";
import { CloudflareError, endsTheRun } from "./errors.js";
import { readRows, SPILLED, type SpilledRows } from "./spill.js";

/** A request to make: the same window and the same query text for each of its owners. */
export interface Task {
  readonly window: Window;
  readonly owners: readonly Owner[];
  /** Optional fields left out of the query (refused by the plan, shed under a field cap). */
  readonly omit: ReadonlySet<string>;
}

/** One owner's rows of an answer, read back from where they were spilled as the answer streamed in. */
interface RowSource {
  readonly count: number;
  /** Every call reads the rows anew, in the order Cloudflare sent them. */
  rows(): AsyncIterable<unknown>;
}

export interface Fetched {
  /** Owner id -> its rows, for owners whose answer is complete (not a full page). */
  readonly rows: Map<string, RowSource>;
  /** Owner id -> rows of an answer that filled the page, which may have been cut: asked again in halves. */
  readonly full: Map<string, number>;
  /** Requests to make instead of this one, first. */
  readonly retry: Task[];
  /** Owners that cannot read this dataset (plan, token): off for the rest of the run, not a failure. */
  readonly skipped: [ownerId: string, why: string][];
  readonly failed: [ownerId: string, why: string][];
  /** Owner id -> optional fields this request found it must leave out from now on, and why. */
  readonly shed: Map<string, string>;
}

export interface FetchOptions {
  readonly limit: number;
  readonly confidenceLevel?: number | undefined;
  /** A folder for the rows of this request's answer (spilled as they stream); the caller removes it. */
  readonly spillDir: string;
}

const empty = (): Fetched => ({ rows: new Map(), full: new Map(), retry: [], skipped: [], failed: [], shed: new Map() });

export async function fetchTask(client: CloudflareClient, dataset: Dataset, task: Task, options: FetchOptions): Promise<Fetched> {
  const { window, owners, omit } = task;
  const context = `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${owners.map((o) => o.name).join(", ")}`;
  const query = { confidenceLevel: options.confidenceLevel };
  let viewer: Record<string, unknown>;
  try {
    viewer = await client.viewer({
      context,
      query: dataset.query(omit, query),
      variables: queryVariables(dataset.scope, owners, window, dataset.timeType, options.limit),
      cost: owners.length,
      owners: owners.map((o) => o.id),
      spill: { node: dataset.node, dir: options.spillDir },
    });
  } catch (error) {
    // A run-wide failure (credentials, the deadline) ends the run's work, not this request's.
    if (!(error instanceof CloudflareError) || endsTheRun(error)) throw error;
    return answerTo(error, dataset, task, options);
  }

  const result = empty();
  const answered = ownerObjects(dataset.scope, viewer);
  for (const owner of owners) {
    const object = answered.get(owner.id);
    if (object === undefined) {
      result.failed.push([owner.id, `${context}: Cloudflare's answer has no entry for ${owner.scope} ${owner.id}; nothing written for it`]);
      continue;
    }
    let source: RowSource;
    try {
      // The node's list is empty here (its rows were spilled), but it must be a list: null is not "no traffic".
      dataset.rowsOf(object);
      source = spilledRows(object);
    } catch (error) {
      result.failed.push([owner.id, `${context}: ${(error as Error).message}`]);
      continue;
    }
    if (source.count >= options.limit) result.full.set(owner.id, source.count);
    else result.rows.set(owner.id, source);
  }
  const full = owners.filter((o) => result.full.has(o.id));
  if (full.length > 0) {
    // As many rows as the limit means the answer may have been cut: never trust it, ask for halves.
    const halves = halve(window, dataset.unit);
    if (halves) result.retry.push(...halves.map((w) => ({ window: w, owners: full, omit })));
    else
      for (const o of full)
        result.failed.push([o.id, `${context}: one ${unitName(dataset.unit)} fills a whole page (${options.limit} rows); cannot split further`]);
  }
  return result;
}

/** The request to make instead of one Cloudflare refused, per documented error; or the owners' end for this run. */
function answerTo(error: CloudflareError, dataset: Dataset, task: Task, options: FetchOptions): Fetched {
  const { window, owners, omit } = task;
  const result = empty();
  const failAll = (why: string): Fetched => {
    for (const o of owners) result.failed.push([o.id, why]);
    return result;
  };
  switch (error.kind) {
    case "too-many-owners": {
      // The request itself is too big: the same request can never pass, fewer owners per request can.
      if (owners.length === 1) return failAll(`${error.message} (even for one ${owners[0]!.scope} per request)`);
      const half = Math.ceil(owners.length / 2);
      result.retry.push({ window, owners: owners.slice(0, half), omit }, { window, owners: owners.slice(half), omit });
      return result;
    }
    case "too-large": {
      const halves = halve(window, dataset.unit);
      if (!halves) return failAll(`${error.message} (even for one ${unitName(dataset.unit)})`);
      result.retry.push(...halves.map((w) => ({ window: w, owners, omit })));
      return result;
    }
    case "field-cap": {
      const fitted = fitFieldCap(dataset, omit, Math.min(error.cap ?? Number.POSITIVE_INFINITY, leavesNow(dataset, omit, options) - 1), options);
      if (!fitted || fitted.shed.length === 0) return failAll(error.message);
      for (const o of owners)
        result.shed.set(o.id, `without ${fitted.shed.join(", ")} (Cloudflare allows ${error.cap ?? "fewer"} fields per query of ${dataset.node})`);
      result.retry.push({ window, owners, omit: fitted.omit });
      return result;
    }
    case "field-refused": {
      const named = owners.filter((o) => error.zoneIds.includes(o.id));
      const refused = named.length > 0 ? named : owners;
      const others = owners.filter((o) => !refused.includes(o));
      if (others.length > 0) result.retry.push({ window, owners: others, omit });
      const fields = matchFields(dataset, error.field).filter((f) => !omit.has(f));
      const required = fields.filter((f) => !dataset.optionalFields.includes(f));
      if (fields.length > 0 && required.length === 0) {
        // Ask again without it; the dataset stays on for these owners, without that field from now on.
        for (const o of refused) result.shed.set(o.id, `without ${fields.join(", ")} (refused by Cloudflare for this ${o.scope})`);
        result.retry.push({ window, owners: refused, omit: new Set([...omit, ...fields]) });
      } else {
        const what =
          required.length > 0 ? `${required.join(", ")}, which ${dataset.name} cannot do without` : `a field it does not ask for (${error.field ?? "unnamed"})`;
        for (const o of refused) result.skipped.push([o.id, `Cloudflare refuses ${what}: ${error.message}`]);
      }
      return result;
    }
    case "access": {
      const named = owners.filter((o) => error.zoneIds.includes(o.id));
      if (named.length > 0 && named.length < owners.length) {
        for (const o of named) result.skipped.push([o.id, `no access to ${dataset.node}: ${error.message}`]);
        result.retry.push({ window, owners: owners.filter((o) => !named.includes(o)), omit });
        return result;
      }
      for (const o of owners) result.skipped.push([o.id, error.message]);
      return result;
    }
    default:
      return failAll(error.message);
  }
}

function spilledRows(ownerObject: unknown): RowSource {
  const spilled = (ownerObject as Record<string, unknown>)[SPILLED] as SpilledRows | undefined;
  if (!spilled) return { count: 0, rows: async function* () {} };
  return { count: spilled.count, rows: () => readRows(spilled) };
}

/** The two halves of a window, in whole units; undefined for a single unit. */
export function halve(window: Window, unit: number): [Window, Window] | undefined {
  const units = (window.to - window.from) / unit;
  if (units < 2) return undefined;
  const middle = window.from + Math.floor(units / 2) * unit;
  return [
    { from: window.from, to: middle },
    { from: middle, to: window.to },
  ];
}

/**
 * The dataset's fields that Cloudflare named in a refusal. Cloudflare writes the name in lower case and without its
 * group (`clientasn` for `dimensions_clientAsn`); a field stands for its whole family (`originresponsedurationmsp50`
 * and `originresponsedurationms` for `quantiles_originResponseDurationMsP50/P95/P99` and `avg_originResponseDurationMs`),
 * all refused together by a plan, so they are left out together rather than one refusal (and one query) at a time.
 */
export function matchFields(dataset: Dataset, named: string | undefined): string[] {
  if (!named) return [];
  // A quantile's refusal (`originresponsedurationmsp50`) stands for its base field, which the plan refuses whole.
  const family = named.toLowerCase().replace(/p\d+$/, "");
  const leaf = (path: string): string => path.slice(path.lastIndexOf("_") + 1).toLowerCase();
  return [...dataset.requiredFields, ...dataset.optionalFields].filter((f) => leaf(f) === family || leaf(f).startsWith(family));
}

function leavesNow(dataset: Dataset, omit: ReadonlySet<string>, options: FetchOptions): number {
  return selectedLeaves(dataset.query(omit, { confidenceLevel: options.confidenceLevel }), dataset.node);
}
