/**
 * The static checks `npm test` runs before the tests, and `npm run lint` alone: ESLint (type-aware, eslint.config.js),
 * Prettier's check (.prettierrc.json, .prettierignore) and knip (knip.jsonc: unused files, exports, dependencies).
 * Each runs even when an earlier one failed, so one run shows every problem; the last lines name what failed and the
 * fix. The tools come from node_modules (`npm ci`), never from a global install.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..", "..");

interface Check {
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
  readonly fix: string;
}

const CHECKS: readonly Check[] = [
  // --max-warnings 0: a warning (an unused eslint-disable comment, say) fails too, rather than scrolling by unread.
  { name: "eslint", bin: "eslint", args: [".", "--max-warnings", "0"], fix: "fix the findings above (`npx eslint --fix .` fixes some)" },
  { name: "prettier", bin: "prettier", args: ["--check", "."], fix: "run `npm run format`" },
  { name: "knip", bin: "knip", args: ["--no-progress"], fix: "remove the unused code or dependency above, or list a new entry point in knip.jsonc" },
];

/** Runs every check; returns one line per failed check, naming the fix (none when all passed). */
export function lint(log: (line: string) => void = console.log): string[] {
  const failed: Check[] = [];
  for (const check of CHECKS) {
    const started = Date.now();
    log(`lint: ${check.name} ${check.args.join(" ")}`);
    // The bin links in node_modules/.bin are the tools' own scripts; run them with this Node, not one on PATH.
    const result = spawnSync(process.execPath, [join(root, "node_modules", ".bin", check.bin), ...check.args], { cwd: root, stdio: "inherit" });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status === 0) {
      log(`lint: ${check.name} passed in ${seconds} s`);
    } else {
      failed.push(check);
      const how = result.error ? result.error.message : result.signal ? `signal ${result.signal}` : `exit ${result.status}`;
      log(`lint: ${check.name} FAILED (${how}) in ${seconds} s`);
    }
  }
  const problems = failed.map((check) => `lint: ${check.name} failed: ${check.fix}`);
  for (const line of problems) log(line);
  return problems;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = lint().length === 0 ? 0 : 1;
}
