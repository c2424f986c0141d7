/**
 * Each zone's limits per dataset, read from Cloudflare's `settings` node: whether the plan allows the dataset, the
 * widest window (`maxDuration`), how far back (`notOlderThan`) and the largest page (`maxPageSize`). These decide
 * every window we ask for, so they are read at the start of each run rather than assumed.
 */
import type { Zone } from "../config/types.js";
import { asArray, asCount, asObject, asText } from "../datasets/shape.js";
import type { DatasetLimits } from "../plan.js";
import type { CloudflareClient } from "./client.js";
import { CloudflareError } from "./errors.js";

export const MAX_ZONES_PER_QUERY = 10;

/** zone id -> node -> limits */
export type ZoneLimits = Map<string, Map<string, DatasetLimits>>;

export function settingsQuery(nodes: readonly string[]): string {
  const selection = nodes.map((n) => `${n} { enabled maxDuration maxPageSize notOlderThan }`).join(" ");
  return `query ZoneSettings($zoneTags: [string!]) {
  viewer { zones(filter: { zoneTag_in: $zoneTags }, limit: ${MAX_ZONES_PER_QUERY}) { zoneTag settings { ${selection} } } }
}`;
}

export async function readZoneLimits(client: CloudflareClient, zones: readonly Zone[], nodes: readonly string[]): Promise<ZoneLimits> {
  const result: ZoneLimits = new Map();
  for (let i = 0; i < zones.length; i += MAX_ZONES_PER_QUERY) {
    let batch = zones.slice(i, i + MAX_ZONES_PER_QUERY);
    let viewer: Record<string, unknown> | undefined;
    while (batch.length > 0 && !viewer) {
      try {
        viewer = await client.viewer({
          context: `settings of ${batch.map((z) => z.name).join(", ")}`,
          query: settingsQuery(nodes),
          variables: { zoneTags: batch.map((z) => z.id) },
          cost: batch.length,
        });
      } catch (error) {
        // One zone the token does not cover fails the whole query; leave it out (it has no limits) and ask again.
        const named = error instanceof CloudflareError && error.kind === "access" ? batch.filter((z) => error.zoneIds.includes(z.id)) : [];
        if (named.length === 0) throw error;
        batch = batch.filter((z) => !named.includes(z));
      }
    }
    if (!viewer) continue;
    for (const zoneObject of asArray(viewer.zones, "viewer.zones")) {
      const zone = asObject(zoneObject, "zone");
      const settings = asObject(zone.settings, "zone.settings");
      const perNode = new Map<string, DatasetLimits>();
      for (const node of nodes) {
        const s = asObject(settings[node], `settings.${node}`);
        perNode.set(node, {
          enabled: s.enabled === true,
          maxDurationSeconds: asCount(s.maxDuration, `settings.${node}.maxDuration`),
          notOlderThanSeconds: asCount(s.notOlderThan, `settings.${node}.notOlderThan`),
          maxPageSize: asCount(s.maxPageSize, `settings.${node}.maxPageSize`),
        });
      }
      result.set(asText(zone.zoneTag, "zone.zoneTag"), perNode);
    }
  }
  return result;
}
