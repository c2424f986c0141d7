/**
 * Which dataset runs for which zone or account, decided at run time from Cloudflare's `settings` node and the
 * configured `datasets` list. Pure: `check`, `--dry-run` and the run itself print and follow the same decisions.
 */
import type { Dataset, Owner } from "./datasets/dataset.js";
import type { DatasetLimits } from "./plan.js";

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

/** The datasets a run considers: all, or the configured ones (which can only narrow, never add what a plan refuses). */
export function selectDatasets(all: readonly Dataset[], configured: readonly string[] | undefined): Dataset[] {
  return configured ? all.filter((d) => configured.includes(d.name)) : [...all];
}

/**
 * One owner's decision for one dataset. `named`: the user listed the dataset explicitly, which makes a stand-in run
 * even where the exact dataset it stands in for is available.
 */
export function decide(dataset: Dataset, owner: Owner, nodes: ReadonlyMap<string, DatasetLimits> | undefined, named: boolean): Decision {
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
  // availableFields is trusted only when it speaks about this dataset's fields at all: its format is not
  // documented precisely, and a format we do not recognise must not switch every dataset off.
  const available = limits.availableFields;
  const ours = [...dataset.requiredFields, ...dataset.optionalFields];
  const informative = available.size > 0 && ours.some((f) => available.has(f));
  if (!informative) return { dataset, owner, on: true, reason: "", quiet: false, limits, omit: new Set() };
  const missing = dataset.requiredFields.filter((f) => !available.has(f));
  if (missing.length > 0) return off(`the plan does not offer ${missing.join(", ")} of ${dataset.node}`, false, limits);
  const omit = new Set(dataset.optionalFields.filter((f) => !available.has(f)));
  const reason = omit.size > 0 ? `without ${[...omit].join(", ")} (not offered by the plan or token)` : "";
  return { dataset, owner, on: true, reason, quiet: false, limits, omit };
}
