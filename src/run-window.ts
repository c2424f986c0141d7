/**
 * One request of a run and the writing of its answer: the answer's rows are spilled to files as they stream in,
 * each owner's window is flattened unit by unit from them and written (entries first, totals last, so a stored total
 * marks a complete unit). Returns the requests to make instead (fewer owners, shorter windows, fewer fields), which the
 * run makes first. Failures are reported per owner; only refused credentials and the deadline end the run's work.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endsTheRun } from "./cloudflare/errors.js";
import { fetchTask, type Fetched } from "./cloudflare/fetch.js";
import type { Dataset, Window } from "./datasets/dataset.js";
import { flattenWindow } from "./datasets/window.js";
import { densityKey } from "./plan.js";
import type { Logger } from "./log.js";
import type { RunDeps } from "./run.js";
import type { Work } from "./run-plan.js";
import { iso } from "./time.js";

/** A request waiting to be made. */
export interface Pending {
  readonly dataset: Dataset;
  readonly window: Window;
  readonly owners: readonly Work[];
}

export interface Totals {
  windows: number;
  documents: number;
  bulkRetries: number;
}

export async function fetchAndWrite(deps: RunDeps, next: Pending, limit: number, density: Map<string, number>, totals: Totals): Promise<Pending[]> {
  const { cloudflare, log, config } = deps;
  const { dataset, window, owners } = next;
  for (const w of owners) w.report.queries++;
  const spillDir = await mkdtemp(join(tmpdir(), "cloudflare-es-exporter-"));
  try {
    const fetched = await fetchTask(
      cloudflare,
      dataset,
      { window, owners: owners.map((w) => w.decision.owner), omit: owners[0]!.omit },
      { limit, confidenceLevel: config.cloudflare.confidenceLevel, spillDir },
    ).catch((error: unknown) => {
      if (endsTheRun(error)) throw error;
      for (const w of owners) fail(w, log, `${contextOf(next)}: ${(error as Error).message}`);
      return undefined;
    });
    return fetched ? await writeAnswer(deps, next, fetched, limit, density, totals) : [];
  } finally {
    await rm(spillDir, { recursive: true, force: true });
  }
}

const contextOf = ({ dataset, window, owners }: Pending): string =>
  `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${owners.map((w) => w.decision.owner.name).join(", ")}`;

/** Writes what one request brought, owner by owner. */
async function writeAnswer(deps: RunDeps, next: Pending, fetched: Fetched, limit: number, density: Map<string, number>, totals: Totals): Promise<Pending[]> {
  const { sink, log, config } = deps;
  const { dataset, window, owners } = next;
  const byId = new Map(owners.map((w) => [w.decision.owner.id, w]));
  const context = contextOf(next);
  const units = (window.to - window.from) / dataset.unit;
  /** What an owner's answer showed: its later windows in this run, and in the next runs (its record), fit that. */
  const seen = (w: Work, rows: number): void => {
    const key = densityKey(dataset.name, w.decision.owner.id);
    density.set(key, Math.max(density.get(key) ?? 0, rows / units));
    w.report.density = Math.max(w.report.density ?? 0, rows / units);
  };

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
    return { dataset, window: task.window, owners: group };
  });
  if (fetched.full.size > 0) log.warn(`${context}: a full page (${limit} rows) may be truncated; asking again for shorter windows`);
  for (const [id, rows] of fetched.full) {
    const w = byId.get(id)!;
    seen(w, rows);
    w.report.rows = (w.report.rows ?? 0) + rows;
  }

  for (const [id, source] of fetched.rows) {
    const w = byId.get(id)!;
    const { owner } = w.decision;
    seen(w, source.count);
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

function skip(w: Work, log: Logger, why: string): void {
  w.report.status = "skipped";
  w.report.error = why;
  log.warn(`skipping ${w.decision.owner.scope} ${w.decision.owner.name}: ${why}`);
}

export function fail(w: Work, log: Logger, why: string): void {
  w.report.status = "failed";
  w.report.error = why;
  log.error(why);
}
