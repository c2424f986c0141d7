/**
 * The chart renders for every values file in its ci/ folder, passes `helm lint --strict`, and every rendered object is
 * valid for the oldest Kubernetes the chart supports (Chart.yaml's kubeVersion) and the newest release, checked by
 * kubeconform in strict mode (unknown fields are errors) against offline schemas.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { chartDir, ciValuesDir, lint, tryRender } from "../support/chart.js";
import { KUBE_VERSIONS, runTool, schemaLocation, tool } from "../support/tools.js";

const valuesFiles = readdirSync(ciValuesDir)
  .filter((f) => f.endsWith("-values.yaml"))
  .sort();

describe("chart: lint, render, validate", () => {
  it("has values files for every scenario the issue names", () => {
    for (const name of ["minimal", "existing-secret", "created-secret", "api-key", "gate", "backfill", "custom-ca"]) {
      assert.ok(valuesFiles.includes(`${name}-values.yaml`), `ci/${name}-values.yaml exists`);
    }
  });

  it("declares the kubeVersion floor the schemas are checked against", () => {
    const chart = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as { kubeVersion: string; appVersion: string };
    assert.equal(chart.kubeVersion, `>=${KUBE_VERSIONS[0]}-0`);
    const pkg = JSON.parse(readFileSync(join(chartDir, "..", "..", "package.json"), "utf8")) as { version: string };
    assert.equal(chart.appVersion, pkg.version, "appVersion follows package.json");
  });

  for (const file of valuesFiles) {
    describe(file, () => {
      it("helm lint --strict", () => {
        for (const kubeVersion of KUBE_VERSIONS) {
          const result = lint({ valuesFiles: [join(ciValuesDir, file)], kubeVersion });
          assert.equal(result.status, 0, result.output);
          assert.doesNotMatch(result.output, /\[(WARNING|ERROR)\]/, result.output);
        }
      });

      for (const kubeVersion of KUBE_VERSIONS) {
        it(`every object is valid for Kubernetes ${kubeVersion} (kubeconform -strict)`, () => {
          const rendered = tryRender({ valuesFiles: [join(ciValuesDir, file)], kubeVersion });
          assert.ok(rendered.ok, rendered.ok ? "" : rendered.message);
          const result = runTool(
            tool("kubeconform"),
            ["-strict", "-summary", "-output", "text", "-kubernetes-version", kubeVersion, "-schema-location", schemaLocation(), "-"],
            rendered.rendered.stdout,
          );
          assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
          const count = rendered.rendered.manifests.length;
          assert.match(result.stdout, new RegExp(`${count} resources? found .* Valid: ${count}, Invalid: 0, Errors: 0, Skipped: 0`), result.stdout);
        });
      }
    });
  }

  it("refuses a Kubernetes older than its kubeVersion", () => {
    const result = tryRender({ valuesFiles: [join(ciValuesDir, "minimal-values.yaml")], kubeVersion: "1.26.0" });
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.message, /kubeVersion/);
  });
});
