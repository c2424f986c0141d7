/**
 * The exporter's own record of each run, written to `<prefix>-runs-<period>`: one `run` document with the outcome,
 * exit code, gate decision and totals, and one `dataset` document per zone (or account) and dataset with what was
 * fetched and how fresh the stored data is. Dashboards chart them and alert rules read them; declared like every
 * other field (`npm run fields` documents them in docs/fields.md).
 */
import { randomUUID } from "node:crypto";
import type { Config } from "../config/types.js";
import { documentId, type ExportDocument, type FieldValue } from "../datasets/document.js";
import { label, metric, type FieldDecl } from "../datasets/fields.js";
import { ownerFields } from "../datasets/query.js";
import type { RunResult } from "../run.js";
import { redactorFor } from "../redact.js";
import { MINUTE } from "../time.js";

/** The "dataset" name of run documents in index names: `<prefix>-runs-<period>`. */
export const RUNS = "runs";

// Run records are events in a standard index: their roles matter only to the dashboards' checks (which figures add up).
const f = (name: string, type: "keyword" | "boolean" | "date" | "long" | "integer", description: string): FieldDecl => label(name, type, description);
const count = (name: string, description: string): FieldDecl => metric(name, "long", "sum", description);

export const runFields: readonly FieldDecl[] = [
  { name: "@timestamp", role: "time", type: "date", description: "When the run started." },
  f("run.id", "keyword", "Unique id of the run; shared by its `run` and `dataset` documents."),
  f("run.kind", "keyword", "`run`: the one summary document of a run; `dataset`: one zone (or account) and dataset of that run."),
  f("run.command", "keyword", "`run` or `backfill`."),
  count("run.documents", "Documents written."),
  count("run.windows", "Windows fetched from Cloudflare and written."),
  count("run.queries", "Cloudflare queries spent (zones x dataset nodes, as Cloudflare's budget counts them; reading `settings` is not counted)."),
  f("run.error", "keyword", "What went wrong (first 1,000 characters; never a credential). Absent when nothing did."),
  f(
    "run.note",
    "keyword",
    "`dataset` only, when it ran: what it ran without (optional fields the plan or token refuses, fields left out to fit Cloudflare's field cap per query).",
  ),
  f(
    "run.outcome",
    "keyword",
    "`run` only: `completed`, `failed`, `not-active` (the gate answered False: another environment runs), `stopped-by-gate` (the gate " +
      "answered False mid-run), `gate-error` (the gate answered neither True nor False: an error status, another body, no " +
      "connection, TLS failure, timeout; the run stopped there, failing closed, and exited 1), `deadline` (stopped at " +
      "RUN_DEADLINE_SECONDS) or `terminated` (stopped by SIGTERM or SIGINT); the last two exit 1 and leave the rest to the next run.",
  ),
  f("run.exit_code", "integer", "`run` only: the process's exit code (0 ok or not active, 1 failed, gate error, deadline or stopped)."),
  f("run.gate.allowed", "boolean", "`run` only: the gate's answer (true when no gate is configured; false on a gate error too)."),
  f("run.gate.reason", "keyword", "`run` only: the gate's answer in words, or what went wrong asking it."),
  f("run.ended", "date", "When the run ended (`dataset` documents too: account-based rate limiting reads what each zone spent lately)."),
  count("run.duration_ms", "`run` only: wall time of the run in milliseconds."),
  metric("run.query_budget", "long", "none", "`run` only: the configured Cloudflare query budget per 5 minutes (CF_QUERY_BUDGET); a setting, never summed."),
  count("run.bulk_retries", "`run` only: documents re-sent after Elasticsearch answered 429."),
  count("run.deferred_requests", "`run` only: requests left for the next run because this run's share of the query budget was spent (0: none)."),
  f("run.environment.cluster", "keyword", "`run` only: LOCAL_CLUSTER, as sent to the gate."),
  f("run.environment.namespace", "keyword", "`run` only: LOCAL_NAMESPACE, as sent to the gate."),
  f("cloudflare.dataset", "keyword", "`dataset` only: the dataset."),
  f("cloudflare.zone.id", "keyword", "`dataset` only: the zone (zone-scoped datasets)."),
  f("cloudflare.zone.name", "keyword", "`dataset` only: the zone's configured name."),
  f("cloudflare.account.id", "keyword", "`dataset` only: the account (account-scoped datasets)."),
  f("cloudflare.account.name", "keyword", "`dataset` only: the account's configured name."),
  f("run.status", "keyword", "`dataset` only: `ok`, `off` (not run here: plan or stand-in), `skipped` (access lost) or `failed`."),
  metric(
    "run.rows_per_unit",
    "double",
    "none",
    "`dataset` only, when it fetched: rows per minute (hour, day) of the densest window Cloudflare answered; later runs size windows from it.",
  ),
  f("run.newest_minute", "date", "`dataset` only: start of the newest stored minute (hour, day) after the run."),
  metric("run.lag_minutes", "long", "none", "`dataset` only: minutes from the newest stored unit's start to the end of the run; a level, never summed."),
];

/** The run records as bootstrap sees them: their own indices and mapping. */
export const runsIndexed = { name: RUNS, fields: runFields, standalone: true } as const;

export interface RunRecordInput {
  readonly result: RunResult;
  readonly command: "run" | "backfill";
  readonly exitCode: number;
  readonly config: Config;
  readonly endedAt: number;
  /** Added to the wall clock (`--now` replays): the record says when the run happened in its own time. */
  readonly clockOffsetMs?: number;
  /** For tests; a random UUID otherwise. */
  readonly id?: string;
}

/** The run's documents: the `run` summary first, then one per zone (or account) and dataset. */
export function runDocuments(input: RunRecordInput): ExportDocument[] {
  const { result, config } = input;
  // Run records are written straight to the sink, past the logger: every value passes the redaction point here,
  // before long texts are cut (a cut must never leave half a secret behind).
  const redactor = redactorFor(config);
  const cut = (text: string): string => {
    const safe = redactor.text(text);
    return safe.length > 1000 ? `${safe.slice(0, 997)}...` : safe;
  };
  const offset = input.clockOffsetMs ?? 0;
  const startedAt = result.startedAt + offset;
  const endedAt = input.endedAt + offset;
  const id = input.id ?? `${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`;
  const base = (kind: "run" | "dataset"): Record<string, FieldValue> => ({
    "@timestamp": new Date(startedAt).toISOString(),
    "run.id": id,
    "run.kind": kind,
    "run.command": input.command,
  });
  const failures = result.reports.filter((r) => r.status === "failed");
  const summary: Record<string, FieldValue> = {
    ...base("run"),
    "run.outcome": result.outcome,
    "run.exit_code": input.exitCode,
    "run.gate.allowed": result.gate.allowed,
    "run.gate.reason": cut(result.gate.reason),
    "run.ended": new Date(endedAt).toISOString(),
    "run.duration_ms": Math.max(0, endedAt - startedAt),
    "run.documents": result.documents,
    "run.windows": result.windows,
    "run.queries": result.queries,
    "run.query_budget": config.cloudflare.queryBudget,
    "run.bulk_retries": result.bulkRetries,
    "run.deferred_requests": result.deferred ?? 0,
    "run.environment.cluster": config.gate.cluster,
    "run.environment.namespace": config.gate.namespace,
  };
  if (result.error) summary["run.error"] = cut(result.error);
  else if (failures.length > 0) {
    summary["run.error"] = cut(`${failures.length} failed: ${failures.map((r) => `${r.dataset} ${r.owner.name}: ${r.error ?? "failed"}`).join("; ")}`);
  }
  const docs: ExportDocument[] = [{ id: documentId([RUNS, id]), dataset: RUNS, timestamp: startedAt, fields: redactor.record(summary) }];
  for (const r of result.reports) {
    const fields: Record<string, FieldValue> = {
      ...base("dataset"),
      "cloudflare.dataset": r.dataset,
      ...ownerFields(r.owner),
      "run.status": r.status,
      "run.ended": new Date(endedAt).toISOString(),
      "run.documents": r.documents,
      "run.windows": r.windows,
      "run.queries": r.queries,
    };
    if (r.density !== undefined) fields["run.rows_per_unit"] = r.density;
    if (r.newest !== undefined) {
      fields["run.newest_minute"] = new Date(r.newest).toISOString();
      fields["run.lag_minutes"] = Math.max(0, Math.floor((endedAt - r.newest) / MINUTE));
    }
    if (r.error && r.status !== "ok") fields["run.error"] = cut(r.error);
    if (r.error && r.status === "ok") fields["run.note"] = cut(r.error);
    docs.push({ id: documentId([RUNS, id, r.dataset, r.owner.id]), dataset: RUNS, timestamp: startedAt, fields: redactor.record(fields) });
  }
  return docs;
}
