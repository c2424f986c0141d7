/**
 * One idempotent run: gate -> ensure the sink -> read each zone's and account's limits -> decide which datasets run
 * where -> plan every missing unit (run-plan.ts) -> make the requests in the planned order, writing each answer
 * (run-window.ts) -> summary. The only place that orders these steps and decides the outcome; it never exits the
 * process (the CLI does). One dataset failing never stops the others: each owner x dataset gets its own report. The
 * run stops taking requests at its deadline, on a stop signal, or (a CronJob's `run`) when its share of Cloudflare's
 * query budget is spent; the next run begins where it stopped.
 */
import type { Config } from "./config/types.js";
import { BUDGET_WINDOW_MS } from "./cloudflare/budget.js";
import { CLOUDFLARE_BUDGET, type CloudflareClient, type TimeLimit } from "./cloudflare/client.js";
import { CloudflareError } from "./cloudflare/errors.js";
import type { Dataset, Owner, Window } from "./datasets/dataset.js";
import type { StopReason } from "./deadline.js";
import { askGate, logGate, type GateDecision } from "./gate.js";
import type { Logger } from "./log.js";
import type { Decision } from "./matrix.js";
import { catchUp, decideAll, planRun } from "./run-plan.js";
import { fail, type Pending, type Totals } from "./run-window.js";
import { work } from "./run-work.js";
import type { Sink } from "./sinks/sink.js";
import type { SnapshotDataset } from "./datasets/index.js";
import { takeSnapshots } from "./snapshots.js";
import type { RestClient } from "./cloudflare/rest.js";

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
  /**
   * Rows per unit of the densest window Cloudflare answered for this owner in this run: later runs size this owner's
   * windows from it (see `plannedDensity`).
   */
  density?: number;
  /** Newest stored unit start after the run (epoch ms). */
  newest?: number;
  /** Why it is off, skipped or failed; or what it ran without. */
  error?: string;
  /** Planned work (dry run and `check`): units to fetch, windows, queries. */
  planned?: { units: number; windows: number; queries: number; from?: number; to?: number };
}

export type RunOutcome = "completed" | "failed" | "not-active" | "stopped-by-gate" | "gate-error" | StopReason;

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
  /** Requests left for the next run because this run's share of the query budget was spent. */
  readonly deferred?: number;
  /** Set when the run failed as a whole (the process then exits 1 with this message). */
  readonly error?: string;
}

interface PlanReport {
  readonly lines: string[];
  /** How many runs the catch-up takes at the budget (run-plan.ts `catchUp`). */
  readonly catchUp: string;
  readonly requests: number;
  readonly queries: number;
}

export interface RunDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly cloudflare: CloudflareClient;
  /** The datasets this run considers (already narrowed by configuration). */
  readonly datasets: readonly Dataset[];
  /** The snapshot datasets (tunnels) this run takes at its minute; `run` only, never `backfill` or a dry run. */
  readonly snapshots?: readonly SnapshotDataset[];
  /** The run's REST client (shared with discovery); the snapshots make their own without it. */
  readonly rest?: RestClient;
  readonly log: Logger;
  /** The run's deadline and stop signal; none: the run goes on until its work is done. */
  readonly time?: TimeLimit & { readonly stoppedBy: StopReason | undefined };
}

export async function runExport(deps: RunDeps, request: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const { config, sink, cloudflare, log } = deps;
  const gate = await askGate(config.gate);
  logGate(log, gate);
  const empty = { gate, reports: [] as DatasetReport[], windows: 0, documents: 0, requests: 0, queries: 0, bulkRetries: 0, deferred: 0, startedAt: started };
  if (!gate.allowed) return { ...empty, outcome: gate.error ? "gate-error" : "not-active", durationMs: Date.now() - started };
  const snapshots = deps.snapshots ?? [];
  if (!request.dryRun) for (const note of await sink.ensure([...deps.datasets, ...snapshots])) log.info(note);
  // Before the GraphQL work: a snapshot belongs to the run's minute, and a run that spends its deadline on a catch-up
  // must still take it. One REST listing per account, outside the GraphQL query budget.
  if (request.mode === "run" && !request.dryRun) {
    empty.reports.push(...(await takeSnapshots({ config, sink, log, snapshots, time: deps.time, ...(deps.rest ? { rest: deps.rest } : {}) }, request.now)));
    empty.documents = empty.reports.reduce((n, r) => n + r.documents, 0);
  } else if (request.mode === "backfill" && snapshots.length > 0) {
    log.info(`${snapshots.map((s) => s.name).join(", ")}: a snapshot of the present (Cloudflare keeps no past status), taken by run, never by backfill`);
  }
  let decisions: Decision[];
  try {
    log.info(await knowBudget(deps, request));
    decisions = await decideAll(deps);
  } catch (error) {
    // Stopped while reading the budget or the owners' settings: nothing was fetched, the next run starts over.
    if (error instanceof CloudflareError && error.kind === "deadline" && deps.time?.stoppedBy) {
      log.warn(`${error.message}: no window was taken`);
      return { ...empty, outcome: deps.time.stoppedBy, durationMs: Date.now() - started };
    }
    // Earlier runs (or other tools on the token) spent the share: this run leaves everything to the next.
    if (error instanceof CloudflareError && error.kind === "share") {
      log.warn(`${error.message}: this run takes no window; the next run goes on`);
      return { ...empty, outcome: "completed", durationMs: Date.now() - started };
    }
    throw error;
  }
  for (const d of decisions) {
    if (!d.on && !d.quiet) log.warn(`skipping ${d.dataset.name} for ${d.owner.scope} ${d.owner.name} (${d.owner.id}): ${d.reason}`);
    else if (d.on && d.reason) log.warn(`${d.dataset.name} for ${d.owner.scope} ${d.owner.name}: ${d.reason}`);
  }
  if ([...deps.datasets, ...snapshots].some((d) => d.scope === "account") && config.cloudflare.accounts.length === 0 && config.datasets !== undefined) {
    log.warn("account-scoped datasets were asked for, but no accounts are configured (CF_ACCOUNTS)");
  }

  // Plan everything first: a backfill that can fetch nothing is refused before any work, and the cost is known.
  const plan = await planRun(deps, request, decisions);
  const queries = plan.requests.reduce((n, r) => n + r.items.length, 0);
  if (request.dryRun) {
    const accounts = config.cloudflare.accounts.length;
    const snapshotLines =
      request.mode === "run" && snapshots.length > 0 && accounts > 0
        ? [
            `${snapshots.map((s) => s.name).join(", ")}: a snapshot of ${accounts} accounts at the run's minute (REST: a request per account and 50 tunnels, not in the query budget)`,
          ]
        : [];
    const dry = {
      lines: [...plan.lines, ...snapshotLines],
      requests: plan.requests.length,
      queries,
      catchUp: catchUp(plan.requests, cloudflare.budget),
    };
    return {
      ...empty,
      outcome: "completed",
      reports: plan.reports,
      plan: dry,
      queries: cloudflare.budget.total,
      requests: cloudflare.requests(),
      durationMs: Date.now() - started,
    };
  }

  const totals: Totals = { windows: 0, documents: 0, bulkRetries: 0 };
  const datasets = new Map(deps.datasets.map((d) => [d.name, d]));
  const queue: Pending[] = plan.requests.map((r) => ({ dataset: datasets.get(r.items[0]!.decision.dataset.name)!, window: r.window, owners: r.items }));
  let outcome: RunOutcome | undefined;
  let fatal: string | undefined;
  let deferred = 0;
  try {
    const stop = await work(deps, request, queue, new Map(plan.density), totals);
    outcome = stop?.outcome;
    deferred = stop?.deferred ?? 0;
  } catch (error) {
    // The credentials were refused: every further request would be too.
    if (!(error instanceof CloudflareError) || error.kind !== "auth") throw error;
    fatal = error.message;
    for (const r of queue) for (const w of r.owners) if (w.report.status === "ok") fail(w, log, `not fetched: ${error.message}`);
    outcome = "failed";
  }
  const reports = [...empty.reports, ...plan.reports];
  const failed = reports.some((r) => r.status === "failed");
  return {
    outcome: outcome ?? (failed ? "failed" : "completed"),
    gate,
    reports,
    windows: totals.windows,
    requests: cloudflare.requests(),
    queries: cloudflare.budget.total,
    documents: empty.documents + totals.documents,
    bulkRetries: totals.bulkRetries,
    deferred,
    startedAt: started,
    durationMs: Date.now() - started,
    ...(fatal ? { error: fatal } : {}),
  };
}

/**
 * Books what others spent of Cloudflare's per-user budget in the last five minutes, so that this run only spends what
 * is really left of its share: Cloudflare's own answer where it gives one (`viewer { budget }`), otherwise what the
 * earlier runs recorded. Returns a line for the log.
 */
export async function knowBudget(deps: Pick<RunDeps, "cloudflare" | "sink" | "config">, request: Pick<RunRequest, "now">): Promise<string> {
  const { cloudflare, sink, config } = deps;
  const share = config.cloudflare.queryBudget;
  const left = await cloudflare.budgetLeft();
  if (left !== undefined) {
    cloudflare.budget.spentElsewhere(CLOUDFLARE_BUDGET - left, Date.now());
    return `query budget: Cloudflare says ${left} of its ${CLOUDFLARE_BUDGET} queries per 5 minutes are left; this run may spend ${cloudflare.budget.available()} of its share of ${share}`;
  }
  // Records follow the run's clock (--now replays); the pacer counts in real time.
  const offset = request.now - Date.now();
  const perOwner = cloudflare.budget.perOwner;
  const recent = await sink.recentQueries(request.now - BUDGET_WINDOW_MS, perOwner).catch(() => []);
  for (const r of recent) cloudflare.budget.spentElsewhere(r.queries, Math.min(Date.now(), r.at - offset), r.owner);
  const spent = recent.reduce((n, r) => n + r.queries, 0);
  if (perOwner) {
    const most = recent.reduce((max, r) => Math.max(max, r.queries), 0);
    return `query budget (account-based): earlier runs spent ${spent} queries on ${recent.length} zones and accounts in the last 5 minutes (${most} at most on one; their records); each may spend its share of ${share}`;
  }
  return `query budget: earlier runs spent ${spent} queries in the last 5 minutes (their records; Cloudflare does not say); this run may spend ${cloudflare.budget.available()} of its share of ${share}`;
}
