/**
 * Snapshot datasets (today: `tunnels`): what Cloudflare's REST API says about the present, stored by each `run` at
 * its minute (the floor of the run's now). Cloudflare keeps no history of it, so there is nothing to look after or
 * backfill: no coverage, no holes, no GraphQL query budget. A rerun in the same minute writes the same ids.
 *
 * Per account, a failure stays that account's: a refused permission turns the dataset off there (with the fix), a
 * 429 or 5xx that outlasts the REST client's retries fails that account's report (the run fails, as any failed
 * dataset does), and the run's GraphQL work goes on either way.
 */
import type { TimeLimit } from "./cloudflare/client.js";
import { CloudflareError } from "./cloudflare/errors.js";
import { createRestClient, type RestClient } from "./cloudflare/rest.js";
import { listTunnels } from "./cloudflare/tunnels.js";
import type { Config } from "./config/types.js";
import type { Owner } from "./datasets/dataset.js";
import type { SnapshotDataset } from "./datasets/index.js";
import { flattenTunnels } from "./datasets/tunnels.js";
import { ExporterError } from "./errors.js";
import type { Logger } from "./log.js";
import type { DatasetReport } from "./run.js";
import type { Sink } from "./sinks/sink.js";
import { floorMinute, MINUTE } from "./time.js";

export interface SnapshotDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly log: Logger;
  readonly snapshots: readonly SnapshotDataset[];
  readonly time?: TimeLimit | undefined;
  /** For tests; a client over `config.cloudflare` otherwise. */
  readonly rest?: RestClient;
}

/** Takes every snapshot dataset of every account once, at `now`'s minute. Returns a report per account and dataset. */
export async function takeSnapshots(deps: SnapshotDeps, now: number): Promise<DatasetReport[]> {
  const { config, log } = deps;
  const accounts = config.cloudflare.accounts;
  if (deps.snapshots.length === 0 || accounts.length === 0) return [];
  const minute = floorMinute(now);
  const reports: DatasetReport[] = [];
  let rest = deps.rest;
  const noRest = "CF_REST_URL is not set and cannot be derived from CF_API_URL; fix: set CF_REST_URL (e.g. https://api.cloudflare.com/client/v4)";
  if (!rest) {
    if (config.cloudflare.restUrl !== undefined)
      rest = createRestClient(config.cloudflare, {
        time: deps.time,
        onRetry: ({ context, attempt, delayMs, error }) =>
          log.warn(`retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt}): ${error.message}`, { context, kind: error.kind }),
      });
  }
  for (const dataset of deps.snapshots) {
    for (const account of accounts) {
      const owner: Owner = { scope: "account", id: account.id, name: account.name };
      const report: DatasetReport = { owner, dataset: dataset.name, status: "ok", windows: 0, documents: 0, queries: 0 };
      reports.push(report);
      const where = `${dataset.name} for account ${owner.name} (${owner.id})`;
      if (!rest) {
        report.status = "off";
        report.error = noRest;
        log.warn(`skipping ${where}: ${noRest}`);
        continue;
      }
      try {
        const warnings: string[] = [];
        const listed = await listTunnels(rest, owner.id, warnings);
        for (const w of warnings) log.warn(w);
        const { entries, totals } = flattenTunnels(listed, owner, minute);
        const outcome = await deps.sink.write({
          entries,
          totals,
          dataset: dataset.name,
          ownerId: owner.id,
          scope: "account",
          window: { from: minute, to: minute + MINUTE },
        });
        report.documents = outcome.written;
        if (outcome.failed > 0) {
          report.status = "failed";
          report.error = `${outcome.failed} documents were refused: ${outcome.reasons.join("; ")}`;
          continue;
        }
        report.windows = 1;
        report.newest = minute;
      } catch (error) {
        if (!(error instanceof ExporterError)) throw error;
        const why = `${error.message}${error.fix ? `; fix: ${error.fix}` : ""}`;
        if (error instanceof CloudflareError && error.kind === "access") {
          // The token may read the analytics but not the tunnels: this dataset is off here, nothing else is.
          report.status = "off";
          report.error = `Cloudflare refused the tunnel list (missing permission): ${why}`;
          log.warn(`skipping ${where}: ${report.error}`);
        } else if (error instanceof CloudflareError && error.kind === "deadline") {
          report.status = "skipped";
          report.error = error.message;
          log.warn(`${where}: ${error.message}`);
        } else {
          report.status = "failed";
          report.error = why;
        }
      }
    }
  }
  return reports;
}

/**
 * What `check` says of the snapshot datasets: per account, whether the tunnel list can be read (one listing, as a run
 * makes it) and what it holds now; a refusal is `info` (the dataset is off there, nothing fails), other errors fail.
 */
export async function checkSnapshots(
  config: Config,
  snapshots: readonly SnapshotDataset[],
  time: TimeLimit | undefined,
): Promise<{ ok: boolean | "info"; text: string }[]> {
  if (snapshots.length === 0 || config.cloudflare.accounts.length === 0) return [];
  if (config.cloudflare.restUrl === undefined) return [{ ok: "info", text: "tunnels: off, CF_REST_URL is not set and cannot be derived from CF_API_URL" }];
  const rest = createRestClient(config.cloudflare, { time });
  const lines: { ok: boolean | "info"; text: string }[] = [];
  for (const account of config.cloudflare.accounts) {
    const where = `account ${account.name} tunnels`;
    try {
      const listed = await listTunnels(rest, account.id, []);
      const by = (s: string) => listed.filter((t) => t.status === s).length;
      lines.push({
        ok: true,
        text: `${where}: on, a snapshot at each run's minute (REST, not the query budget); now ${listed.length} tunnels: ${by("healthy")} healthy, ${by("degraded")} degraded, ${by("down")} down, ${by("inactive")} inactive`,
      });
    } catch (error) {
      if (!(error instanceof ExporterError)) throw error;
      const text = `${error.message}${error.fix ? `; fix: ${error.fix}` : ""}`;
      if (error instanceof CloudflareError && error.kind === "access")
        lines.push({ ok: "info", text: `${where}: off, Cloudflare refused the tunnel list: ${text}` });
      else lines.push({ ok: false, text: `${where}: ${text}` });
    }
  }
  return lines;
}
