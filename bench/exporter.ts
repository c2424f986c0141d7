/**
 * One `run --now <now>` of the built exporter as its own process, the way the CronJob starts it: what the benchmarks
 * time and whose JSON summary line they read.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../test/support/paths.js";

export interface ExporterRun<S> {
  readonly code: number | null;
  /** The summary of the JSON `summary` log line; undefined when the process wrote none. */
  readonly summary: S | undefined;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Starts the exporter with exactly `env` (nothing inherited); its stdout goes to ours when `stdout` is "inherit". */
export function runExporterAt<S>(now: number, env: Record<string, string>, stdout: "inherit" | "ignore" = "ignore"): Promise<ExporterRun<S>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "dist", "src", "cli.js"), "run", "--now", new Date(now).toISOString()], {
      env,
      stdio: ["ignore", stdout, "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stderr.split("\n").find((l) => l.includes('"summary"'));
      const summary = line ? (JSON.parse(line) as { summary: S }).summary : undefined;
      resolve({ code, summary, stderr, wallMs: Date.now() - started });
    });
  });
}

/** The same, for runs that must succeed: rejects with the end of its log otherwise. */
export async function runExporterOk<S>(
  now: number,
  env: Record<string, string>,
  stdout: "inherit" | "ignore" = "ignore",
): Promise<{ summary: S; wallMs: number }> {
  const run = await runExporterAt<S>(now, env, stdout);
  if (run.code !== 0 || run.summary === undefined) throw new Error(`exporter exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  return { summary: run.summary, wallMs: run.wallMs };
}
