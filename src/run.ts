/**
 * One idempotent run: gate -> ensure the sink -> read each zone's limits -> find missing minutes -> fetch, flatten,
 * write window by window -> summary. The only place that orders these steps and decides the outcome; it never exits
 * the process (the CLI does).
 */
import type { Config, Zone } from "./config/types.js";
import { CloudflareError } from "./cloudflare/errors.js";
import type { CloudflareClient } from "./cloudflare/client.js";
import { MAX_ZONES_PER_QUERY, readZoneLimits, type ZoneLimits } from "./cloudflare/settings.js";
import type { Window, ZoneDataset } from "./datasets/dataset.js";
import { askGate, type GateDecision } from "./gate.js";
import type { Logger } from "./log.js";
import { batchByWindow, maxWindowMinutes, minutesToFetch, retentionRange, splitWindows, type Batch, type DatasetLimits } from "./plan.js";
import type { Sink } from "./sinks/sink.js";
import { iso, MINUTE } from "./time.js";
import { Progress } from "./progress.js";

export interface RunRequest {
  /** `run` looks after missing minutes; `backfill` rewrites an explicit range. */
  readonly mode: "run" | "backfill";
  readonly range?: Window;
  readonly dryRun: boolean;
  readonly now: number;
}

export interface ZoneReport {
  zone: Zone;
  dataset: string;
  status: "ok" | "skipped" | "failed";
  windows: number;
  documents: number;
  newest?: number;
  error?: string;
}

export interface RunResult {
  readonly outcome: "completed" | "failed" | "not-active" | "stopped-by-gate";
  readonly gate: GateDecision;
  readonly zones: ZoneReport[];
  readonly windows: number;
  readonly requests: number;
  readonly queries: number;
  readonly documents: number;
  /** Documents re-sent after a 429 from Elasticsearch. */
  readonly bulkRetries: number;
  readonly durationMs: number;
  readonly plan?: PlanReport;
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
  readonly datasets: readonly ZoneDataset[];
  readonly log: Logger;
}

interface ZoneWork {
  readonly zone: Zone;
  readonly report: ZoneReport;
  readonly limits: DatasetLimits;
}

export async function runExport(deps: RunDeps, request: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const { config, sink, cloudflare, log } = deps;
  const gate = await askGate(config.gate);
  log.info(`gate: ${gate.reason}`, { allowed: gate.allowed });
  const base = { gate, windows: 0, documents: 0 };
  if (!gate.allowed) {
    return { ...base, outcome: "not-active", zones: [], requests: 0, queries: 0, bulkRetries: 0, durationMs: Date.now() - started };
  }
  if (!request.dryRun) for (const note of await sink.ensure(deps.datasets)) log.info(note);

  const limits = await readZoneLimits(cloudflare, config.cloudflare.zones, deps.datasets.map((d) => d.node));
  const reports: ZoneReport[] = [];
  let windows = 0;
  let documents = 0;
  let bulkRetries = 0;
  let stopped = false;
  const planLines: string[] = [];
  let planned = { requests: 0, queries: 0 };

  for (const dataset of deps.datasets) {
    const work = await planDataset(deps, request, dataset, limits, reports);
    const batches = batchByWindow(work.map((w) => ({ zone: w, windows: w.windows })), MAX_ZONES_PER_QUERY);
    planned = { requests: planned.requests + batches.length, queries: planned.queries + batches.reduce((n, b) => n + b.zones.length, 0) };
    for (const w of work) planLines.push(describeZonePlan(dataset.name, w.zone, w.windows));
    if (request.dryRun || stopped) continue;

    const progress = new Progress(log, `${dataset.name}`, batches.length);
    const queue: Batch<ZoneWork>[] = [...batches];
    while (queue.length > 0) {
      const batch = queue.shift()!;
      // A zone that failed or lost access earlier in this run gets no later window: the next run heals it.
      const zones = batch.zones.filter((z) => z.report.status === "ok");
      if (zones.length === 0) continue;
      const outcome = await fetchAndWrite(deps, dataset, { window: batch.window, zones });
      queue.unshift(...outcome.retry);
      windows += outcome.windows;
      documents += outcome.documents;
      bulkRetries += outcome.retried;
      progress.step(outcome.documents);
      if (config.gate.uri) {
        const again = await askGate(config.gate);
        if (!again.allowed) {
          log.warn(`gate revoked after window ${iso(batch.window.from)}: ${again.reason}; stopping, the next run continues`);
          stopped = true;
          break;
        }
      }
    }
    progress.done();
  }

  const plan = request.dryRun ? { lines: planLines, ...planned } : undefined;
  const failed = reports.some((r) => r.status === "failed");
  return {
    outcome: stopped ? "stopped-by-gate" : failed ? "failed" : "completed",
    gate,
    zones: reports,
    windows,
    requests: cloudflare.requests(),
    queries: cloudflare.budget.total,
    documents,
    bulkRetries,
    durationMs: Date.now() - started,
    ...(plan ? { plan } : {}),
  };
}

/** Per zone: the windows to fetch for one dataset, within what Cloudflare allows for that zone. */
async function planDataset(
  deps: RunDeps,
  request: RunRequest,
  dataset: ZoneDataset,
  limits: ZoneLimits,
  reports: ZoneReport[],
): Promise<(ZoneWork & { windows: Window[] })[]> {
  const { config, sink, log } = deps;
  const work: (ZoneWork & { windows: Window[] })[] = [];
  for (const zone of config.cloudflare.zones) {
    const report: ZoneReport = { zone, dataset: dataset.name, status: "ok", windows: 0, documents: 0 };
    reports.push(report);
    const zoneLimits: DatasetLimits | undefined = limits.get(zone.id)?.get(dataset.node);
    if (!zoneLimits?.enabled) {
      report.status = "skipped";
      report.error = zoneLimits ? `the zone's plan does not include ${dataset.node}` : "Cloudflare returned no settings for this zone (check the zone id and the token's zones)";
      log.warn(`skipping ${dataset.name} for zone ${zone.name} (${zone.id}): ${report.error}`);
      continue;
    }
    const allowed = retentionRange(request.now, config.window.settleMinutes, Number.POSITIVE_INFINITY, zoneLimits);
    let ranges: Window[];
    if (request.mode === "backfill" && request.range) {
      const from = Math.max(request.range.from, allowed.from);
      const to = Math.min(request.range.to, allowed.to);
      if (from > request.range.from || to < request.range.to) {
        log.warn(
          `zone ${zone.name}: backfill range cut to [${iso(from)}, ${iso(Math.max(from, to))}): Cloudflare keeps ${dataset.node} for ${zoneLimits.notOlderThanSeconds / 86400} days and the last ${config.window.settleMinutes} minutes are not settled`,
        );
      }
      ranges = from < to ? [{ from, to }] : [];
    } else {
      const range = retentionRange(request.now, config.window.settleMinutes, config.window.maxBackfillDays, zoneLimits);
      const coverage = await sink.coverage(dataset.name, zone.id, range);
      if (coverage.newest !== undefined) report.newest = coverage.newest;
      ranges = minutesToFetch(range, coverage.missing, coverage.newest, config.window.overlapMinutes);
    }
    const windows = splitWindows(ranges, maxWindowMinutes(zoneLimits));
    work.push({ zone, report, limits: zoneLimits, windows });
  }
  return work;
}

function describeZonePlan(dataset: string, zone: Zone, windows: readonly Window[]): string {
  const minutes = windows.reduce((n, w) => n + (w.to - w.from) / MINUTE, 0);
  if (windows.length === 0) return `${dataset} ${zone.name} (${zone.id}): up to date`;
  return `${dataset} ${zone.name} (${zone.id}): ${minutes} minutes in ${windows.length} windows, ${iso(windows[0]!.from)} .. ${iso(windows[windows.length - 1]!.to)}`;
}

interface BatchOutcome {
  windows: number;
  documents: number;
  /** Documents Elasticsearch pushed back with 429 and the bulk helper sent again. */
  retried: number;
  /** Work to do again first: a zone dropped for lack of access, or a window cut in half because the page was full. */
  retry: Batch<ZoneWork>[];
}

async function fetchAndWrite(deps: RunDeps, dataset: ZoneDataset, batch: Batch<ZoneWork>): Promise<BatchOutcome> {
  const { sink, cloudflare, log } = deps;
  const { window, zones } = batch;
  const context = `${dataset.name} [${iso(window.from)}, ${iso(window.to)}) for ${zones.map((z) => z.zone.name).join(", ")}`;
  // Windows are sized to hold fewer rows than the page, so a full page can only mean a cut answer.
  const limit = Math.min(...zones.map((z) => z.limits.maxPageSize));
  let viewer: Record<string, unknown>;
  try {
    viewer = await cloudflare.viewer({
      context,
      query: dataset.query,
      variables: { zoneTags: zones.map((z) => z.zone.id), from: iso(window.from), to: iso(window.to), limit },
      cost: zones.length,
    });
  } catch (error) {
    if (!(error instanceof CloudflareError)) throw error;
    const denied = zones.filter((z) => error.zoneIds.includes(z.zone.id));
    if (error.kind === "access" && denied.length > 0 && denied.length < zones.length) {
      for (const z of denied) skip(z, log, `no access to ${dataset.node}: ${error.message}`);
      return { windows: 0, documents: 0, retried: 0, retry: [{ window, zones: zones.filter((z) => !denied.includes(z)) }] };
    }
    for (const z of zones) {
      if (error.kind === "access") skip(z, log, error.message);
      else fail(z, log, error.message);
    }
    return { windows: 0, documents: 0, retried: 0, retry: [] };
  }

  const outcome: BatchOutcome = { windows: 0, documents: 0, retried: 0, retry: [] };
  const answered = new Map<string, unknown>();
  for (const zoneObject of Array.isArray(viewer.zones) ? viewer.zones : []) {
    const tag = (zoneObject as { zoneTag?: unknown } | null)?.zoneTag;
    if (typeof tag === "string") answered.set(tag, zoneObject);
  }
  const full: ZoneWork[] = [];
  for (const z of zones) {
    const zoneObject = answered.get(z.zone.id);
    if (zoneObject === undefined) {
      fail(z, log, `${context}: Cloudflare's answer has no entry for zone ${z.zone.id}; nothing written for it`);
      continue;
    }
    let flattened;
    try {
      const rows = dataset.rowsOf(zoneObject);
      if (rows.length >= limit) {
        full.push(z);
        continue;
      }
      flattened = dataset.flatten(rows, z.zone, window);
    } catch (error) {
      fail(z, log, `${context}: ${(error as Error).message}`);
      continue;
    }
    let written;
    try {
      written = await sink.write({ dataset: dataset.name, zoneId: z.zone.id, window, ...flattened });
    } catch (error) {
      fail(z, log, `${context}: ${(error as Error).message}; later windows of this zone are left for the next run`);
      continue;
    }
    if (written.failed > 0) {
      fail(z, log, `${written.failed} documents of ${context} were rejected (${written.reasons.join("; ")}); later windows of this zone are left for the next run`);
      continue;
    }
    outcome.retried += written.retried;
    z.report.windows++;
    z.report.documents += written.written;
    z.report.newest = Math.max(z.report.newest ?? 0, window.to - MINUTE);
    outcome.windows++;
    outcome.documents += written.written;
  }
  if (full.length > 0) {
    // As many rows as the limit means the answer may have been cut: never trust it, ask for halves.
    const middle = window.from + Math.max(1, Math.floor((window.to - window.from) / MINUTE / 2)) * MINUTE;
    log.warn(`${context}: a full page (${limit} rows) may be truncated; splitting the window`);
    if (middle < window.to) outcome.retry.push({ window: { from: window.from, to: middle }, zones: full }, { window: { from: middle, to: window.to }, zones: full });
    else for (const z of full) fail(z, log, `${context}: one minute fills a whole page; cannot split further`);
  }
  return outcome;
}

function skip(z: ZoneWork, log: Logger, why: string): void {
  z.report.status = "skipped";
  z.report.error = why;
  log.warn(`skipping zone ${z.zone.name}: ${why}`);
}

function fail(z: ZoneWork, log: Logger, why: string): void {
  z.report.status = "failed";
  z.report.error = why;
  log.error(why);
}
