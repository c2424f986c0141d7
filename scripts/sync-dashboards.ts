/** Copies dashboards/*.json into the Helm chart (see dashboards.ts for why copies). */
import { syncDashboards } from "./dashboards.js";
import { repoRoot } from "../test/support/paths.js";

const { copy, remove } = syncDashboards(repoRoot);
for (const file of copy) console.log(`copied dashboards/${file} into charts/cloudflare-es-exporter/dashboards/`);
for (const file of remove) console.log(`removed charts/cloudflare-es-exporter/dashboards/${file} (no such dashboard any more)`);
if (copy.length === 0 && remove.length === 0) console.log("the chart's dashboards are up to date");
