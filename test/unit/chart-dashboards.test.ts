/**
 * Grafana dashboards ship with the chart as ConfigMaps for Grafana's dashboard sidecar. Helm reads only files inside
 * the chart, so dashboards/*.json are copied into it (`npm run dashboards`); these tests fail while a copy is stale.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dashboardPaths, planDashboardSync, syncDashboards } from "../../scripts/dashboards.js";
import { chartDir, ciValues, find, render } from "../support/chart.js";
import { repoRoot } from "../support/paths.js";

const chartDashboards = join(chartDir, "dashboards");
const shipped = (): string[] => {
  try {
    return readdirSync(chartDashboards)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch {
    return [];
  }
};

describe("chart: Grafana dashboards", () => {
  it("the chart's copies equal dashboards/*.json (run `npm run dashboards` after changing a dashboard)", () => {
    const plan = planDashboardSync(repoRoot);
    assert.deepEqual(plan, { copy: [], remove: [] }, "stale copies in charts/cloudflare-es-exporter/dashboards: run `npm run dashboards`");
  });

  it("one ConfigMap per dashboard, labelled for the sidecar, holding the dashboard unchanged", () => {
    const { manifests } = render({ valuesFiles: [ciValues("minimal")], values: { dashboards: { enabled: true } } });
    const maps = find(manifests, "ConfigMap", (m) => m.metadata.labels["app.kubernetes.io/component"] === "dashboards");
    assert.equal(maps.length, shipped().length);
    for (const file of shipped()) {
      const map = maps.find((m) => file in m.data);
      assert.ok(map, `a ConfigMap holds ${file}`);
      assert.equal(map.metadata.labels.grafana_dashboard, "1");
      assert.equal(map.metadata.namespace, "observability");
      assert.equal(map.data[file], readFileSync(join(chartDashboards, file), "utf8").replace(/\n+$/, ""));
      JSON.parse(map.data[file]);
      assert.ok(map.metadata.name.length <= 63);
      // The API server refuses ConfigMaps over 1 MiB.
      assert.ok(Buffer.byteLength(JSON.stringify(map)) < 1024 * 1024, `${file} fits in a ConfigMap`);
    }
    assert.equal(new Set(maps.map((m) => m.metadata.name)).size, maps.length, "names are unique");
  });

  it("label, value, namespace and annotations are configurable; off means none", () => {
    const values = {
      dashboards: {
        enabled: true,
        label: "grafana.example/dashboard",
        labelValue: "cloudflare",
        namespace: "monitoring",
        annotations: { grafana_folder: "Cloudflare" },
      },
    };
    const { manifests } = render({ valuesFiles: [ciValues("minimal")], values });
    for (const map of find(manifests, "ConfigMap", (m) => m.metadata.labels["app.kubernetes.io/component"] === "dashboards")) {
      assert.equal(map.metadata.labels["grafana.example/dashboard"], "cloudflare");
      assert.equal(map.metadata.namespace, "monitoring");
      assert.equal(map.metadata.annotations.grafana_folder, "Cloudflare");
    }
    const off = render({ valuesFiles: [ciValues("minimal")], values: { dashboards: { enabled: false } } }).manifests;
    assert.equal(find(off, "ConfigMap", (m) => m.metadata.labels["app.kubernetes.io/component"] === "dashboards").length, 0);
  });

  it("the sync copies new and changed dashboards and removes copies whose source is gone", () => {
    const root = mkdtempSync(join(tmpdir(), "cfe-dashboards-"));
    try {
      const { source, chart } = dashboardPaths(root);
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, "a.json"), '{"title":"A"}\n');
      writeFileSync(join(source, "b.json"), '{"title":"B"}\n');
      writeFileSync(join(source, "notes.md"), "not a dashboard");
      assert.deepEqual(planDashboardSync(root), { copy: ["a.json", "b.json"], remove: [] });
      syncDashboards(root);
      assert.deepEqual(readdirSync(chart).sort(), ["a.json", "b.json"]);
      assert.deepEqual(planDashboardSync(root), { copy: [], remove: [] });
      writeFileSync(join(source, "a.json"), '{"title":"A2"}\n');
      rmSync(join(source, "b.json"));
      assert.deepEqual(planDashboardSync(root), { copy: ["a.json"], remove: ["b.json"] });
      syncDashboards(root);
      assert.deepEqual(readdirSync(chart), ["a.json"]);
      assert.equal(readFileSync(join(chart, "a.json"), "utf8"), '{"title":"A2"}\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
