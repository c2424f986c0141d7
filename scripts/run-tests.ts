// Entry point of `npm test` / `npm run bench`: provides an Elasticsearch (ES_URL or a fresh
// local one), runs the compiled tests or the benchmark against it, and always cleans up.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative, sep } from 'node:path';
import { startElasticsearch, type RunningElasticsearch } from './elasticsearch.js';

const root = join(import.meta.dirname, '..', '..');
const testDir = join(root, 'dist', 'test');

function findTestFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...findTestFiles(path));
    else if (name.endsWith('.test.js')) files.push(path);
  }
  return files;
}

// Unit tests first so fast failures show up before the slower integration tests.
function sortTests(files: string[]): string[] {
  const rank = (file: string): number => (relative(testDir, file).startsWith(`unit${sep}`) ? 0 : 1);
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const bench = own.includes('--bench');
  // npm swallows the first `--`, so anything that is not ours is passed through as well.
  const passThrough = [...own.filter((arg) => arg !== '--bench'), ...(separator === -1 ? [] : argv.slice(separator + 1))];

  let childArgs: string[];
  if (bench) {
    childArgs = [join(root, 'dist', 'bench', 'backfill.js'), ...passThrough];
  } else {
    let files: string[] = [];
    try {
      files = sortTests(findTestFiles(testDir));
    } catch {
      // reported below
    }
    if (files.length === 0) {
      console.error(`run-tests: no *.test.js files under ${testDir}; did \`npm run build\` compile test/?`);
      return 1;
    }
    childArgs = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...passThrough, ...files];
  }

  let es: RunningElasticsearch | undefined;
  let interrupted: NodeJS.Signals | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    if (child) child.kill(signal);
    // Still starting up: exiting fires the harness' exit hook, which kills Elasticsearch.
    else process.exit(signalExitCode(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let url = process.env.ES_URL;
    if (url) {
      console.log(`run-tests: using Elasticsearch at ${url} (from ES_URL)`);
    } else {
      const started = Date.now();
      const verbose = process.env.ES_LOG === '1';
      es = await startElasticsearch(verbose ? { log: (line) => console.log(`[es] ${line}`) } : {});
      url = es.url;
      console.log(`run-tests: Elasticsearch ${es.version} at ${url} (ready in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
    }
    const running = spawn(process.execPath, childArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ES_URL: url } });
    child = running;
    return await new Promise<number>((resolve, reject) => {
      running.once('error', reject);
      running.once('exit', (code, signal) => resolve(code ?? signalExitCode(signal ?? 'SIGTERM')));
    });
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
