/**
 * The command line: yargs wiring for every command, and the one mapping from outcomes to exit codes
 * (0 success or "not the active environment", 1 run failed, 2 bad configuration or usage).
 */
import yargs, { type Argv } from "yargs";
import { bootstrapCommand } from "./commands/bootstrap.js";
import { checkCommand } from "./commands/check.js";
import type { Io } from "./commands/context.js";
import { exportCommand } from "./commands/export.js";
import { simulateCommand } from "./commands/simulate.js";
import { verifyCommand } from "./commands/verify.js";
import { EXIT, UsageError } from "./errors.js";
import { reportFatal } from "./fatal.js";

const common = (y: Argv) =>
  y
    .option("config", { type: "string", describe: "YAML or JSON config file (env CONFIG_FILE)" })
    .option("cf-api-url", { type: "string", describe: "Cloudflare GraphQL endpoint (env CF_API_URL)" })
    .option("query-budget", { type: "number", describe: "Cloudflare queries per 5 minutes, at most 300 (env CF_QUERY_BUDGET; default 250)" })
    .option("es-url", { type: "string", describe: "Elasticsearch URL (env ES_URL)" })
    .option("index-prefix", { type: "string", describe: "index name prefix (env ES_INDEX_PREFIX; default cloudflare)" })
    .option("index-period", { type: "string", choices: ["day", "week", "month"], describe: "one index per (env ES_INDEX_PERIOD; default month)" })
    .option("retention-days", { type: "number", describe: "delete indices this long after their period (env ES_RETENTION_DAYS)" })
    .option("settle-minutes", { type: "number", describe: "leave the newest minutes until settled (env SETTLE_MINUTES; default 5)" })
    .option("overlap-minutes", { type: "number", describe: "re-read this many stored minutes each run (env OVERLAP_MINUTES; default 15)" })
    .option("max-backfill-days", { type: "number", describe: "how far back to heal holes (env MAX_BACKFILL_DAYS; default 7)" })
    .option("dataset", { type: "string", array: true, describe: "only these datasets (repeatable or comma list; env CF_DATASETS; default all the plan allows)" })
    .option("top-n", { type: "number", describe: "entries kept per minute in high-cardinality breakdowns (env CF_TOP_N; default 100)" })
    .option("gate-uri", { type: "string", describe: "'may I run' URI (env NO_CONCURRENCY_URI)" })
    .option("log-level", { type: "string", choices: ["error", "warn", "info", "debug"], describe: "(env LOG_LEVEL; default info)" })
    .option("log-format", { type: "string", choices: ["auto", "json", "text"], describe: "(env LOG_FORMAT; default auto: text on a terminal)" });

const writing = (y: Argv) =>
  y
    .option("dry-run", { type: "boolean", default: false, describe: "print the plan (zones, windows, queries, budget share); write nothing" })
    .option("output", { type: "string", describe: "write NDJSON _bulk files into this folder instead of Elasticsearch (env OUTPUT_DIR)" })
    .option("now", { type: "string", hidden: true, describe: "pretend the current time is this ISO instant (replays and tests)" });

/** Flags as the config loader wants them: only what the user gave, yargs' own keys removed. */
function flagsOf(argv: Record<string, unknown>): Record<string, unknown> {
  const drop = new Set(["_", "$0", "dry-run", "dryRun", "demo", "now", "from", "to", "port"]);
  return Object.fromEntries(Object.entries(argv).filter(([k, v]) => v !== undefined && !drop.has(k)));
}

export async function main(args: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = common(yargs())
    .scriptName("cloudflare-es-exporter")
    .usage("$0 [command] [options]\n\nCopies Cloudflare's per-minute analytics into Elasticsearch, exactly and idempotently.")
    .command(
      ["run", "$0"],
      "one idempotent run: fetch every missing minute of every zone and write it",
      (y) =>
        writing(y)
          .option("demo", { type: "boolean", default: false, describe: "start the built-in Cloudflare simulator and use it" })
          .example("$0 run", "the CronJob's command: heal holes, fetch the tail, re-read the last minutes")
          .example("$0 run --demo", "try it with nothing installed: simulator in, NDJSON files out")
          .example("$0 run --dry-run", "show what would be fetched and what it costs"),
      async (argv) => {
        exitCode = await exportCommand(
          { flags: flagsOf(argv), mode: "run", dryRun: argv.dryRun, demo: argv.demo, ...(argv.now ? { now: argv.now } : {}) },
          io,
        );
      },
    )
    .command(
      "backfill",
      "rewrite an explicit range [--from, --to) idempotently (a one-off Job)",
      (y) =>
        writing(y)
          .option("from", { type: "string", demandOption: true, describe: "range start, ISO-8601 (inclusive)" })
          .option("to", { type: "string", demandOption: true, describe: "range end, ISO-8601 (exclusive)" })
          .option("zone", { type: "string", array: true, describe: "only these zone ids (repeatable)" })
          .example("$0 backfill --from 2026-11-01T00:00Z --to 2026-11-02T00:00Z", "rewrite one day for every zone")
          .example("$0 backfill --from 2026-11-01T00:00Z --to 2026-11-01T06:00Z --zone 023e105f4ecef8ad9ca31a8372d0c353", "six hours of one zone"),
      async (argv) => {
        exitCode = await exportCommand(
          { flags: flagsOf(argv), mode: "backfill", dryRun: argv.dryRun, demo: false, from: argv.from, to: argv.to, ...(argv.now ? { now: argv.now } : {}) },
          io,
        );
      },
    )
    .command(
      "bootstrap",
      "create or update lifecycle policy, templates and mappings, then exit",
      (y) => y.example("$0 bootstrap", "what the Helm pre-install hook runs"),
      async (argv) => {
        exitCode = await bootstrapCommand(flagsOf(argv), io);
      },
    )
    .command(
      "check",
      "check configuration, Cloudflare access and each zone's limits, Elasticsearch, ILM and privileges",
      (y) => y.example("$0 check", "one line per check; exit 1 if any fails"),
      async (argv) => {
        exitCode = await checkCommand(flagsOf(argv), io);
      },
    )
    .command(
      "verify",
      "compare stored minutes with Cloudflare's hourly rollup, and breakdowns with totals",
      (y) =>
        y
          .option("from", { type: "string", demandOption: true, describe: "range start, ISO-8601" })
          .option("to", { type: "string", demandOption: true, describe: "range end, ISO-8601" })
          .example("$0 verify --from 2026-11-22T00:00Z --to 2026-11-23T00:00Z", "prove a day; exit 1 on any mismatch"),
      async (argv) => {
        exitCode = await verifyCommand(flagsOf(argv), argv.from, argv.to, io);
      },
    )
    .command(
      "simulate",
      "serve the built-in Cloudflare GraphQL simulator",
      (y) =>
        y
          .option("port", { type: "number", default: 8787, describe: "TCP port on 127.0.0.1" })
          .example("$0 simulate --port 8787", "then point CF_API_URL at the printed URL"),
      async (argv) => {
        exitCode = await simulateCommand(argv.port, io);
      },
    )
    .strict()
    .help()
    .version()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message);
    });
  try {
    await parser.parseAsync([...args]);
    return exitCode;
  } catch (error) {
    // One line at level error naming the service and the fix, redacted; exit 2 for configuration, else 1.
    return reportFatal(error, io);
  }
}
