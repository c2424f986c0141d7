/** `run` and `backfill`: the same pipeline, one looking after missing minutes, the other rewriting a given range. */
import { resolve } from "node:path";
import { startSimulator } from "../../simulator/index.js";
import { zoneDatasets } from "../datasets/index.js";
import { EXIT, UsageError } from "../errors.js";
import { runExport, type RunResult } from "../run.js";
import { parseInstant } from "../time.js";
import { closeContext, createCloudflare, createContext, createSink, type Context, type Io } from "./context.js";

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
export const DEMO_OUTPUT = "cloudflare-es-exporter-demo";

export async function exportCommand(args: ExportArgs, io: Io): Promise<number> {
  const now = args.now === undefined ? Date.now() : instant("--now", args.now);
  const range = args.mode === "backfill" ? backfillRange(args) : undefined;
  let ctx = createContext(args.flags, io, { demo: args.demo });
  try {
    if (args.demo) ctx = await withDemoSimulator(ctx);
    const sink = createSink(ctx, args.demo ? resolve(DEMO_OUTPUT) : undefined);
    ctx.log.info(`${args.mode}${args.dryRun ? " (dry run)" : ""}: ${ctx.config.cloudflare.zones.length} zones -> ${sink.description}`);
    const result = await runExport(
      { config: ctx.config, sink, cloudflare: createCloudflare(ctx), datasets: zoneDatasets, log: ctx.log },
      { mode: args.mode, dryRun: args.dryRun, now, ...(range ? { range } : {}) },
    );
    report(ctx, result, args.dryRun);
    return result.outcome === "failed" ? EXIT.failed : EXIT.ok;
  } finally {
    await closeContext(ctx);
  }
}

async function withDemoSimulator(ctx: Context): Promise<Context> {
  // A demo zone keeps six hours, so the first run shows the whole pipeline in seconds.
  const simulator = await startSimulator({ settings: { httpRequests1mGroups: { notOlderThan: 6 * 3600 } } });
  ctx.cleanups.push(() => simulator.close());
  ctx.log.info(`demo: Cloudflare simulator at ${simulator.url}`);
  const cloudflare = { ...ctx.config.cloudflare, apiUrl: simulator.url, auth: { kind: "token" as const, token: "demo-token" } };
  return { ...ctx, config: { ...ctx.config, cloudflare } };
}

function report(ctx: Context, result: RunResult, dryRun: boolean): void {
  const { log, io, config } = ctx;
  if (result.plan) {
    const share = ((100 * result.plan.queries) / config.cloudflare.queryBudget).toFixed(1);
    io.stdout.write(
      [
        "Plan (dry run: nothing was written):",
        ...result.plan.lines.map((l) => `  ${l}`),
        `  Cloudflare: ${result.plan.requests} requests costing ${result.plan.queries} queries ` +
          `(${share} % of the budget of ${config.cloudflare.queryBudget} per 5 minutes; reading the zones' settings cost ${result.queries} more)`,
        "",
      ].join("\n"),
    );
  }
  for (const z of result.zones) {
    const line = `${z.dataset} ${z.zone.name}: ${z.status}, ${z.windows} windows, ${z.documents} documents` +
      (z.newest !== undefined ? `, newest minute ${new Date(z.newest).toISOString()}` : "") + (z.error ? ` (${z.error})` : "");
    if (z.status === "failed") log.error(line);
    else if (!dryRun) log.info(line);
  }
  const count = (s: string): number => result.zones.filter((z) => z.status === s).length;
  log.info(
    `${result.outcome}: ${result.zones.length} zone datasets (${count("ok")} ok, ${count("skipped")} skipped, ${count("failed")} failed), ` +
      `${result.windows} windows, ${result.requests} Cloudflare requests / ${result.queries} queries, ${result.documents} documents written` +
      (result.bulkRetries > 0 ? ` (${result.bulkRetries} re-sent after Elasticsearch answered 429)` : "") +
      ", " +
      `${(result.durationMs / 1000).toFixed(1)}s`,
    {
      summary: {
        outcome: result.outcome,
        windows: result.windows,
        requests: result.requests,
        queries: result.queries,
        documents: result.documents,
        bulkRetries: result.bulkRetries,
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
