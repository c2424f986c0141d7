/**
 * The run's requests, made in the planned order (stalest owners' newest units first), each answer written before the
 * next request of its lane. With account-based rate limiting every request names one zone and charges only that zone's
 * budget, so a fleet of hundreds of zones is many small requests: several lanes make them side by side. With one
 * budget for the token, requests carry ten zones each and the budget, not the wire, is the limit: one lane.
 */
import { CloudflareError } from "./cloudflare/errors.js";
import type { Window } from "./datasets/dataset.js";
import type { StopReason } from "./deadline.js";
import { askGate } from "./gate.js";
import { densityKey } from "./plan.js";
import { Progress } from "./progress.js";
import type { RunDeps, RunOutcome, RunRequest } from "./run.js";
import type { Work } from "./run-plan.js";
import { fetchAndWrite, type Pending, type Totals } from "./run-window.js";
import { iso } from "./time.js";

/** Requests in flight at once with account-based rate limiting. */
const ACCOUNT_BASED_LANES = 4;

/** Why the run stopped taking requests before its work was done, and how many it left for the next run. */
export interface Stop {
  readonly outcome?: RunOutcome;
  readonly deferred?: number;
}

const omitKey = (w: Work): string => [...w.omit].sort().join(",");

/**
 * Makes the queued requests. Returns only when the run must stop before its work is done: the deadline, a stop
 * signal, the gate, or (`run`) its share of the query budget spent, with the number of requests left.
 */
export async function work(deps: RunDeps, request: RunRequest, queue: Pending[], density: Map<string, number>, totals: Totals): Promise<Stop | undefined> {
  const { config, log, time, cloudflare } = deps;
  const progress = new Progress(log, "requests", queue.length);
  /** Account-based rate limiting: owners whose own share is spent, and how many of their requests wait. */
  const waiting = new Set<string>();
  let skipped = 0;
  let stop: Stop | undefined;
  let failure: { error: unknown } | undefined;

  /** Leaves a request for the next run: its owners' own shares are spent. */
  function defer(owners: readonly Work[]): undefined {
    for (const w of owners) waiting.add(`${w.decision.owner.scope} ${w.decision.owner.name}`);
    skipped++;
    return undefined;
  }

  /** One request off the queue: re-queued in parts, skipped, or made and written. Returns a reason to stop. */
  async function step(next: Pending): Promise<Stop | undefined> {
    // An owner that failed or lost access earlier in this run gets no later window: the next run heals it.
    const owners = next.owners.filter((w) => w.report.status === "ok");
    if (owners.length === 0) return undefined;
    // Owners whose fields changed during the run (a refusal) need a query of their own.
    const groups = new Map<string, Work[]>();
    for (const w of owners) groups.set(omitKey(w), [...(groups.get(omitKey(w)) ?? []), w]);
    if (groups.size > 1) {
      queue.unshift(...[...groups.values()].map((group) => ({ ...next, owners: group })));
      progress.grow(groups.size - 1);
      return undefined;
    }
    // Windows were sized for the rows expected; when a page showed more, what remains is cut to fit.
    const limit = Math.min(...owners.map((w) => w.decision.limits!.maxPageSize));
    const rowsPerUnit = Math.max(...owners.map((w) => density.get(densityKey(next.dataset.name, w.decision.owner.id)) ?? next.dataset.rowsPerUnit));
    const [part, rest] = firstPart(next.window, next.dataset.unit, rowsPerUnit, limit);
    if (rest) {
      queue.unshift({ ...next, window: part, owners }, { ...next, window: rest, owners });
      progress.grow(1);
      return undefined;
    }
    // Each zone and account has its own budget: one whose share is spent waits for the next run, the others go on.
    if (request.mode === "run" && cloudflare.budget.perOwner) {
      const spent = owners.filter((w) => cloudflare.budget.available(w.decision.owner.id) < 1);
      if (spent.length > 0) {
        progress.step(0);
        return defer(spent);
      }
    }
    // A CronJob's run does not wait for the budget to refill: what does not fit is the next run's first work.
    if (request.mode === "run" && !cloudflare.budget.perOwner && owners.length > cloudflare.budget.available()) {
      const fits = cloudflare.budget.available();
      if (fits > 0) {
        // The stalest owners of this request now, the others later (or in the next run).
        queue.unshift({ ...next, owners: owners.slice(0, fits) }, { ...next, owners: owners.slice(fits) });
        return undefined;
      }
      const left = queue.length + 1;
      log.warn(
        `this run's share of the query budget is spent (${config.cloudflare.queryBudget} per 5 minutes, CF_QUERY_BUDGET): ${left} requests are left for the next run, stalest first`,
      );
      return { deferred: left };
    }
    const before = totals.documents;
    let retried: Pending[];
    try {
      retried = await fetchAndWrite(deps, { ...next, owners }, limit, density, totals);
    } catch (error) {
      // Another lane took the last of this owner's share a moment ago: not sent, so not spent; the next run makes it.
      if (!(cloudflare.budget.perOwner && error instanceof CloudflareError && error.kind === "share")) throw error;
      for (const w of owners) w.report.queries--;
      return defer(owners);
    }
    queue.unshift(...retried);
    progress.grow(retried.length);
    progress.step(totals.documents - before);
    if (config.gate.uri && !time?.stoppedBy) {
      const again = await askGate(config.gate);
      if (!again.allowed) {
        log.warn(
          `gate revoked after window ${iso(next.window.from)}: ${again.reason}; stopping, the next run continues${again.error?.fix ? `; fix: ${again.error.fix}` : ""}`,
        );
        return { outcome: again.error ? "gate-error" : "stopped-by-gate" };
      }
    }
    return undefined;
  }

  /** Takes requests until the queue is empty or the run must stop; the first reason to stop ends every lane. */
  async function lane(): Promise<void> {
    while (!stop && !failure) {
      if (time?.stoppedBy) {
        stop = { outcome: stopped(deps, time.stoppedBy, queue.length) };
        return;
      }
      const next = queue.shift();
      if (next === undefined) return;
      try {
        stop ??= await step(next);
      } catch (error) {
        if (error instanceof CloudflareError && error.kind === "deadline" && time?.stoppedBy) stop ??= { outcome: stopped(deps, time.stoppedBy, queue.length) };
        else if (error instanceof CloudflareError && error.kind === "share") {
          log.warn(`${error.message}: ${queue.length + 1} requests are left for the next run, stalest first`);
          stop ??= { deferred: queue.length + 1 };
        } else failure ??= { error };
      }
    }
  }

  try {
    // Every lane finishes the request it holds before the run goes on: nothing is written after the run ends.
    await Promise.all(Array.from({ length: cloudflare.budget.perOwner ? ACCOUNT_BASED_LANES : 1 }, lane));
  } finally {
    progress.done();
  }
  if (failure) throw failure.error;
  if (stop) return stop;
  if (skipped === 0) return undefined;
  const names = [...waiting];
  log.warn(
    `${names.length} zones and accounts spent this run's share of their own query budget (${config.cloudflare.queryBudget} per 5 minutes each, CF_QUERY_BUDGET): ` +
      `${skipped} requests are left for the next run (${names.slice(0, 5).join(", ")}${names.length > 5 ? ", ..." : ""})`,
  );
  return { deferred: skipped };
}

function stopped(deps: RunDeps, reason: StopReason, left: number): RunOutcome {
  const why = deps.time?.signal.reason instanceof Error ? deps.time.signal.reason.message : reason;
  deps.log.warn(`${why}: no further window is taken (${left} requests are left for the next run)`);
  return reason;
}

/**
 * The first part of `window` that should hold about 80 % of a page at `rowsPerUnit` (whole units), and the rest;
 * no rest when the whole window should fit in 90 % of a page. The margin absorbs units busier than those seen.
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
