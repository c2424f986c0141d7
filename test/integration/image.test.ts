/**
 * What the container image relies on, without a Docker engine: the final stage of the Dockerfile is laid out in a
 * fresh directory exactly as its COPY instructions say (build-stage files from this checkout's compiled dist/, the
 * deps stage as `npm ci --omit=dev` from the lock file), and its ENTRYPOINT and default CMD start a complete run
 * against the simulator and Elasticsearch from there. No dev dependency is present, and the run writes nothing into
 * the application directory (the image's root filesystem is read-only).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@elastic/elasticsearch";
import type { Simulator } from "../../simulator/index.js";
import { imageConfig } from "../support/chart.js";
import {
  countDocuments,
  differences,
  dropPrefix,
  esClient,
  expectedRange,
  exporterEnv,
  needsElasticsearch,
  simulator,
  type CliResult,
} from "../support/harness.js";
import { repoRoot } from "../support/paths.js";

const PREFIX = "it-image";

/** The final stage's COPY instructions, as [source stage or undefined for the build context, source, destination]. */
function finalStageCopies(): [string | undefined, string[], string][] {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const stages = text.split(/^FROM /m);
  const final = stages[stages.length - 1]!;
  return [...final.matchAll(/^COPY\s+(?:--from=(\S+)\s+)?(.+)\s+(\S+)$/gm)].map((m) => [m[1], m[2]!.trim().split(/\s+/), m[3]!]);
}

/** Lays out /app as the image would have it; returns the local directory standing for it. */
function layOutImage(): string {
  const image = imageConfig();
  const root = mkdtempSync(join(tmpdir(), "cfe-image-"));
  const app = join(root, image.workdir);
  mkdirSync(app, { recursive: true });
  const local = (dest: string, source: string): string => {
    const target = dest.startsWith("/") ? join(root, dest) : join(app, dest);
    return dest.endsWith("/") ? join(target, basename(source)) : target;
  };
  for (const [stage, sources, dest] of finalStageCopies()) {
    for (const source of sources) {
      if (stage === "deps") {
        // The deps stage: production dependencies from the lock file, as its RUN line does.
        assert.equal(source, "/app/node_modules");
        for (const file of ["package.json", "package-lock.json"]) cpSync(join(repoRoot, file), join(app, file));
        const npm = spawnSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: app, encoding: "utf8" });
        assert.equal(npm.status, 0, npm.stderr);
        rmSync(join(app, "package-lock.json"));
        continue;
      }
      // The build stage's WORKDIR /src is this checkout (compiled by `npm run build`); the context is this checkout too.
      const from = stage === "build" ? join(repoRoot, source.replace(/^\/src\//, "")) : join(repoRoot, source);
      assert.ok(existsSync(from), `${source} exists (run npm run build first)`);
      const to = local(dest, source);
      mkdirSync(join(to, ".."), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
  return app;
}

/** Every file under a directory with its size and modification time. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else out.set(path, `${stat.size}:${stat.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

function runImage(app: string, args: readonly string[] | undefined, env: Record<string, string>): Promise<CliResult> {
  const image = imageConfig();
  const [node, entry, ...entryArgs] = image.entrypoint;
  assert.equal(node, "node");
  const argv = [entry!.replace(/^\/app\//, `${app}/`), ...entryArgs, ...(args ?? image.cmd)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: app, env: { ...image.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe("the image's contents, without Docker", { skip: needsElasticsearch }, () => {
  let app: string;
  let es: Client;
  let sim: Simulator;
  before(async () => {
    app = layOutImage();
    es = esClient();
    await dropPrefix(es, PREFIX);
    sim = await simulator();
  });
  after(async () => {
    await sim.close();
    await dropPrefix(es, PREFIX);
    await es.close();
    rmSync(join(app, ".."), { recursive: true, force: true });
  });

  it("holds production dependencies only", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(app, "node_modules", dep, "package.json")), `${dep} is installed`);
    for (const dep of Object.keys(pkg.devDependencies)) assert.ok(!existsSync(join(app, "node_modules", dep)), `${dep} (dev) is absent`);
    assert.ok(!existsSync(join(app, "dist", "test")), "no tests in the image");
  });

  it("its ENTRYPOINT with the default CMD completes a run, exactly, and writes nothing into /app", async () => {
    const before = tree(app);
    const env = { ...exporterEnv(sim, PREFIX, { CF_DATASETS: "http_requests" }), HOME: "/nonexistent" };
    const startedAt = Date.now();
    const result = await runImage(app, undefined, env);
    const endedAt = Date.now();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /"outcome":"completed"/);
    const problems = [await differences(es, PREFIX, expectedRange(startedAt)), await differences(es, PREFIX, expectedRange(endedAt))];
    assert.ok(
      problems.some((p) => p.length === 0),
      problems[1]!.slice(0, 10).join("\n"),
    );
    assert.ok((await countDocuments(es, PREFIX)) > 0);
    assert.deepEqual(tree(app), before, "nothing under /app changed");
  });

  it("the build stage compiles from what the build context holds (.dockerignore lets in only the sources)", () => {
    const context = mkdtempSync(join(tmpdir(), "cfe-context-"));
    try {
      const allowed = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("!"))
        .map((l) => l.slice(1).replace(/\/$/, ""));
      for (const entry of allowed) cpSync(join(repoRoot, entry), join(context, entry), { recursive: true });
      // The stage's `npm ci` installs the lock file's packages; this checkout's node_modules holds the same.
      symlinkSync(join(repoRoot, "node_modules"), join(context, "node_modules"));
      const tsc = spawnSync(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
        cwd: context,
        encoding: "utf8",
      });
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      for (const copied of ["dist/src/cli.js", "dist/simulator/index.js"]) assert.ok(existsSync(join(context, copied)), `${copied} is built`);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });

  it("the demo works from the image too (it needs the simulator's schema the image copies)", async () => {
    const out = mkdtempSync(join(tmpdir(), "cfe-image-demo-"));
    try {
      const result = await runImage(app, ["run", "--demo", "--output", out, "--dataset", "http_requests"], {
        PATH: process.env.PATH ?? "",
        LOG_FORMAT: "json",
      });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(readdirSync(out).length > 0, "bulk files were written");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
