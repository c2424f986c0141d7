/**
 * The command line: yargs wiring for every command, and the one mapping from outcomes to exit codes
 * (0 success or "not the active environment", 1 run failed, 2 bad configuration or usage).
 */
import yargs, { type Argv } from "yargs";
import { environmentHelp, flagOptions, settingFlags } from "./config/help.js";
import type { Command } from "./config/settings.js";
import { bootstrapCommand } from "./commands/bootstrap.js";
import { checkCommand } from "./commands/check.js";
import type { Io } from "./commands/context.js";
import { exportCommand } from "./commands/export.js";
import { simulateCommand } from "./commands/simulate.js";
import { verifyCommand } from "./commands/verify.js";
import { EXIT, UsageError } from "./errors.js";
import { reportFatal } from "./fatal.js";

/** A command's setting flags and the end of its `--help`, from the settings table: only what the command reads. */
const settings =
  (command: Command) =>
  <T>(y: Argv<T>): Argv<T> => {
    for (const [name, option] of flagOptions(command)) y.option(name, option);
    return y.epilogue(environmentHelp(command));
  };

const writing = (y: Argv) =>
  y
    .option("dry-run", { type: "boolean", default: false, describe: "print the plan (zones, windows, queries, budget share); write nothing" })
    .option("now", { type: "string", hidden: true, describe: "pretend the current time is this ISO instant (replays and tests)" });

export async function main(args: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs()
    .scriptName("cloudflare-es-exporter")
    .usage(
      "$0 [command] [options]\n\nCopies Cloudflare's per-minute analytics into Elasticsearch, exactly and idempotently.\n" +
        "`$0 <command> --help` lists the flags a command reads and the environment variables behind them.",
    )
    .command(
      ["run", "$0"],
      "one idempotent run: fetch every missing minute of every zone and write it",
      (y) =>
        settings("run")(writing(y))
          .option("demo", { type: "boolean", default: false, describe: "start the built-in Cloudflare simulator and use it" })
          .example("$0 run", "the CronJob's command: heal holes, fetch the tail, re-read the last minutes")
          .example("$0 run --demo", "try it with nothing installed: simulator in, NDJSON files out")
          .example("$0 run --dry-run", "show what would be fetched and what it costs"),
      async (argv) => {
        exitCode = await exportCommand(
          { flags: settingFlags(argv), mode: "run", dryRun: argv.dryRun, demo: argv.demo, ...(argv.now ? { now: argv.now } : {}) },
          io,
        );
      },
    )
    .command(
      "backfill",
      "rewrite an explicit range [--from, --to) idempotently (a one-off Job)",
      (y) =>
        settings("backfill")(writing(y))
          .option("from", { type: "string", demandOption: true, describe: "range start, ISO-8601 (inclusive)" })
          .option("to", { type: "string", demandOption: true, describe: "range end, ISO-8601 (exclusive)" })
          .example("$0 backfill --from 2026-11-01T00:00Z --to 2026-11-02T00:00Z", "rewrite one day for every zone")
          .example("$0 backfill --from 2026-11-01T00:00Z --to 2026-11-01T06:00Z --zone 023e105f4ecef8ad9ca31a8372d0c353", "six hours of one zone"),
      async (argv) => {
        exitCode = await exportCommand(
          {
            flags: settingFlags(argv),
            mode: "backfill",
            dryRun: argv.dryRun,
            demo: false,
            from: argv.from,
            to: argv.to,
            ...(argv.now ? { now: argv.now } : {}),
          },
          io,
        );
      },
    )
    .command(
      "bootstrap",
      "create or update lifecycle policy, templates and mappings, then exit",
      (y) => settings("bootstrap")(y).example("$0 bootstrap", "what the Helm pre-install hook runs"),
      async (argv) => {
        exitCode = await bootstrapCommand(settingFlags(argv), io);
      },
    )
    .command(
      "check",
      "check configuration, Cloudflare access and each zone's limits, Elasticsearch, ILM and privileges",
      (y) => settings("check")(y).example("$0 check", "one line per check; exit 1 if any fails"),
      async (argv) => {
        exitCode = await checkCommand(settingFlags(argv), io);
      },
    )
    .command(
      "verify",
      "compare stored minutes with Cloudflare's hourly rollup, and breakdowns with totals",
      (y) =>
        settings("verify")(y)
          .option("from", { type: "string", demandOption: true, describe: "range start, ISO-8601" })
          .option("to", { type: "string", demandOption: true, describe: "range end, ISO-8601" })
          .example("$0 verify --from 2026-11-22T00:00Z --to 2026-11-23T00:00Z", "prove a day; exit 1 on any mismatch"),
      async (argv) => {
        exitCode = await verifyCommand(settingFlags(argv), argv.from, argv.to, io);
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
