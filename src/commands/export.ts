/** `run` and `backfill`: the same pipeline, one looking after missing minutes, the other rewriting a given range. */
import { resolve } from "node:path";
import type { SimTunnel } from "../../simulator/index.js";
import { demoZones } from "../config/index.js";
import { datasetsOf } from "../datasets/index.js";
import { selectDatasets, selectSnapshots } from "../matrix.js";
import { describeDiscovery, type Discovery } from "../cloudflare/discovery.js";
import { CloudflareError } from "../cloudflare/errors.js";
import { EXIT, ExporterError, UsageError } from "../errors.js";
import { RunClock, type StopReason } from "../deadline.js";
import { askGate } from "../gate.js";
import { runExport, type RunResult } from "../run.js";
import { runDocuments, type RunRecordInput } from "../runs/run-document.js";
import type { Sink } from "../sinks/sink.js";
import { parseInstant } from "../time.js";
import type { RestClient } from "../cloudflare/rest.js";
import { closeContext, createCloudflare, createContext, createRest, createSink, resolveOwners, type Context, type Io } from "./context.js";

export interface ExportArgs {
  readonly flags: Record<string, unknown>;
  readonly mode: "run" | "backfill";
  readonly dryRun: boolean;
  readonly demo: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly now?: string;
}

/** Where `--demo` writes when no Elasticsearch is configured. */
const DEMO_OUTPUT = "cloudflare-es-exporter-demo";

export async function exportCommand(args: ExportArgs, rawIo: Io): Promise<number> {
  const now = args.now === undefined ? Date.now() : instant("--now", args.now);
  const range = args.mode === "backfill" ? backfillRange(args) : undefined;
  // Everything below writes through ctx.io, the redacting streams made from rawIo.
  let ctx = createContext(args.flags, rawIo, { demo: args.demo });
  const clock = new RunClock(ctx.config.run.deadlineSeconds);
  // Kubernetes sends SIGTERM at the Job's deadline, a terminal SIGINT: stop taking windows, finish the one in
  // flight, and leave a record and a summary.
  const onSignal = (signal: NodeJS.Signals) => clock.stop("terminated", `stopped by ${signal}`);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    if (args.demo) ctx = await withDemoSimulator(ctx);
    const sink = createSink(ctx, args.demo ? resolve(DEMO_OUTPUT) : undefined, clock);
    const chosen = selectDatasets(datasetsOf(ctx.config), ctx.config.datasets);
    const snapshots = selectSnapshots(ctx.config.datasets);
    // Run records follow the run's clock: with --now (replays, tests) they are stamped as if it were then.
    const clockOffsetMs = now - Date.now();
    const record = (result: RunResult, exitCode: number) =>
      args.dryRun ? Promise.resolve() : recordRun(ctx, sink, { result, command: args.mode, exitCode, config: ctx.config, endedAt: Date.now(), clockOffsetMs });
    const started = Date.now();
    let result: RunResult;
    try {
      // One REST client for the run: discovery and the tunnel snapshots share its pacer (CF_REST_BUDGET).
      const rest = createRest(ctx, clock);
      const owners = await ownersOfRun(ctx, args.flags, clock, rest);
      ctx = owners.ctx;
      if (owners.discovery) ctx.log.info(describeDiscovery(owners.discovery));
      ctx.log.info(
        `${args.mode}${args.dryRun ? " (dry run)" : ""}: ${ctx.config.cloudflare.zones.length} zones, ${ctx.config.cloudflare.accounts.length} accounts, ${chosen.length + snapshots.length} datasets -> ${sink.description}`,
      );
      result = owners.stopped
        ? {
            ...failedBeforeWork(owners.stopped.message, started),
            outcome: owners.stopped.reason,
            gate: { allowed: true, reason: "not asked: stopped while listing zones and accounts" },
          }
        : await runExport(
            {
              config: ctx.config,
              sink,
              cloudflare: createCloudflare(ctx, clock, args.mode !== "run"),
              datasets: chosen,
              snapshots,
              log: ctx.log,
              time: clock,
              ...(rest ? { rest } : {}),
            },
            { mode: args.mode, dryRun: args.dryRun, now, ...(range ? { range } : {}) },
          );
    } catch (error) {
      // A run that could not even start its work (Cloudflare or Elasticsearch unreachable, zones that could not be
      // listed) is the failure the "runs failing" alert exists for: it gets a record too, when the sink can still take
      // one. A configuration error (exit 2) writes nothing.
      if (!(error instanceof ExporterError && error.service === "configuration")) await record(failedBeforeWork(error, started), EXIT.failed);
      throw error;
    }
    // A gate that gives no answer fails closed like False, but it is a failure (see gate.ts); so is a run stopped at
    // its deadline or by a signal before its work was done.
    const exitCode = ["failed", "gate-error", "deadline", "terminated"].includes(result.outcome) ? EXIT.failed : EXIT.ok;
    report(ctx, result, args.dryRun, exitCode);
    await record(result, exitCode);
    return exitCode;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    clock.dispose();
    await closeContext(ctx);
  }
}

/**
 * The run's zones and accounts (commands/context.ts `resolveOwners`), with what a run adds around discovery: a passive
 * environment calls Cloudflare not at all, so with a gate the gate is asked first (and again by the run, which records
 * its answer); a run stopped by its deadline or a signal while listing ends as stopped, like one stopped later.
 */
async function ownersOfRun(
  ctx: Context,
  flags: Record<string, unknown>,
  clock: RunClock,
  rest: RestClient | undefined,
): Promise<{ ctx: Context; discovery?: Discovery; stopped?: { reason: StopReason; message: string } }> {
  const discovering = ctx.config.cloudflare.zones.length === 0 && ctx.config.cloudflare.accounts.length === 0;
  if (discovering && ctx.config.gate.uri && !(await askGate(ctx.config.gate)).allowed) return { ctx };
  try {
    return await resolveOwners(ctx, flags, clock, rest);
  } catch (error) {
    if (!(error instanceof CloudflareError && error.kind === "deadline" && clock.stoppedBy)) throw error;
    ctx.log.warn(`${error.message}: no window was taken`);
    return { ctx, stopped: { reason: clock.stoppedBy, message: error.message } };
  }
}

function failedBeforeWork(error: unknown, startedAt: number): RunResult {
  return {
    outcome: "failed",
    gate: { allowed: true, reason: "asked before the failure, see the log" },
    reports: [],
    windows: 0,
    requests: 0,
    queries: 0,
    documents: 0,
    bulkRetries: 0,
    startedAt,
    durationMs: Date.now() - startedAt,
    error: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The run's own record. Losing it must not turn a good run into a failed one (and a passive environment may not
 * reach the cluster at all), so a failure here is a warning, not an exit code.
 */
async function recordRun(ctx: Context, sink: Sink, input: RunRecordInput): Promise<void> {
  try {
    await sink.record(runDocuments(input));
  } catch (error) {
    ctx.log.warn(`the run record could not be written: ${(error as Error).message}`);
  }
}

/** The demo account, so the account datasets show too. */
export const DEMO_ACCOUNT = { id: "demoacc0000000000000000000000001", name: "demo-account" };

/** The demo account's Cloudflare Tunnels: one steady, one that is degraded and down a few minutes an hour, one never run. */
export const DEMO_TUNNELS: Readonly<Record<string, readonly SimTunnel[]>> = {
  [DEMO_ACCOUNT.id]: [
    { id: "de000001-0000-4000-8000-000000000001", name: "web-origin", connections: 4, colos: ["FRA", "AMS"] },
    {
      id: "de000001-0000-4000-8000-000000000002",
      name: "office-lan",
      connections: 2,
      colos: ["LHR", "CDG"],
      schedule: [
        { status: "healthy", minutes: 47 },
        { status: "degraded", minutes: 5 },
        { status: "down", minutes: 8 },
      ],
    },
    { id: "de000001-0000-4000-8000-000000000003", name: "spare", schedule: [{ status: "inactive", minutes: 1 }] },
  ],
};

/**
 * The demo's own indices. Not `cloudflare-...`: the default prefix's patterns (dashboards' data sources, alert
 * queries, the documented role) must not see simulated figures either.
 */
export const DEMO_INDEX_PREFIX = "demo-cloudflare";

async function withDemoSimulator(ctx: Context): Promise<Context> {
  // Loaded only for the demo: the simulator and its schema are megabytes of heap a production run has no use for.
  const { ACCOUNT_DATASETS, startSimulator, ZONE_DATASETS } = await import("../../simulator/index.js");
  // Demo data keeps two hours of minutes, two days of hours and a month of days, so the first run shows every
  // dataset in seconds. The last demo zone is on the Free plan: the matrix and the stand-in are visible too.
  const HOUR_S = 3600;
  const settings = Object.fromEntries(
    [...ZONE_DATASETS, ...ACCOUNT_DATASETS].map((node) => [
      node,
      { notOlderThan: node === "httpRequests1dGroups" ? 30 * 24 * HOUR_S : node === "httpRequests1hGroups" ? 48 * HOUR_S : 2 * HOUR_S },
    ]),
  );
  const simulator = await startSimulator({ settings, plans: { [demoZones.at(-1)!.id]: "free" }, tunnels: DEMO_TUNNELS });
  ctx.cleanups.push(() => simulator.close());
  ctx.log.info(`demo: Cloudflare simulator at ${simulator.url}`);
  // Simulated figures must never land beside real ones (later real runs would trust those minutes as stored): the
  // demo has its own zones, account and index prefix, whatever CF_ZONES, CF_ACCOUNTS and ES_INDEX_PREFIX say.
  const cloudflare = {
    ...ctx.config.cloudflare,
    apiUrl: simulator.url,
    // The tunnel list is REST: it too must come from the simulator, never from a configured (real) Cloudflare.
    restUrl: simulator.restUrl,
    auth: { kind: "token" as const, token: "demo-token" },
    zones: demoZones,
    accounts: [DEMO_ACCOUNT],
  };
  const elasticsearch = { ...ctx.config.elasticsearch, indexPrefix: DEMO_INDEX_PREFIX };
  ctx.log.info(
    `demo: ${demoZones.length} simulated zones and account ${DEMO_ACCOUNT.name}, index prefix ${DEMO_INDEX_PREFIX}; ` +
      "CF_ZONES, CF_ACCOUNTS and ES_INDEX_PREFIX do not apply to the demo, so it never writes into the configured indices",
  );
  return { ...ctx, config: { ...ctx.config, cloudflare, elasticsearch } };
}

function report(ctx: Context, result: RunResult, dryRun: boolean, exitCode: number): void {
  const { log, io, config } = ctx;
  if (result.plan) {
    const { plan } = result;
    const share = ((100 * plan.queries) / config.cloudflare.queryBudget).toFixed(1);
    io.stdout.write(
      [
        "Plan (dry run: nothing was written):",
        ...plan.lines.map((l) => `  ${l}`),
        `  Cloudflare: ${plan.requests} requests costing ${plan.queries} queries ` +
          (config.cloudflare.rateLimit === "account-based"
            ? "(account-based: each charged to its zone's or account's own budget)"
            : `(${share} % of the budget of ${config.cloudflare.queryBudget} per 5 minutes)`),
        `  ${plan.catchUp}`,
        "",
      ].join("\n"),
    );
  }

  for (const r of result.reports) {
    if (r.status === "off") continue; // said once when deciding; the plan lists them
    const line =
      `${r.dataset} ${r.owner.name}: ${r.status}, ${r.windows} windows, ${r.documents} documents, ${r.queries} queries` +
      (r.newest !== undefined ? `, newest ${new Date(r.newest).toISOString()}` : "") +
      (r.error ? ` (${r.error})` : "");
    if (r.status === "failed") log.error(line);
    else if (!dryRun) log.info(line);
  }
  const count = (s: string): number => result.reports.filter((r) => r.status === s).length;
  const failedDatasets = [...new Set(result.reports.filter((r) => r.status === "failed").map((r) => r.dataset))];
  // A run that exits 1 says so at error level: that is the line log-based alerting looks for.
  log.log(
    exitCode === EXIT.ok ? "info" : "error",
    `${result.outcome}: ${result.reports.length} zone/account datasets (${count("ok")} ok, ${count("off")} off, ${count("skipped")} skipped, ${count("failed")} failed` +
      (failedDatasets.length > 0 ? `: ${failedDatasets.join(", ")}` : "") +
      "), " +
      `${result.windows} windows, ${result.requests} Cloudflare requests / ${result.queries} queries, ${result.documents} documents written` +
      (result.bulkRetries > 0 ? ` (${result.bulkRetries} re-sent after Elasticsearch answered 429)` : "") +
      ", " +
      `${(result.durationMs / 1000).toFixed(1)}s`,
    {
      summary: {
        outcome: result.outcome,
        datasets: Object.fromEntries(
          [...new Set(result.reports.map((r) => r.dataset))].map((name) => {
            const mine = result.reports.filter((r) => r.dataset === name);
            const status = mine.some((r) => r.status === "failed")
              ? "failed"
              : mine.some((r) => r.status === "ok")
                ? "ok"
                : mine.some((r) => r.status === "skipped")
                  ? "skipped"
                  : "off";
            const sum = (f: (r: (typeof mine)[number]) => number): number => mine.reduce((n, r) => n + f(r), 0);
            return [name, { status, documents: sum((r) => r.documents), queries: sum((r) => r.queries), rows: sum((r) => r.rows ?? 0) }];
          }),
        ),
        windows: result.windows,
        requests: result.requests,
        queries: result.queries,
        documents: result.documents,
        bulkRetries: result.bulkRetries,
        deferredRequests: result.deferred ?? 0,
        durationMs: result.durationMs,
        // Peak resident memory of this process: the run holds one window at a time, so this stays flat.
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      },
    },
  );
}

function backfillRange(args: ExportArgs): { from: number; to: number } {
  if (args.from === undefined || args.to === undefined) throw new UsageError("backfill needs --from and --to (ISO-8601, e.g. 2026-11-01T00:00Z)");
  const from = instant("--from", args.from);
  const to = instant("--to", args.to);
  if (from % 60_000 !== 0 || to % 60_000 !== 0) throw new UsageError("--from and --to must be whole minutes (e.g. 2026-11-01T00:00Z)");
  if (from >= to) throw new UsageError(`--from (${args.from}) must be before --to (${args.to})`);
  return { from, to };
}

function instant(flag: string, text: string): number {
  const ms = parseInstant(text);
  if (ms === undefined) throw new UsageError(`${flag} "${text}" is not an ISO-8601 time; write e.g. 2026-11-01T00:00Z`);
  return ms;
}
