/**
 * One idempotent run: gate -> ensure the sink -> read each zone's and account's limits -> decide which datasets run
 * where -> find missing units -> fetch, flatten, write window by window -> summary. The only place that orders these
 * steps and decides the outcome; it never exits the process (the CLI does). One dataset failing never stops the
 * others: each owner x dataset gets its own report.
 */
import type { Config } from "./config/types.js";
import { CloudflareError } from "./cloudflare/errors.js";
import type { CloudflareClient } from "./cloudflare/client.js";
import { readLimits, type OwnerLimits } from "./cloudflare/settings.js";
import type { Dataset, Owner, Scope, Window } from "./datasets/dataset.js";
import { MAX_ZONES_PER_QUERY, ownerObjects, queryVariables } from "./datasets/query.js";
import { askGate, logGate, type GateDecision } from "./gate.js";
import type { Logger } from "./log.js";
import { decide, type Decision } from "./matrix.js";
import { batchByWindow, maxWindowMinutes, minutesToFetch, retentionRange, splitWindows, type Batch } from "./plan.js";
import type { Sink } from "./sinks/sink.js";
import { iso, MINUTE, unitName } from "./time.js";
import { Progress } from "./progress.js";

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

export interface RunResult {
  readonly outcome: "completed" | "failed" | "not-active" | "stopped-by-gate" | "gate-error";
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
  /** Set when the run failed as a whole before its datasets (the process then exits 1 with this message). */
  readonly error?: string;
}

export interface PlanReport {
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
}

interface Work {
  readonly decision: Decision;
  readonly report: DatasetReport;
  readonly windows: Window[];
}

export async function runExport(deps: RunDeps, request: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const { config, sink, cloudflare, log } = deps;
  const gate = await askGate(config.gate);
  logGate(log, gate);
  const empty = { gate, reports: [], windows: 0, documents: 0, requests: 0, queries: 0, bulkRetries: 0, startedAt: started };
  if (!gate.allowed) return { ...empty, outcome: gate.error ? "gate-error" : "not-active", durationMs: Date.now() - started };
  if (!request.dryRun) for (const note of await sink.ensure(deps.datasets)) log.info(note);

  const decisions = await decideAll(deps);
  for (const d of decisions) {
    if (!d.on && !d.quiet) log.warn(`skipping ${d.dataset.name} for ${d.owner.scope} ${d.owner.name} (${d.owner.id}): ${d.reason}`);
    else if (d.on && d.reason) log.warn(`${d.dataset.name} for ${d.owner.scope} ${d.owner.name}: ${d.reason}`);
  }
  if (deps.datasets.some((d) => d.scope === "account") && config.cloudflare.accounts.length === 0 && config.datasets !== undefined) {
    log.warn("account-scoped datasets were asked for, but no accounts are configured (CF_ACCOUNTS)");
  }
  const reports: DatasetReport[] = [];
  const totals = { windows: 0, documents: 0, bulkRetries: 0, requests: 0, queries: 0 };
  let stopped: "stopped-by-gate" | "gate-error" | undefined;
  const planLines: string[] = [];

  for (const dataset of deps.datasets) {
    const mine = decisions.filter((d) => d.dataset === dataset);
    let work: Work[] = [];
    try {
      work = await planDataset(deps, request, mine, reports);
    } catch (error) {
      // Planning failed (e.g. the coverage search): this dataset is failed, the others go on.
      for (const d of mine) if (d.on) reports.push(failedReport(d, `planning failed: ${(error as Error).message}`));
      log.error(`${dataset.name}: planning failed: ${(error as Error).message}; the other datasets go on`);
      continue;
    }
    const batches = batchesOf(dataset, work);
    const cost = batches.reduce((n, b) => n + b.zones.length, 0);
    totals.requests += batches.length;
    totals.queries += cost;
    for (const w of work) {
      const units = w.windows.reduce((n, x) => n + (x.to - x.from) / dataset.unit, 0);
      const queries = batches.reduce((n, b) => n + (b.zones.includes(w) ? 1 : 0), 0);
      w.report.planned = { units, windows: w.windows.length, queries, ...(w.windows.length > 0 ? { from: w.windows[0]!.from, to: w.windows.at(-1)!.to } : {}) };
      planLines.push(describePlan(dataset, w));
    }
    for (const d of mine) if (!d.on) planLines.push(`${dataset.name} ${d.owner.name}: off (${d.reason})`);
    if (request.dryRun || stopped) continue;

    const progress = new Progress(log, dataset.name, batches.length);
    const queue: Batch<Work>[] = [...batches];
    const density = { rowsPerUnit: 0 };
    while (queue.length > 0) {
      const batch = queue.shift()!;
      // An owner that failed or lost access earlier in this run gets no later window: the next run heals it.
      const owners = batch.zones.filter((w) => w.report.status === "ok");
      if (owners.length === 0) continue;
      // Windows are planned as long as Cloudflare allows; the rows they hold are only known once some came back.
      // Take the part that should fit one page at the densest rate seen so far in this run (or the dataset's
      // estimate before that), and leave the rest to be cut again with what this part shows.
      const rate = density.rowsPerUnit > 0 ? density.rowsPerUnit : dataset.rowsPerUnit;
      const [part, rest] = firstPart(batch.window, dataset.unit, rate, Math.min(...owners.map((w) => w.decision.limits!.maxPageSize)));
      if (rest) {
        queue.unshift({ window: part, zones: owners }, { window: rest, zones: owners });
        progress.grow(1);
        continue;
      }
      let outcome: BatchOutcome;
      try {
        outcome = await fetchAndWrite(deps, dataset, { window: batch.window, zones: owners }, density);
      } catch (error) {
        for (const w of owners) fail(w, log, `${dataset.name}: ${(error as Error).message}`);
        continue;
      }
      queue.unshift(...outcome.retry);
      if (outcome.retry.length > 0) progress.grow(outcome.retry.length);
      totals.windows += outcome.windows;
      totals.documents += outcome.documents;
      totals.bulkRetries += outcome.retried;
      progress.step(outcome.documents);
      if (config.gate.uri) {
        const again = await askGate(config.gate);
        if (!again.allowed) {
          log.warn(`gate revoked after window ${iso(batch.window.from)}: ${again.reason}; stopping, the next run continues${again.error?.fix ? `; fix: ${again.error.fix}` : ""}`);
          stopped = again.error ? "gate-error" : "stopped-by-gate";
          break;
        }
      }
    }
    progress.done();
  }

  const plan = request.dryRun ? { lines: planLines, requests: totals.requests, queries: totals.queries } : undefined;
  const failed = reports.some((r) => r.status === "failed");
  return {
    outcome: stopped ?? (failed ? "failed" : "completed"),
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
  };
}

/** Reads the settings of every owner once per scope and decides every owner x dataset. */
export async function decideAll(deps: Pick<RunDeps, "config" | "cloudflare" | "datasets">): Promise<Decision[]> {
  const { config, cloudflare, datasets } = deps;
  const decisions: Decision[] = [];
  for (const scope of ["zone", "account"] as const) {
    const mine = datasets.filter((d) => d.scope === scope);
    const owners = ownersOf(config, scope);
    if (mine.length === 0 || owners.length === 0) continue;
    // Stand-ins need the settings of the node they stand in for, even when that dataset itself is not selected.
    const nodes = [...new Set(mine.flatMap((d) => (d.standInFor ? [d.node, d.standInFor] : [d.node])))];
    const limits: OwnerLimits = await readLimits(cloudflare, scope, owners, nodes);
    for (const dataset of mine) {
      for (const owner of owners) {
        decisions.push(decide(dataset, owner, limits.get(owner.id), config.datasets?.includes(dataset.name as never) ?? false));
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
          `${dataset.name} ${owner.name}: backfill range cut to [${iso(from)}, ${iso(Math.max(from, to))}): whole ${unitName(unit)}s only, Cloudflare keeps ${dataset.node} for ${limits.notOlderThanSeconds / 86400} days and the last ${config.window.settleMinutes} minutes are not settled`,
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
    work.push({ decision, report, windows });
  }
  return work;
}

/** Requests for one dataset: same window and same query text (same refused fields) together, up to 10 zones or 1 account. */
function batchesOf(dataset: Dataset, work: readonly Work[]): Batch<Work>[] {
  const byQuery = new Map<string, Work[]>();
  for (const w of work) {
    const key = [...w.decision.omit].sort().join(",");
    byQuery.set(key, [...(byQuery.get(key) ?? []), w]);
  }
  const perRequest = dataset.scope === "zone" ? MAX_ZONES_PER_QUERY : 1;
  const batches = [...byQuery.values()].flatMap((group) =>
    batchByWindow(group.map((w) => ({ zone: w, windows: w.windows })), perRequest, dataset.unit, dataset.rowsPerUnit),
  );
  return batches.sort((a, b) => a.window.from - b.window.from || a.window.to - b.window.to);
}


function describePlan(dataset: Dataset, w: Work): string {
  const { owner } = w.decision;
  const extra = w.report.error ? ` (${w.report.error})` : "";
  const p = w.report.planned;
  if (!p || p.windows === 0) return `${dataset.name} ${owner.name} (${owner.id}): on, up to date${extra}`;
  return `${dataset.name} ${owner.name} (${owner.id}): on, ${p.units} ${unitName(dataset.unit)}s in ${p.windows} windows, ` +
    `${iso(p.from!)} .. ${iso(p.to!)}, ${p.queries} queries${extra}`;
}

interface BatchOutcome {
  windows: number;
  documents: number;
  /** Documents Elasticsearch pushed back with 429 and the bulk helper sent again. */
  retried: number;
  /** Work to do again first: an owner dropped for lack of access, or a window cut in half because the page was full. */
  retry: Batch<Work>[];
}

/**
 * The first part of `window` that should hold about 80 % of a page at `rowsPerUnit` (whole units), and the rest;
 * no rest when the whole window should fit in 90 % of a page. The margin absorbs minutes busier than those seen.
 */
export function firstPart(window: Window, unit: number, rowsPerUnit: number, pageSize: number): [Window, Window?] {
  const units = (window.to - window.from) / unit;
  if (rowsPerUnit <= 0 || units * rowsPerUnit <= 0.9 * pageSize) return [window];
  const step = Math.max(1, Math.floor((0.8 * pageSize) / rowsPerUnit)) * unit;
  if (window.from + step >= window.to) return [window];
  return [{ from: window.from, to: window.from + step }, { from: window.from + step, to: window.to }];
}

async function fetchAndWrite(deps: RunDeps, dataset: Dataset, batch: Batch<Work>, density: { rowsPerUnit: number }): Promise<BatchOutcome> {
  const { sink, cloudflare, log, config } = deps;
  const { window, zones: owners } = batch;
  const context = `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${owners.map((w) => w.decision.owner.name).join(", ")}`;
  // Windows are sized to hold fewer rows than the page, so a full page can only mean a cut answer.
  const limit = Math.min(...owners.map((w) => w.decision.limits!.maxPageSize));
  for (const w of owners) w.report.queries++;
  let viewer: Record<string, unknown>;
  try {
    viewer = await cloudflare.viewer({
      context,
      query: dataset.query(owners[0]!.decision.omit, { confidenceLevel: config.cloudflare.confidenceLevel }),
      variables: queryVariables(dataset.scope, owners.map((w) => w.decision.owner), window, dataset.timeType, limit),
      cost: owners.length,
    });
  } catch (error) {
    if (!(error instanceof CloudflareError)) throw error;
    const denied = owners.filter((w) => error.zoneIds.includes(w.decision.owner.id));
    if (error.kind === "access" && denied.length > 0 && denied.length < owners.length) {
      for (const w of denied) skip(w, log, `no access to ${dataset.node}: ${error.message}`);
      return { windows: 0, documents: 0, retried: 0, retry: [{ window, zones: owners.filter((w) => !denied.includes(w)) }] };
    }
    for (const w of owners) {
      if (error.kind === "access") skip(w, log, error.message);
      else fail(w, log, error.message);
    }
    return { windows: 0, documents: 0, retried: 0, retry: [] };
  }

  const outcome: BatchOutcome = { windows: 0, documents: 0, retried: 0, retry: [] };
  const answered = ownerObjects(dataset.scope, viewer);
  const full: Work[] = [];
  for (const w of owners) {
    const { owner } = w.decision;
    const ownerObject = answered.get(owner.id);
    if (ownerObject === undefined) {
      fail(w, log, `${context}: Cloudflare's answer has no entry for ${owner.scope} ${owner.id}; nothing written for it`);
      continue;
    }
    let flattened;
    try {
      const rows = dataset.rowsOf(ownerObject);
      if (rows.length >= limit) {
        // At least this dense: the halves are fetched next, later windows are cut to fit.
        density.rowsPerUnit = Math.max(density.rowsPerUnit, rows.length / ((window.to - window.from) / dataset.unit));
      w.report.rows = (w.report.rows ?? 0) + rows.length;
        full.push(w);
        continue;
      }
      density.rowsPerUnit = Math.max(density.rowsPerUnit, rows.length / ((window.to - window.from) / dataset.unit));
      w.report.rows = (w.report.rows ?? 0) + rows.length;
      flattened = dataset.flatten(rows, owner, window, { topN: config.cloudflare.topN });
    } catch (error) {
      fail(w, log, `${context}: ${(error as Error).message}`);
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
      fail(w, log, `${written.failed} documents of ${context} were rejected (${written.reasons.join("; ")}); later windows of this ${owner.scope} are left for the next run`);
      continue;
    }
    outcome.retried += written.retried;
    w.report.windows++;
    w.report.documents += written.written;
    w.report.newest = Math.max(w.report.newest ?? 0, window.to - dataset.unit);
    outcome.windows++;
    outcome.documents += written.written;
  }
  if (full.length > 0) {
    // As many rows as the limit means the answer may have been cut: never trust it, ask for halves.
    const units = (window.to - window.from) / dataset.unit;
    const middle = window.from + Math.max(1, Math.floor(units / 2)) * dataset.unit;
    log.warn(`${context}: a full page (${limit} rows) may be truncated; splitting the window`);
    if (middle < window.to) outcome.retry.push({ window: { from: window.from, to: middle }, zones: full }, { window: { from: middle, to: window.to }, zones: full });
    else for (const w of full) fail(w, log, `${context}: one ${unitName(dataset.unit)} fills a whole page; cannot split further`);
  }
  return outcome;
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
