/**
 * Configuration problems are collected while loading and thrown together, so a user fixing a manifest sees every
 * mistake in one run instead of one per CronJob attempt. Values are formatted (and redacted) before they get here:
 * nothing in this module ever sees a secret.
 */
import { ExporterError } from "../errors.js";

export interface ConfigProblem {
  /** The key as the user wrote it: `CF_ZONES`, `--query-budget`, `cloudflare.zones[2].id in config.yaml`. */
  readonly key: string;
  /** The offending value as displayed (quoted, shortened, `<redacted>` for secrets); undefined when it is missing. */
  readonly value: string | undefined;
  readonly reason: string;
  readonly fix: string;
}

export class ConfigError extends ExporterError {
  override readonly name = "ConfigError";
  /** Key, value and fix of the first problem, for callers that show only one line. */
  readonly key: string;
  readonly value: string | undefined;
  override readonly fix: string;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const first = problems[0];
    if (!first) throw new TypeError("ConfigError needs at least one problem");
    super(
      problems.length === 1
        ? `Invalid configuration: ${formatProblem(first)}`
        : `Invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`,
      "configuration",
      "invalid",
      false,
      { fix: first.fix },
    );
    this.key = first.key;
    this.value = first.value;
    this.fix = first.fix;
    this.problems = problems;
  }
}

function formatProblem(problem: ConfigProblem): string {
  const subject = problem.value === undefined ? problem.key : `${problem.key} = ${problem.value}`;
  return `${subject}: ${problem.reason}; fix: ${problem.fix}`;
}

/** Placeholder shown instead of any secret value. */
export const REDACTED = "<redacted>";
