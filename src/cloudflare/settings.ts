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

/** owner id -> node -> limits */
export type OwnerLimits = Map<string, Map<string, DatasetLimits>>;

const selectionOf = (nodes: readonly string[]): string =>
  nodes.map((n) => `${n} { enabled maxDuration maxNumberOfFields maxPageSize notOlderThan availableFields }`).join(" ");

/**
 * Bounds on what `settings` may claim. Cloudflare keeps nothing longer than a year (365 days of daily rollups) and
 * documents pages of at most 10,000 rows; a value beyond these is a broken or hostile answer, and taken at its word
 * it would plan thousands of queries, or hang planning, or ask for pages no pod can hold.
 */
const SANE = { maxHistorySeconds: 400 * 86_400, maxPageSize: 10_000 } as const;

/** Limits as Cloudflare reported them, clamped to what is sane, and a warning for each value that was changed. */
export function saneLimits(node: string, raw: DatasetLimits): { limits: DatasetLimits; warnings: string[] } {
  const warnings: string[] = [];
  const clamp = (name: string, value: number, min: number, max: number, why: string): number => {
    const clamped = Math.min(max, Math.max(min, value));
    if (clamped !== value) warnings.push(`settings.${node}.${name} is ${value}; using ${clamped} (${why})`);
    return clamped;
  };
  const notOlderThanSeconds = clamp("notOlderThan", raw.notOlderThanSeconds, 0, SANE.maxHistorySeconds, "Cloudflare keeps no history longer than a year");
  return {
    limits: {
      ...raw,
      notOlderThanSeconds,
      maxDurationSeconds: clamp("maxDuration", raw.maxDurationSeconds, 0, notOlderThanSeconds, "a window cannot reach further back than notOlderThan"),
      maxPageSize: clamp("maxPageSize", raw.maxPageSize, 1, SANE.maxPageSize, `Cloudflare documents pages of 1 to ${SANE.maxPageSize} rows`),
    },
    warnings,
  };
}

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

/**
 * Limits of every owner (all of one scope) for the given nodes; an owner the token cannot see gets no entry. Values
 * beyond sane bounds are clamped and reported through `warn`.
 */
export async function readLimits(
  client: CloudflareClient,
  scope: Scope,
  owners: readonly Owner[],
  nodes: readonly string[],
  warn: (message: string) => void = () => {},
): Promise<OwnerLimits> {
  const result: OwnerLimits = new Map();
  if (nodes.length === 0) return result;
  const perRequest = client.ownersPerRequest(scope);
  for (let i = 0; i < owners.length; i += perRequest) {
    let batch = owners.slice(i, i + perRequest);
    let viewer: Record<string, unknown> | undefined;
    while (batch.length > 0 && !viewer) {
      try {
        viewer = await client.viewer({
          context: `settings of ${batch.map((o) => o.name).join(", ")}`,
          query: settingsQuery(scope, nodes),
          variables: scope === "zone" ? { zoneTags: batch.map((o) => o.id) } : { accountTag: batch[0]!.id },
          // Cloudflare counts scopes x dataset nodes; `settings` is no dataset node (our reading, and the simulator's
          // model). Were it counted per zone, 300 zones would spend a whole budget on settings alone every run.
          cost: 0,
        });
      } catch (error) {
        // One owner the token does not cover fails the whole query; leave it out (it has no limits) and ask again.
        const named =
          error instanceof CloudflareError && error.kind === "access"
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
        const { limits, warnings } = saneLimits(node, {
          enabled: s.enabled === true,
          maxDurationSeconds: asCount(s.maxDuration, `settings.${node}.maxDuration`),
          notOlderThanSeconds: asCount(s.notOlderThan, `settings.${node}.notOlderThan`),
          maxPageSize: asCount(s.maxPageSize, `settings.${node}.maxPageSize`),
          // Not every answer carries it; without it nothing is known to cap the fields of a query.
          maxNumberOfFields:
            s.maxNumberOfFields === undefined || s.maxNumberOfFields === null ? undefined : asCount(s.maxNumberOfFields, `settings.${node}.maxNumberOfFields`),
          // The documented form is `sum_requests`; a dotted form has been seen in the wild, so both are accepted.
          availableFields: new Set(
            asArray(s.availableFields ?? [], `settings.${node}.availableFields`).map((f) => asText(f, "availableFields[]").replace(/\./g, "_")),
          ),
        });
        for (const warning of warnings) warn(`${scope} ${String(owner[scope === "zone" ? "zoneTag" : "accountTag"])}: ${warning}`);
        perNode.set(node, limits);
      }
      result.set(asText(owner[scope === "zone" ? "zoneTag" : "accountTag"], `${scope}Tag`), perNode);
    }
  }
  return result;
}
