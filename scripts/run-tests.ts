// Entry point of `npm test` / `npm run bench`: provides an Elasticsearch (ES_URL or a fresh
// local one), runs the compiled tests or the benchmark against it, and always cleans up.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { constants } from "node:os";
import { join, relative, sep } from "node:path";
import { startElasticsearch, type RunningElasticsearch } from "./elasticsearch.js";
import { lint } from "./lint.js";

const root = join(import.meta.dirname, "..", "..");
const testDir = join(root, "dist", "test");

function findTestFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...findTestFiles(path));
    else if (name.endsWith(".test.js")) files.push(path);
  }
  return files;
}

// Unit tests run first so fast failures show up early. `node --test` sorts the files it is
// given, so the order can only be imposed by running the groups one after another.
function groupTests(files: string[]): string[][] {
  const isUnit = (file: string): boolean => relative(testDir, file).startsWith(`unit${sep}`);
  return [files.filter(isUnit), files.filter((file) => !isUnit(file))].map((group) => group.sort()).filter((group) => group.length > 0);
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const separator = argv.indexOf("--");
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const bench = own.includes("--bench") || own.includes("--scale");
  const scale = own.includes("--scale");
  // npm swallows the first `--`, so anything that is not ours is passed through as well.
  const passThrough = [...own.filter((arg) => arg !== "--bench" && arg !== "--scale"), ...(separator === -1 ? [] : argv.slice(separator + 1))];

  let runs: string[][];
  if (scale) {
    runs = [[join(root, "dist", "bench", "scale.js"), ...passThrough]];
  } else if (bench) {
    runs = [
      [join(root, "dist", "bench", "backfill.js"), ...passThrough],
      [join(root, "dist", "bench", "datasets.js"), ...passThrough],
      [join(root, "dist", "bench", "storage.js"), ...passThrough],
      [join(root, "dist", "bench", "serialize.js"), ...passThrough],
    ];
  } else {
    let files: string[] = [];
    try {
      files = findTestFiles(testDir);
    } catch {
      // reported below
    }
    if (files.length === 0) {
      console.error(`run-tests: no *.test.js files under ${testDir}; did \`npm run build\` compile test/?`);
      return 1;
    }
    runs = groupTests(files).map((group) => ["--test", "--test-concurrency=1", "--test-reporter=spec", ...passThrough, ...group]);
  }

  let es: RunningElasticsearch | undefined;
  let interrupted: NodeJS.Signals | undefined;
  let child: ChildProcess | undefined;
  let starting = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    child?.kill(signal);
    // startElasticsearch cannot be cancelled; exiting fires its exit hook, which kills Elasticsearch.
    if (starting) process.exit(signalExitCode(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // The static checks first (a minute at most); the tests run even when they fail, so that one run (and one CI run)
  // shows both; npm test then fails, naming the failed checks again below the test output.
  const lintProblems = bench ? [] : lint();
  try {
    if (!bench) {
      // helm, kubeconform, hadolint and the Kubernetes schemas for the chart and image tests. Idempotent and about a
      // second once cached. A failed install is not fatal here: the tests that need a tool fail and name the command.
      const tools = spawnSync("bash", [join(root, "scripts", "install-tools.sh")], { cwd: root, stdio: "inherit" });
      if (tools.status !== 0) console.error("run-tests: installing the chart tools failed; the chart and image tests will fail");
    }
    let url = process.env.ES_URL;
    if (url) {
      console.log(`run-tests: using Elasticsearch at ${url} (from ES_URL)`);
    } else {
      const started = Date.now();
      const verbose = process.env.ES_LOG === "1";
      es = await startElasticsearch(verbose ? { log: (line) => console.log(`[es] ${line}`) } : {});
      url = es.url;
      console.log(`run-tests: Elasticsearch ${es.version} at ${url} (ready in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
    }
    starting = false;
    let exitCode = 0;
    for (const args of runs) {
      if (interrupted) break;
      // ES_STARTED_BY_TESTS tells the security tests they may start a second, secured Elasticsearch the same way.
      const env = { ...process.env, ES_URL: url, ...(es ? { ES_STARTED_BY_TESTS: "1" } : {}) };
      const running = spawn(process.execPath, args, { cwd: root, stdio: "inherit", env });
      child = running;
      const code = await new Promise<number>((resolve, reject) => {
        running.once("error", reject);
        running.once("exit", (c, signal) => resolve(c ?? signalExitCode(signal ?? "SIGTERM")));
      });
      child = undefined;
      if (exitCode === 0) exitCode = code;
    }
    for (const line of lintProblems) console.error(`run-tests: ${line}`);
    return lintProblems.length > 0 && exitCode === 0 ? 1 : exitCode;
  } finally {
    await es?.stop();
    if (interrupted) process.exitCode = signalExitCode(interrupted);
  }
}

main().then(
  (code) => {
    process.exitCode ??= code;
  },
  (err: unknown) => {
    console.error(`run-tests: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
