/**
 * Each zone's and account's limits per dataset, read from Cloudflare's `settings` node: whether the plan allows the
 * dataset, the widest window (`maxDuration`), how far back (`notOlderThan`), the largest page (`maxPageSize`) and
 * which fields the plan offers (`availableFields`). These decide every window and query we send, so they are read at
 * the start of each run rather than assumed.
 */
import type { Owner, Scope } from "../datasets/dataset.js";
import { MAX_ZONES_PER_QUERY } from "../datasets/query.js";
import { asArray, asCount, asObject, asText } from "../datasets/shape.js";
import type { DatasetLimits } from "../plan.js";
import type { CloudflareClient } from "./client.js";
import { CloudflareError } from "./errors.js";

export { MAX_ZONES_PER_QUERY };

/** owner id -> node -> limits */
export type OwnerLimits = Map<string, Map<string, DatasetLimits>>;

const selectionOf = (nodes: readonly string[]): string =>
  nodes.map((n) => `${n} { enabled maxDuration maxPageSize notOlderThan availableFields }`).join(" ");

export function settingsQuery(scope: Scope, nodes: readonly string[]): string {
  if (scope === "zone") {
    return `query ZoneSettings($zoneTags: [string!]) {
  viewer { zones(filter: { zoneTag_in: $zoneTags }, limit: ${MAX_ZONES_PER_QUERY}) { zoneTag settings { ${selectionOf(nodes)} } } }
}`;
  }
  return `query AccountSettings($accountTag: string!) {
  viewer { accounts(filter: { accountTag: $accountTag }) { accountTag settings { ${selectionOf(nodes)} } } }
}`;
}

/** Limits of every owner (all of one scope) for the given nodes; an owner the token cannot see gets no entry. */
export async function readLimits(client: CloudflareClient, scope: Scope, owners: readonly Owner[], nodes: readonly string[]): Promise<OwnerLimits> {
  const result: OwnerLimits = new Map();
  if (nodes.length === 0) return result;
  const perRequest = scope === "zone" ? MAX_ZONES_PER_QUERY : 1;
  for (let i = 0; i < owners.length; i += perRequest) {
    let batch = owners.slice(i, i + perRequest);
    let viewer: Record<string, unknown> | undefined;
    while (batch.length > 0 && !viewer) {
      try {
        viewer = await client.viewer({
          context: `settings of ${batch.map((o) => o.name).join(", ")}`,
          query: settingsQuery(scope, nodes),
          variables: scope === "zone" ? { zoneTags: batch.map((o) => o.id) } : { accountTag: batch[0]!.id },
          cost: batch.length,
        });
      } catch (error) {
        // One owner the token does not cover fails the whole query; leave it out (it has no limits) and ask again.
        const named = error instanceof CloudflareError && error.kind === "access"
          ? batch.filter((o) => error.zoneIds.includes(o.id) || (scope === "account" && batch.length === 1))
          : [];
        if (named.length === 0) throw error;
        batch = batch.filter((o) => !named.includes(o));
      }
    }
    if (!viewer) continue;
    const list = scope === "zone" ? "zones" : "accounts";
    for (const item of asArray(viewer[list], `viewer.${list}`)) {
      const owner = asObject(item, scope);
      const settings = asObject(owner.settings, `${scope}.settings`);
      const perNode = new Map<string, DatasetLimits>();
      for (const node of nodes) {
        const s = asObject(settings[node], `settings.${node}`);
        perNode.set(node, {
          enabled: s.enabled === true,
          maxDurationSeconds: asCount(s.maxDuration, `settings.${node}.maxDuration`),
          notOlderThanSeconds: asCount(s.notOlderThan, `settings.${node}.notOlderThan`),
          maxPageSize: asCount(s.maxPageSize, `settings.${node}.maxPageSize`),
          // The documented form is `sum_requests`; a dotted form has been seen in the wild, so both are accepted.
          availableFields: new Set(asArray(s.availableFields ?? [], `settings.${node}.availableFields`).map((f) => asText(f, "availableFields[]").replace(/\./g, "_"))),
        });
      }
      result.set(asText(owner[scope === "zone" ? "zoneTag" : "accountTag"], `${scope}Tag`), perNode);
    }
  }
  return result;
}
