/**
 * One idempotent run: gate -> ensure the sink -> read each zone's and account's limits -> decide which datasets run
 * where -> plan the missing units of every dataset -> fetch, flatten, write window by window -> summary. The only
 * place that orders these steps and decides the outcome; it never exits the process (the CLI does). One dataset
 * failing never stops the others: each owner x dataset gets its own report. The run stops taking windows at its
 * deadline or on a stop signal; the window in flight is written whole or not at all (entries first, totals last).
 */
import type { Config } from "./config/types.js";
import type { CloudflareClient, TimeLimit } from "./cloudflare/client.js";
import { CloudflareError } from "./cloudflare/errors.js";
import { fetchTask, type Fetched } from "./cloudflare/fetch.js";
import { readLimits, type OwnerLimits } from "./cloudflare/settings.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dataset, Owner, Scope, Window } from "./datasets/dataset.js";
import { flattenWindow } from "./datasets/window.js";
import { MAX_ZONES_PER_QUERY } from "./datasets/query.js";
import type { StopReason } from "./deadline.js";
import { UsageError } from "./errors.js";
import { askGate, logGate, type GateDecision } from "./gate.js";
import type { Logger } from "./log.js";
import { decide, type Decision } from "./matrix.js";
import { batchByWindow, maxWindowMinutes, minutesToFetch, retentionRange, splitWindows } from "./plan.js";
import { Progress } from "./progress.js";
import type { Sink } from "./sinks/sink.js";
import { iso, MINUTE, unitName } from "./time.js";

export interface RunRequest {
  /** `run` looks after missing units; `backfill` rewrites an explicit range. */
  readonly mode: "run" | "backfill";
  readonly range?: Window;
  readonly dryRun: boolean;
  readonly now: number;
}

/** One owner (zone or account) x dataset of a run. */
export interface DatasetReport {
  readonly owner: Owner;
  readonly dataset: string;
  /** `off`: not run here (plan, stand-in); `skipped`: access lost during the run; `failed`: an error, see `error`. */
  status: "ok" | "off" | "skipped" | "failed";
  windows: number;
  documents: number;
  /** Cloudflare queries (owners x nodes) spent on this owner and dataset, settings not included. */
  queries: number;
  /** Rows Cloudflare returned and we stored (full pages that were split again not counted): the benchmark's yardstick. */
  rows?: number;
  /** Newest stored unit start after the run (epoch ms). */
  newest?: number;
  /** Why it is off, skipped or failed; or what it ran without. */
  error?: string;
  /** Planned work (dry run and `check`): units to fetch, windows, queries. */
  planned?: { units: number; windows: number; queries: number; from?: number; to?: number };
}

type RunOutcome = "completed" | "failed" | "not-active" | "stopped-by-gate" | "gate-error" | StopReason;

export interface RunResult {
  readonly outcome: RunOutcome;
  readonly gate: GateDecision;
  readonly reports: DatasetReport[];
  readonly windows: number;
  readonly requests: number;
  readonly queries: number;
  readonly documents: number;
  /** Documents re-sent after a 429 from Elasticsearch. */
  readonly bulkRetries: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly plan?: PlanReport;
  /** Set when the run failed as a whole (the process then exits 1 with this message). */
  readonly error?: string;
}

interface PlanReport {
  readonly lines: string[];
  readonly requests: number;
  readonly queries: number;
}

export interface RunDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly cloudflare: CloudflareClient;
  /** The datasets this run considers (already narrowed by configuration). */
  readonly datasets: readonly Dataset[];
  readonly log: Logger;
  /** The run's deadline and stop signal; none: the run goes on until its work is done. */
  readonly time?: TimeLimit & { readonly stoppedBy: StopReason | undefined };
}

/** One owner's part of one dataset in this run. */
interface Work {
  readonly decision: Decision;
  readonly report: DatasetReport;
  readonly windows: Window[];
  /** Optional fields left out of its queries; grows when Cloudflare refuses one during the run. */
  omit: ReadonlySet<string>;
}

/** Requests waiting to be made: one window for several owners of one dataset. */
interface Pending {
  readonly window: Window;
  readonly owners: readonly Work[];
}

interface Totals {
  windows: number;
  documents: number;
  bulkRetries: number;
}

export async function runExport(deps: RunDeps, request: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const { config, sink, cloudflare, log } = deps;
  const gate = await askGate(config.gate);
  logGate(log, gate);
  const empty = { gate, reports: [], windows: 0, documents: 0, requests: 0, queries: 0, bulkRetries: 0, startedAt: started };
  if (!gate.allowed) return { ...empty, outcome: gate.error ? "gate-error" : "not-active", durationMs: Date.now() - started };
  if (!request.dryRun) for (const note of await sink.ensure(deps.datasets)) log.info(note);

  let decisions: Decision[];
  try {
    decisions = await decideAll(deps);
  } catch (error) {
    // Stopped while reading the owners' settings: nothing was fetched, the next run starts over.
    if (error instanceof CloudflareError && error.kind === "deadline" && deps.time?.stoppedBy) {
      log.warn(`${error.message}: no window was taken`);
      return { ...empty, outcome: deps.time.stoppedBy, durationMs: Date.now() - started };
    }
    throw error;
  }
  for (const d of decisions) {
    if (!d.on && !d.quiet) log.warn(`skipping ${d.dataset.name} for ${d.owner.scope} ${d.owner.name} (${d.owner.id}): ${d.reason}`);
    else if (d.on && d.reason) log.warn(`${d.dataset.name} for ${d.owner.scope} ${d.owner.name}: ${d.reason}`);
  }
  if (deps.datasets.some((d) => d.scope === "account") && config.cloudflare.accounts.length === 0 && config.datasets !== undefined) {
    log.warn("account-scoped datasets were asked for, but no accounts are configured (CF_ACCOUNTS)");
  }

  // Plan everything first: a backfill that can fetch nothing is refused before any work, and the plan's cost is known.
  const reports: DatasetReport[] = [];
  const plans: { dataset: Dataset; work: Work[] }[] = [];
  const planLines: string[] = [];
  let plannedRequests = 0;
  let plannedQueries = 0;
  for (const dataset of deps.datasets) {
    const mine = decisions.filter((d) => d.dataset === dataset);
    let work: Work[];
    try {
      work = await planDataset(deps, request, mine, reports);
    } catch (error) {
      // Planning failed (e.g. the coverage search): this dataset is failed, the others go on.
      for (const d of mine) if (d.on) reports.push(failedReport(d, `planning failed: ${(error as Error).message}`));
      log.error(`${dataset.name}: planning failed: ${(error as Error).message}; the other datasets go on`);
      continue;
    }
    const pending = pendingOf(dataset, work);
    plannedRequests += pending.length;
    plannedQueries += pending.reduce((n, p) => n + p.owners.length, 0);
    for (const w of work) {
      const units = w.windows.reduce((n, x) => n + (x.to - x.from) / dataset.unit, 0);
      const queries = pending.reduce((n, p) => n + (p.owners.includes(w) ? 1 : 0), 0);
      w.report.planned = { units, windows: w.windows.length, queries, ...(w.windows.length > 0 ? { from: w.windows[0]!.from, to: w.windows.at(-1)!.to } : {}) };
      planLines.push(describePlan(dataset, w));
    }
    for (const d of mine) if (!d.on) planLines.push(`${dataset.name} ${d.owner.name}: off (${d.reason})`);
    plans.push({ dataset, work });
  }
  if (request.mode === "backfill" && request.range) refuseEmptyBackfill(request.range, plans);

  const totals: Totals = { windows: 0, documents: 0, bulkRetries: 0 };
  let outcome: RunOutcome | undefined;
  let fatal: string | undefined;
  if (!request.dryRun) {
    for (const { dataset, work } of plans) {
      try {
        outcome = await runDataset(deps, dataset, pendingOf(dataset, work), totals);
      } catch (error) {
        // The credentials were refused: every further request would be too.
        if (!(error instanceof CloudflareError) || error.kind !== "auth") throw error;
        fatal = error.message;
        for (const w of work) if (w.report.status === "ok") fail(w, log, `not fetched: ${error.message}`);
        outcome = "failed";
      }
      if (outcome !== undefined) break;
    }
  }

  const plan = request.dryRun ? { lines: planLines, requests: plannedRequests, queries: plannedQueries } : undefined;
  const failed = reports.some((r) => r.status === "failed");
  return {
    outcome: outcome ?? (failed ? "failed" : "completed"),
    gate,
    reports,
    windows: totals.windows,
    requests: cloudflare.requests(),
    queries: cloudflare.budget.total,
    documents: totals.documents,
    bulkRetries: totals.bulkRetries,
    startedAt: started,
    durationMs: Date.now() - started,
    ...(plan ? { plan } : {}),
    ...(fatal ? { error: fatal } : {}),
  };
}

/** Reads the settings of every owner once per scope and decides every owner x dataset. */
export async function decideAll(deps: Pick<RunDeps, "config" | "cloudflare" | "datasets"> & { readonly log?: Logger }): Promise<Decision[]> {
  const { config, cloudflare, datasets } = deps;
  const decisions: Decision[] = [];
  for (const scope of ["zone", "account"] as const) {
    const mine = datasets.filter((d) => d.scope === scope);
    const owners = ownersOf(config, scope);
    if (mine.length === 0 || owners.length === 0) continue;
    // Stand-ins need the settings of the node they stand in for, even when that dataset itself is not selected.
    const nodes = [...new Set(mine.flatMap((d) => (d.standInFor ? [d.node, d.standInFor] : [d.node])))];
    const limits: OwnerLimits = await readLimits(cloudflare, scope, owners, nodes, (warning) => deps.log?.warn(warning));
    for (const dataset of mine) {
      const named = config.datasets?.includes(dataset.name) ?? false;
      for (const owner of owners) {
        decisions.push(decide(dataset, owner, limits.get(owner.id), named, { confidenceLevel: config.cloudflare.confidenceLevel }));
      }
    }
  }
  return decisions;
}

export function ownersOf(config: Config, scope: Scope): Owner[] {
  const list = scope === "zone" ? config.cloudflare.zones : config.cloudflare.accounts;
  return list.map((o) => ({ scope, id: o.id, name: o.name }));
}

function failedReport(d: Decision, error: string): DatasetReport {
  return { owner: d.owner, dataset: d.dataset.name, status: "failed", windows: 0, documents: 0, queries: 0, error };
}

/** Per owner: the windows to fetch for one dataset, within what Cloudflare allows for that owner. */
async function planDataset(deps: RunDeps, request: RunRequest, decisions: readonly Decision[], reports: DatasetReport[]): Promise<Work[]> {
  const { config, sink, log } = deps;
  const work: Work[] = [];
  for (const decision of decisions) {
    const { dataset, owner, limits } = decision;
    const report: DatasetReport = { owner, dataset: dataset.name, status: "ok", windows: 0, documents: 0, queries: 0 };
    reports.push(report);
    if (!decision.on || !limits) {
      report.status = "off";
      report.error = decision.reason;
      continue;
    }
    if (decision.reason) report.error = decision.reason;
    const unit = dataset.unit;
    const allowed = retentionRange(request.now, config.window.settleMinutes, Number.POSITIVE_INFINITY, limits, unit);
    let ranges: Window[];
    if (request.mode === "backfill" && request.range) {
      const from = Math.max(Math.ceil(request.range.from / unit) * unit, allowed.from);
      const to = Math.min(Math.floor(request.range.to / unit) * unit, allowed.to);
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
      if (coverage.newest !== undefined) report.newest = coverage.newest;
      ranges = minutesToFetch(range, coverage.missing, coverage.newest, config.window.overlapMinutes, unit, request.now - config.window.settleMinutes * MINUTE);
    }
    // As long as Cloudflare allows (one row per unit fits any page); the run cuts them to the rows it sees.
    const windows = splitWindows(ranges, maxWindowMinutes(limits, unit));
    work.push({ decision, report, windows, omit: decision.omit });
  }
  return work;
}

/** A backfill whose range lies wholly outside what Cloudflare keeps (or in the future) is a usage error: exit 2. */
function refuseEmptyBackfill(range: Window, plans: readonly { dataset: Dataset; work: Work[] }[]): void {
  const running = plans.flatMap((p) => p.work);
  if (running.length === 0 || running.some((w) => w.windows.length > 0)) return;
  const kept = [...new Set(running.map((w) => `${w.decision.dataset.name} ${duration(w.decision.limits!.notOlderThanSeconds)}`))];
  throw new UsageError(
    `backfill [${iso(range.from)}, ${iso(range.to)}) holds no settled ${unitName(running[0]!.decision.dataset.unit)} that Cloudflare still keeps (${kept.join(", ")}): nothing to fetch`,
    { fix: "choose --from and --to within that retention and before the last few (unsettled) minutes" },
  );
}

const duration = (seconds: number): string => (seconds >= 86400 ? `${Math.floor(seconds / 86400)} days` : `${Math.floor(seconds / 3600)} hours`);

/** Requests for one dataset: same window and same query text (same fields left out) together, up to 10 zones or 1 account. */
function pendingOf(dataset: Dataset, work: readonly Work[]): Pending[] {
  const byQuery = new Map<string, Work[]>();
  for (const w of work) byQuery.set(omitKey(w), [...(byQuery.get(omitKey(w)) ?? []), w]);
  const perRequest = dataset.scope === "zone" ? MAX_ZONES_PER_QUERY : 1;
  const pending = [...byQuery.values()].flatMap((group) =>
    batchByWindow(
      group.map((w) => ({ zone: w, windows: w.windows })),
      perRequest,
      dataset.unit,
      dataset.rowsPerUnit,
    ).map((b) => ({ window: b.window, owners: b.zones })),
  );
  return pending.sort((a, b) => a.window.from - b.window.from || a.window.to - b.window.to);
}

const omitKey = (w: Work): string => [...w.omit].sort().join(",");

/** Works through one dataset's requests; returns an outcome only when the run must stop (deadline, gate). */
async function runDataset(deps: RunDeps, dataset: Dataset, pending: Pending[], totals: Totals): Promise<RunOutcome | undefined> {
  const { config, log, time } = deps;
  const progress = new Progress(log, dataset.name, pending.length);
  const queue = [...pending];
  const density = { rowsPerUnit: 0 };
  try {
    while (queue.length > 0) {
      if (time?.stoppedBy) return stop(deps, dataset, time.stoppedBy);
      const next = queue.shift()!;
      // An owner that failed or lost access earlier in this run gets no later window: the next run heals it.
      const owners = next.owners.filter((w) => w.report.status === "ok");
      if (owners.length === 0) continue;
      // Owners whose fields changed during the run (a refusal) need a query of their own.
      const groups = new Map<string, Work[]>();
      for (const w of owners) groups.set(omitKey(w), [...(groups.get(omitKey(w)) ?? []), w]);
      if (groups.size > 1) {
        queue.unshift(...[...groups.values()].map((group) => ({ window: next.window, owners: group })));
        progress.grow(groups.size - 1);
        continue;
      }
      // Windows are planned as long as Cloudflare allows; the rows they hold are only known once some came back.
      // Take the part that should fit one page at the densest rate seen so far in this run (or the dataset's
      // estimate before that), and leave the rest to be cut again with what this part shows.
      const limit = Math.min(...owners.map((w) => w.decision.limits!.maxPageSize));
      const rate = density.rowsPerUnit > 0 ? density.rowsPerUnit : dataset.rowsPerUnit;
      const [part, rest] = firstPart(next.window, dataset.unit, rate, limit);
      if (rest) {
        queue.unshift({ window: part, owners }, { window: rest, owners });
        progress.grow(1);
        continue;
      }
      const before = totals.documents;
      const retried = await fetchAndWrite(deps, dataset, { window: next.window, owners }, limit, density, totals);
      queue.unshift(...retried);
      progress.grow(retried.length);
      progress.step(totals.documents - before);
      if (config.gate.uri && !time?.stoppedBy) {
        const again = await askGate(config.gate);
        if (!again.allowed) {
          log.warn(
            `gate revoked after window ${iso(next.window.from)}: ${again.reason}; stopping, the next run continues${again.error?.fix ? `; fix: ${again.error.fix}` : ""}`,
          );
          return again.error ? "gate-error" : "stopped-by-gate";
        }
      }
    }
  } catch (error) {
    if (error instanceof CloudflareError && error.kind === "deadline" && time?.stoppedBy) return stop(deps, dataset, time.stoppedBy);
    throw error;
  } finally {
    progress.done();
  }
  return undefined;
}

function stop(deps: RunDeps, dataset: Dataset, reason: StopReason): RunOutcome {
  const why = deps.time?.signal.reason instanceof Error ? deps.time.signal.reason.message : reason;
  deps.log.warn(`${why}: no further window is taken (${dataset.name} and later datasets are left for the next run)`);
  return reason;
}

/**
 * The first part of `window` that should hold about 80 % of a page at `rowsPerUnit` (whole units), and the rest;
 * no rest when the whole window should fit in 90 % of a page. The margin absorbs minutes busier than those seen.
 */
function firstPart(window: Window, unit: number, rowsPerUnit: number, pageSize: number): [Window, Window?] {
  const units = (window.to - window.from) / unit;
  if (rowsPerUnit <= 0 || units * rowsPerUnit <= 0.9 * pageSize) return [window];
  const step = Math.max(1, Math.floor((0.8 * pageSize) / rowsPerUnit)) * unit;
  if (window.from + step >= window.to) return [window];
  return [
    { from: window.from, to: window.from + step },
    { from: window.from + step, to: window.to },
  ];
}

/** One request and the writing of its answer; returns the requests to make instead, first. */
async function fetchAndWrite(
  deps: RunDeps,
  dataset: Dataset,
  next: Pending,
  limit: number,
  density: { rowsPerUnit: number },
  totals: Totals,
): Promise<Pending[]> {
  const { cloudflare, log, config } = deps;
  const { window, owners } = next;
  const context = `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${owners.map((w) => w.decision.owner.name).join(", ")}`;
  for (const w of owners) w.report.queries++;
  // The answer's rows are spilled to files here while they stream in, and read back unit by unit.
  const spillDir = await mkdtemp(join(tmpdir(), "cloudflare-es-exporter-"));
  try {
    const fetched = await fetchTask(
      cloudflare,
      dataset,
      { window, owners: owners.map((w) => w.decision.owner), omit: owners[0]!.omit },
      {
        limit,
        confidenceLevel: config.cloudflare.confidenceLevel,
        spillDir,
      },
    ).catch((error: unknown) => {
      if (error instanceof CloudflareError && (error.kind === "auth" || error.kind === "deadline")) throw error;
      for (const w of owners) fail(w, log, `${context}: ${(error as Error).message}`);
      return undefined;
    });
    return fetched ? await writeAnswer(deps, dataset, next, fetched, limit, density, totals) : [];
  } finally {
    await rm(spillDir, { recursive: true, force: true });
  }
}

/** Writes what one request brought, owner by owner; returns the requests to make instead, first. */
async function writeAnswer(
  deps: RunDeps,
  dataset: Dataset,
  next: Pending,
  fetched: Fetched,
  limit: number,
  density: { rowsPerUnit: number },
  totals: Totals,
): Promise<Pending[]> {
  const { sink, log, config } = deps;
  const { window, owners } = next;
  const byId = new Map(owners.map((w) => [w.decision.owner.id, w]));
  const context = `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${owners.map((w) => w.decision.owner.name).join(", ")}`;

  const units = (window.to - window.from) / dataset.unit;
  for (const [id, why] of fetched.skipped) skip(byId.get(id)!, log, why);
  for (const [id, why] of fetched.failed) fail(byId.get(id)!, log, why);
  for (const [id, why] of fetched.shed) {
    const w = byId.get(id)!;
    log.warn(`${dataset.name} for ${w.decision.owner.scope} ${w.decision.owner.name}: ${why}`);
    w.report.error = w.report.error ? `${w.report.error}; ${why}` : why;
  }
  const retry = fetched.retry.map((task) => {
    const group = task.owners.map((o) => byId.get(o.id)!);
    for (const w of group) w.omit = task.omit;
    return { window: task.window, owners: group };
  });
  if (fetched.full.size > 0) log.warn(`${context}: a full page (${limit} rows) may be truncated; asking again for shorter windows`);
  for (const [id, rows] of fetched.full) {
    // At least this dense: later windows are cut to fit.
    density.rowsPerUnit = Math.max(density.rowsPerUnit, rows / units);
    const w = byId.get(id)!;
    w.report.rows = (w.report.rows ?? 0) + rows;
  }

  for (const [id, source] of fetched.rows) {
    const w = byId.get(id)!;
    const { owner } = w.decision;
    density.rowsPerUnit = Math.max(density.rowsPerUnit, source.count / units);
    w.report.rows = (w.report.rows ?? 0) + source.count;
    let flattened;
    try {
      flattened = await flattenWindow(dataset, () => source.rows(), owner, window, { topN: config.cloudflare.topN, omit: w.omit });
    } catch (error) {
      fail(w, log, `${context}: ${(error as Error).message}; nothing of this window was written`);
      continue;
    }
    let written;
    try {
      written = await sink.write({ dataset: dataset.name, ownerId: owner.id, scope: owner.scope, window, ...flattened });
    } catch (error) {
      fail(w, log, `${context}: ${(error as Error).message}; later windows of this ${owner.scope} are left for the next run`);
      continue;
    }
    if (written.failed > 0) {
      fail(
        w,
        log,
        `${written.failed} documents of ${context} were rejected (${written.reasons.join("; ")}); later windows of this ${owner.scope} are left for the next run`,
      );
      continue;
    }
    totals.bulkRetries += written.retried;
    w.report.windows++;
    w.report.documents += written.written;
    w.report.newest = Math.max(w.report.newest ?? 0, window.to - dataset.unit);
    totals.windows++;
    totals.documents += written.written;
  }
  return retry;
}

function describePlan(dataset: Dataset, w: Work): string {
  const { owner } = w.decision;
  const extra = w.report.error ? ` (${w.report.error})` : "";
  const p = w.report.planned;
  if (!p || p.windows === 0) return `${dataset.name} ${owner.name} (${owner.id}): on, up to date${extra}`;
  return (
    `${dataset.name} ${owner.name} (${owner.id}): on, ${p.units} ${unitName(dataset.unit)}s in ${p.windows} windows, ` +
    `${iso(p.from!)} .. ${iso(p.to!)}, ${p.queries} queries${extra}`
  );
}

function skip(w: Work, log: Logger, why: string): void {
  w.report.status = "skipped";
  w.report.error = why;
  log.warn(`skipping ${w.decision.owner.scope} ${w.decision.owner.name}: ${why}`);
}

function fail(w: Work, log: Logger, why: string): void {
  w.report.status = "failed";
  w.report.error = why;
  log.error(why);
}
