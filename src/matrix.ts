/**
 * Which dataset runs for which zone or account, decided at run time from Cloudflare's `settings` node and the
 * configured `datasets` list. Pure: `check`, `--dry-run` and the run itself print and follow the same decisions.
 */
import type { Dataset, Owner, QueryOptions } from "./datasets/dataset.js";
import { DEFAULT_SET, EVERY_DATASET, snapshotDatasets, type SnapshotDataset } from "./datasets/index.js";
import { selectedLeaves } from "./datasets/query.js";
import type { DatasetLimits } from "./plan.js";
import { unitName } from "./time.js";

export interface Decision {
  readonly dataset: Dataset;
  readonly owner: Owner;
  readonly on: boolean;
  /** Why it is off; or, when on, what it runs without (refused optional fields). Empty when nothing to say. */
  readonly reason: string;
  /** `off` only: a stand-in not needed here (not worth a warning), rather than something the plan refuses. */
  readonly quiet: boolean;
  readonly limits: DatasetLimits | undefined;
  /** Optional fields the plan refuses, left out of the query. */
  readonly omit: ReadonlySet<string>;
}

/** The snapshot datasets (tunnels) a run takes: in the default set (so `default` and `all` name them), or named. */
export function selectSnapshots(configured: readonly string[] | undefined): SnapshotDataset[] {
  const list = configured ?? [DEFAULT_SET];
  return snapshotDatasets.filter((d) => list.includes(EVERY_DATASET) || list.includes(DEFAULT_SET) || list.includes(d.name));
}

/**
 * The datasets a run considers: the default set (every dataset but the opt-in ones), or the configured ones, where
 * `default` and `all` stand for those sets (`default,http_paths` adds one to the default). A configured list only
 * chooses among datasets; it never adds what a plan refuses.
 */
export function selectDatasets(all: readonly Dataset[], configured: readonly string[] | undefined): Dataset[] {
  const list = configured ?? [DEFAULT_SET];
  return all.filter((d) => list.includes(EVERY_DATASET) || list.includes(d.name) || (list.includes(DEFAULT_SET) && !d.optIn));
}

/**
 * One owner's decision for one dataset. `named`: the user listed the dataset explicitly, which makes a stand-in run
 * even where the exact dataset it stands in for is available.
 */
export function decide(
  dataset: Dataset,
  owner: Owner,
  nodes: ReadonlyMap<string, DatasetLimits> | undefined,
  named: boolean,
  options: QueryOptions = {},
): Decision {
  const off = (reason: string, quiet = false, limits?: DatasetLimits): Decision => ({ dataset, owner, on: false, reason, quiet, limits, omit: new Set() });
  if (!nodes) {
    return off(`Cloudflare returned no settings for this ${owner.scope} (check the ${owner.scope} id and that the token covers it)`);
  }
  const limits = nodes.get(dataset.node);
  if (!limits) return off(`Cloudflare returned no settings for ${dataset.node}`);
  if (!limits.enabled) return off(`the ${owner.scope}'s plan does not include ${dataset.node}`, false, limits);
  if (dataset.standInFor && nodes.get(dataset.standInFor)?.enabled && !named) {
    return off(`not needed: the exact ${dataset.standInFor} is available (name ${dataset.name} in datasets to run it anyway)`, true, limits);
  }
  if (limits.maxDurationSeconds * 1000 < dataset.unit) {
    return off(`Cloudflare allows windows of ${limits.maxDurationSeconds}s of ${dataset.node}, less than one ${unitName(dataset.unit)}`, false, limits);
  }
  // availableFields is trusted only when it speaks about this dataset's fields at all: its format is not
  // documented precisely, and a format we do not recognise must not switch every dataset off.
  const available = limits.availableFields;
  const ours = [...dataset.requiredFields, ...dataset.optionalFields];
  const informative = available.size > 0 && ours.some((f) => available.has(f));
  const missing = informative ? dataset.requiredFields.filter((f) => !available.has(f)) : [];
  if (missing.length > 0) return off(`the plan does not offer ${missing.join(", ")} of ${dataset.node}`, false, limits);
  const refused = informative ? dataset.optionalFields.filter((f) => !available.has(f)) : [];
  const capped = fitFieldCap(dataset, new Set(refused), limits.maxNumberOfFields, options);
  if (!capped) {
    return off(`its required fields alone are more than the ${limits.maxNumberOfFields} fields Cloudflare allows per query of ${dataset.node}`, false, limits);
  }
  const reasons = [
    ...(refused.length > 0 ? [`without ${refused.join(", ")} (not offered by the plan or token)`] : []),
    ...(capped.shed.length > 0
      ? [`without ${capped.shed.join(", ")} (Cloudflare allows ${limits.maxNumberOfFields} fields per query of ${dataset.node})`]
      : []),
  ];
  return { dataset, owner, on: true, reason: reasons.join("; "), quiet: false, limits, omit: capped.omit };
}

/**
 * Sheds optional fields, deprecated ones first, until the query selects at most `cap` leaf fields (Cloudflare
 * refuses a larger query outright). Undefined when even the required fields do not fit.
 */
export function fitFieldCap(
  dataset: Dataset,
  omit: ReadonlySet<string>,
  cap: number | undefined,
  options: QueryOptions = {},
): { omit: ReadonlySet<string>; shed: string[] } | undefined {
  const result = new Set(omit);
  const shed: string[] = [];
  const deprecated = dataset.deprecatedFields ?? [];
  const order = [...deprecated, ...dataset.optionalFields.filter((f) => !deprecated.includes(f))].filter((f) => !result.has(f));
  while (cap !== undefined && selectedLeaves(dataset.query(result, options), dataset.node) > cap) {
    const next = order.shift();
    if (next === undefined) return undefined;
    result.add(next);
    shed.push(next);
  }
  return { omit: result, shed };
}
