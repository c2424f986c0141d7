/**
 * Ground truth of the adaptive nodes, computed from the events directly (no GraphQL): what a query of node N for tag T
 * over [start, end), grouped by some dimensions and filtered, returns, with every aggregate the node offers.
 */

import { adaptiveEvents, adaptiveRows, everything, type AdaptiveEvent } from "./adaptive.js";
import { compileFilter } from "./filters.js";
import { nodeModel } from "./model.js";
import { isRollup, type AdaptiveName } from "./options.js";
import { simulatorSchema } from "./schema.js";

export type { AdaptiveEvent };

export interface GroundTruthOptions {
  /** The clock: minutes not ended by then have no events. @default Number.POSITIVE_INFINITY (all final) */
  now?: number;
  /** Late data as the simulator's option: a minute younger than this shows only part of its events. @default 0 */
  lateMinutes?: number;
}

/**
 * One group: `dimensions` holds the group-by fields (time ones as Cloudflare prints them); then every aggregate
 * section the node has (`count`, `sum`, `avg`, `max`, `min`, `quantiles`, `ratio`), with all their fields.
 */
export interface GroundTruthRow {
  dimensions: Record<string, unknown>;
  count?: number;
  sum?: Record<string, unknown>;
  avg?: Record<string, unknown>;
  max?: Record<string, unknown>;
  min?: Record<string, unknown>;
  quantiles?: Record<string, unknown>;
  ratio?: Record<string, unknown>;
}

function checkNode(node: string): asserts node is AdaptiveName {
  if (isRollup(node)) throw new RangeError(`${node} is a rollup: use minute/hour/day ground truth`);
}

/**
 * The rows of node `node` for `tag` over [startMs, endMs), grouped by `groupBy` (dimension names; none gives one total
 * row when there are events) and filtered by `filter` (the node's GraphQL filter object, e.g.
 * `{ action_in: ["block"], clientRequestHTTPHost_like: "api.%" }`), in Cloudflare's default order (by the group-by
 * fields). Equals the GraphQL answer of the same question that selects every aggregate.
 */
export function adaptiveGroups(
  node: AdaptiveName,
  tag: string,
  startMs: number,
  endMs: number,
  groupBy: readonly string[] = [],
  filter: Readonly<Record<string, unknown>> = {},
  options: GroundTruthOptions = {},
): GroundTruthRow[] {
  checkNode(node);
  const model = nodeModel(simulatorSchema(), node);
  const unknown = groupBy.filter((f) => !model.dims.has(f));
  if (unknown.length > 0) throw new RangeError(`${node} has no dimension ${unknown.join(", ")}`);
  return adaptiveRows({
    model,
    tag,
    filter: compileFilter(filter, model.units, true),
    groupBy: [...new Set(groupBy)],
    needed: everything(model),
    orderBy: [],
    limit: Number.POSITIVE_INFINITY,
    now: options.now ?? Number.POSITIVE_INFINITY,
    lateMinutes: options.lateMinutes ?? 0,
    from: startMs,
    to: endMs,
  }) as unknown as GroundTruthRow[];
}

/** Every sampled event of node `node` for `tag` in [startMs, endMs), with all its dimensions and metrics. */
export function adaptiveEventList(node: AdaptiveName, tag: string, startMs: number, endMs: number, options: GroundTruthOptions = {}): AdaptiveEvent[] {
  checkNode(node);
  return adaptiveEvents(nodeModel(simulatorSchema(), node), tag, startMs, endMs, options.now ?? Number.POSITIVE_INFINITY, options.lateMinutes ?? 0);
}
