/**
 * The plan of a run: which owner x dataset runs (from each owner's `settings`), which units each needs (from what
 * the sink holds), and the requests that fetch them, in the order the run makes them (plan.ts `schedule`). `run`,
 * `run --dry-run` and `check` all plan this way, so what they say a run costs is what it spends.
 */
import type { Config } from "./config/types.js";
import type { QueryBudget } from "./cloudflare/budget.js";
import type { CloudflareClient } from "./cloudflare/client.js";
import { readLimits } from "./cloudflare/settings.js";
import type { Dataset, Owner, Scope, Window } from "./datasets/dataset.js";
import { UsageError } from "./errors.js";
import type { Logger } from "./log.js";
import { decide, type Decision } from "./matrix.js";
import { densityKey, maxWindowMinutes, minutesToFetch, plannedDensity, retentionRange, schedule, type Request, type Want } from "./plan.js";
import type { DatasetReport, RunRequest } from "./run.js";
import type { Sink } from "./sinks/sink.js";
import { DAY, iso, MINUTE, unitName } from "./time.js";

/** One owner's part of one dataset in this run. */
export interface Work {
  readonly decision: Decision;
  readonly report: DatasetReport;
  /** Optional fields left out of its queries; grows when Cloudflare refuses one during the run. */
  omit: ReadonlySet<string>;
}

export interface RunPlan {
  readonly reports: DatasetReport[];
  /** In the order the run makes them. */
  readonly requests: Request<Work>[];
  /** Rows per unit each owner's windows of each dataset were sized for, by `densityKey`. */
  readonly density: ReadonlyMap<string, number>;
  /** One line per owner x dataset, for `--dry-run`. */
  readonly lines: string[];
}

interface PlanDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly cloudflare: CloudflareClient;
  readonly datasets: readonly Dataset[];
  readonly log: Logger;
}

/** Reads the settings of every owner once per scope and decides every owner x dataset. */
export async function decideAll(deps: Pick<PlanDeps, "config" | "cloudflare" | "datasets"> & { readonly log?: Logger }): Promise<Decision[]> {
  const { config, cloudflare, datasets } = deps;
  const decisions: Decision[] = [];
  for (const scope of ["zone", "account"] as const) {
    const mine = datasets.filter((d) => d.scope === scope);
    const owners = ownersOf(config, scope);
    if (mine.length === 0 || owners.length === 0) continue;
    // Stand-ins need the settings of the node they stand in for, even when that dataset itself is not selected.
    const nodes = [...new Set(mine.flatMap((d) => (d.standInFor ? [d.node, d.standInFor] : [d.node])))];
    const limits = await readLimits(cloudflare, scope, owners, nodes, (warning) => deps.log?.warn(warning));
    for (const dataset of mine) {
      const named = config.datasets?.includes(dataset.name) ?? false;
      for (const owner of owners) decisions.push(decide(dataset, owner, limits.get(owner.id), named, { confidenceLevel: config.cloudflare.confidenceLevel }));
    }
  }
  return decisions;
}

export function ownersOf(config: Config, scope: Scope): Owner[] {
  const list = scope === "zone" ? config.cloudflare.zones : config.cloudflare.accounts;
  return list.map((o) => ({ scope, id: o.id, name: o.name }));
}

/** How far back the densest window of each owner and dataset is looked for: a whole daily cycle of traffic. */
const DENSITY_LOOKBACK_MS = DAY;

/**
 * The run's requests. Each owner's windows are sized by `plannedDensity`: the dataset's own estimate, more for an owner
 * whose densest window of the last day (the run records) had more, and as long as Cloudflare allows for one whose
 * answers were all empty. A dataset whose coverage cannot be read is reported failed; the others go on.
 */
export async function planRun(deps: PlanDeps, request: RunRequest, decisions: readonly Decision[]): Promise<RunPlan> {
  const { log } = deps;
  const reports: DatasetReport[] = [];
  const wants: Want<Work>[] = [];
  const density = new Map<string, number>();
  const lines: string[] = [];
  const seen = await deps.sink.recentDensity(request.now - DENSITY_LOOKBACK_MS).catch((error: unknown) => {
    log.warn(`windows are sized from the datasets' own estimates: ${(error as Error).message}`);
    return new Map<string, number>();
  });
  for (const dataset of deps.datasets) {
    const mine = decisions.filter((d) => d.dataset === dataset);
    const planned: { work: Work; want: Want<Work> | undefined }[] = [];
    try {
      for (const d of mine) {
        const key = densityKey(dataset.name, d.owner.id);
        const rowsPerUnit = plannedDensity(dataset.rowsPerUnit, seen.get(key));
        density.set(key, rowsPerUnit);
        planned.push(await planOwner(deps, request, d, rowsPerUnit, reports));
      }
    } catch (error) {
      for (const d of mine) if (d.on) reports.push(failedReport(d, `planning failed: ${(error as Error).message}`));
      log.error(`${dataset.name}: planning failed: ${(error as Error).message}; the other datasets go on`);
      continue;
    }
    for (const { want } of planned) if (want) wants.push(want);
  }
  const requests = schedule(wants);
  for (const want of wants) {
    const w = want.item;
    const mine = requests.filter((r) => r.items.includes(w));
    const units = mine.reduce((n, r) => n + (r.window.to - r.window.from) / want.unit, 0);
    const from = Math.min(...mine.map((r) => r.window.from));
    const to = Math.max(...mine.map((r) => r.window.to));
    w.report.planned = { units, windows: mine.length, queries: mine.length, ...(mine.length > 0 ? { from, to } : {}) };
    lines.push(describe(w, want.unit));
  }
  for (const r of reports) if (r.status === "off") lines.push(`${r.dataset} ${r.owner.name}: off (${r.error ?? ""})`);
  if (request.mode === "backfill" && request.range) refuseEmptyBackfill(request.range, wants);
  return { reports, requests, density, lines };
}

/** One owner x dataset: its report, and what it needs fetched (none when it is off). */
async function planOwner(
  deps: PlanDeps,
  request: RunRequest,
  decision: Decision,
  rowsPerUnit: number,
  reports: DatasetReport[],
): Promise<{ work: Work; want: Want<Work> | undefined }> {
  const { config, sink, log } = deps;
  const { dataset, owner, limits } = decision;
  const report: DatasetReport = { owner, dataset: dataset.name, status: "ok", windows: 0, documents: 0, queries: 0 };
  reports.push(report);
  const work: Work = { decision, report, omit: decision.omit };
  if (!decision.on || !limits) {
    report.status = "off";
    report.error = decision.reason;
    return { work, want: undefined };
  }
  if (decision.reason) report.error = decision.reason;
  const unit = dataset.unit;
  const settled = retentionRange(request.now, config.window.settleMinutes, Number.POSITIVE_INFINITY, limits, unit);
  let ranges: Window[];
  let newest: number | undefined;
  if (request.mode === "backfill" && request.range) {
    const from = Math.max(Math.ceil(request.range.from / unit) * unit, settled.from);
    const to = Math.min(Math.floor(request.range.to / unit) * unit, settled.to);
    if (from > request.range.from || to < request.range.to) {
      log.warn(
        `${dataset.name} ${owner.name}: backfill range cut to ${from < to ? `[${iso(from)}, ${iso(to)})` : "nothing"}: whole ${unitName(unit)}s only, Cloudflare keeps ${dataset.node} for ${limits.notOlderThanSeconds / 86400} days and the last ${config.window.settleMinutes} minutes are not settled`,
      );
    }
    ranges = from < to ? [{ from, to }] : [];
  } else {
    // Minute datasets look back `maxBackfillDays`; hourly and daily ones as far as Cloudflare keeps them, so the
    // first run brings long history (a year of days) at a small cost.
    const days = unit === MINUTE ? config.window.maxBackfillDays : Number.POSITIVE_INFINITY;
    const range = retentionRange(request.now, config.window.settleMinutes, days, limits, unit);
    const coverage = await sink.coverage(dataset, owner, range);
    newest = coverage.newest;
    if (newest !== undefined) report.newest = newest;
    ranges = minutesToFetch(range, coverage.missing, newest, config.window.overlapMinutes, unit, request.now - config.window.settleMinutes * MINUTE);
  }
  const want: Want<Work> = {
    item: work,
    group: `${dataset.name}|${[...work.omit].sort().join(",")}`,
    ranges,
    newest,
    settled: settled.to,
    windowMinutes: maxWindowMinutes(limits, unit, rowsPerUnit),
    unit,
    rowsPerUnit,
    perRequest: deps.cloudflare.ownersPerRequest(dataset.scope),
  };
  return { work, want };
}

/** A backfill whose range lies wholly outside what Cloudflare keeps (or in the future) is a usage error: exit 2. */
function refuseEmptyBackfill(range: Window, wants: readonly Want<Work>[]): void {
  if (wants.length === 0 || wants.some((w) => w.ranges.length > 0)) return;
  const kept = [...new Set(wants.map((w) => `${w.item.decision.dataset.name} ${duration(w.item.decision.limits!.notOlderThanSeconds)}`))];
  throw new UsageError(
    `backfill [${iso(range.from)}, ${iso(range.to)}) holds no settled ${unitName(wants[0]!.unit)} that Cloudflare still keeps (${kept.join(", ")}): nothing to fetch`,
    { fix: "choose --from and --to within that retention and before the last few (unsettled) minutes" },
  );
}

const duration = (seconds: number): string => (seconds >= 86400 ? `${Math.floor(seconds / 86400)} days` : `${Math.floor(seconds / 3600)} hours`);

function failedReport(d: Decision, error: string): DatasetReport {
  return { owner: d.owner, dataset: d.dataset.name, status: "failed", windows: 0, documents: 0, queries: 0, error };
}

function describe(w: Work, unit: number): string {
  const { owner, dataset } = w.decision;
  const extra = w.report.error ? ` (${w.report.error})` : "";
  const p = w.report.planned;
  if (!p || p.windows === 0) return `${dataset.name} ${owner.name} (${owner.id}): on, up to date${extra}`;
  return (
    `${dataset.name} ${owner.name} (${owner.id}): on, ${p.units} ${unitName(unit)}s in ${p.windows} windows, ` +
    `${iso(p.from!)} .. ${iso(p.to!)}, ${p.queries} queries${extra}`
  );
}

/**
 * How many runs the planned queries take: this run may spend what is left of its share now, each later run (one every
 * five minutes, as the chart schedules them) a whole share. Retries and refusals cost a few more.
 */
export function catchUp(requests: readonly Request<Work>[], budget: QueryBudget): string {
  const share = budget.perWindow;
  if (budget.perOwner) return catchUpPerOwner(requests, budget);
  const queries = requests.reduce((n, r) => n + r.items.length, 0);
  const available = budget.available();
  if (queries <= available) return `fits this run's share of the query budget (${available} left now)`;
  const runs = 1 + Math.ceil((queries - available) / share);
  return `needs about ${runs} runs at the budget of ${share} per 5 minutes (${available} left for this one); each run does the stalest owners' newest minutes first`;
}

/** Account-based rate limiting: each zone and account catches up on its own budget; the slowest one sets the pace. */
function catchUpPerOwner(requests: readonly Request<Work>[], budget: QueryBudget): string {
  const perOwner = new Map<string, number>();
  for (const r of requests) for (const w of r.items) perOwner.set(w.decision.owner.id, (perOwner.get(w.decision.owner.id) ?? 0) + 1);
  let busiest = 0;
  let runs = 1;
  let over = 0;
  for (const [owner, queries] of perOwner) {
    busiest = Math.max(busiest, queries);
    const available = budget.available(owner);
    if (queries <= available) continue;
    over++;
    runs = Math.max(runs, 1 + Math.ceil((queries - available) / budget.perWindow));
  }
  const each = `${budget.perWindow} per 5 minutes for each zone and account (account-based)`;
  if (over === 0) return `fits this run's share of every zone's and account's own query budget (${busiest} queries at most for one; ${each})`;
  return `${over} of ${perOwner.size} zones and accounts need more than this run's share: about ${runs} runs at ${each}; the others finish in this run`;
}
