/**
 * The container image's recipe: lint-clean under hadolint, and the properties the chart relies on (non-root user
 * 1000:1000 as in the chart's securityContext, the CLI as ENTRYPOINT with `run` as default command, production
 * dependencies only, Node 24). Building it needs a Docker engine, which CI lacks; test/integration/image.test.ts runs
 * what the image would run instead.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { chartDir, imageConfig } from "../support/chart.js";
import { repoRoot } from "../support/paths.js";
import { runTool, tool } from "../support/tools.js";

const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");

describe("Dockerfile", () => {
  it("is clean under hadolint", () => {
    const result = runTool(tool("hadolint"), ["--no-color", join(repoRoot, "Dockerfile")]);
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  it("runs the CLI as the chart's non-root user, `run` by default", () => {
    const image = imageConfig();
    assert.deepEqual(image.entrypoint, ["node", "/app/dist/src/cli.js"]);
    assert.deepEqual(image.cmd, ["run"]);
    assert.equal(image.user, "1000:1000");
    assert.equal(image.env.NODE_ENV, "production");
    const values = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as { podSecurityContext: { runAsUser: number; runAsGroup: number } };
    assert.equal(`${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`, image.user);
  });

  it("is multi-stage on Node 24, ships production dependencies only, and carries OCI labels", () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24[-.\w]*$/m);
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, "multi-stage");
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /COPY --from=deps \/app\/node_modules/);
    assert.doesNotMatch(dockerfile, /COPY --from=build \/src\/node_modules/, "the build stage's dev dependencies stay behind");
    for (const label of ["title", "description", "version", "licenses"]) assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.${label}=`));
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.match(dockerfile, new RegExp(`^ARG VERSION=${pkg.version.replace(/\./g, "\\.")}$`, "m"), "the version label follows package.json");
  });

  it(".dockerignore keeps everything but the sources out of the build context", () => {
    const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    assert.equal(ignore[0], "*");
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of copied[1]!.split(/\s+/)) {
        const top = source.split("/")[0]!;
        assert.ok(
          ignore.some((l) => l === `!${top}` || l === `!${top}/`),
          `${top} is let into the build context`,
        );
      }
    }
  });
});
