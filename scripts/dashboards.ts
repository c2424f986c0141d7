/**
 * The Grafana dashboards live in dashboards/*.json; Helm can only read files inside the chart, so the chart carries
 * copies in charts/cloudflare-es-exporter/dashboards/. (A symlink would work for `helm install` from a checkout, but
 * Helm logs a warning for every symlink it follows and symlinks do not survive every checkout.) `npm run dashboards`
 * brings the copies up to date; test/unit/chart-dashboards.test.ts fails while they differ.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface DashboardSync {
  /** Dashboards missing from the chart or different there. */
  copy: string[];
  /** Copies in the chart without a source any more. */
  remove: string[];
}

function jsonFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
}

export function dashboardPaths(root: string): { source: string; chart: string } {
  return { source: join(root, "dashboards"), chart: join(root, "charts", "cloudflare-es-exporter", "dashboards") };
}

export function planDashboardSync(root: string): DashboardSync {
  const { source, chart } = dashboardPaths(root);
  const sources = jsonFiles(source);
  const copies = new Set(jsonFiles(chart));
  return {
    copy: sources.filter((f) => !copies.has(f) || !readFileSync(join(source, f)).equals(readFileSync(join(chart, f)))),
    remove: [...copies].filter((f) => !sources.includes(f)),
  };
}

export function syncDashboards(root: string): DashboardSync {
  const plan = planDashboardSync(root);
  const { source, chart } = dashboardPaths(root);
  if (plan.copy.length > 0) mkdirSync(chart, { recursive: true });
  for (const file of plan.copy) copyFileSync(join(source, file), join(chart, file));
  for (const file of plan.remove) rmSync(join(chart, file));
  return plan;
}
