/**
 * The scope part of every dataset query, written once: zone queries name up to 10 zones in `zoneTag_in`, account
 * queries exactly one account (Cloudflare's limits). The dataset supplies only its node's selection.
 */
import { parse, visit, type FieldNode } from "graphql";
import type { Owner, Scope, Window } from "./dataset.js";
import { asArray, asObject } from "./shape.js";

export const MAX_ZONES_PER_QUERY = 10;

export function scopedQuery(scope: Scope, operation: string, timeType: "Time" | "Date", selection: string): string {
  if (scope === "zone") {
    return `query ${operation}($zoneTags: [string!], $from: ${timeType}!, $to: ${timeType}!, $limit: uint64!) {
  viewer {
    zones(filter: { zoneTag_in: $zoneTags }, limit: ${MAX_ZONES_PER_QUERY}) {
      zoneTag
      ${selection}
    }
  }
}`;
  }
  return `query ${operation}($accountTag: string!, $from: ${timeType}!, $to: ${timeType}!, $limit: uint64!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      accountTag
      ${selection}
    }
  }
}`;
}

/** `$from`/`$to` in the form the node's filter takes: an ISO instant, or a day for the daily rollup. */
export function timeVariable(ms: number, timeType: "Time" | "Date"): string {
  const text = new Date(ms).toISOString();
  return timeType === "Date" ? text.slice(0, 10) : text.replace(".000Z", "Z");
}

/** The variables of one window's query for the given owners (all of one scope). */
export function queryVariables(scope: Scope, owners: readonly Owner[], window: Window, timeType: "Time" | "Date", limit: number): Record<string, unknown> {
  const time = { from: timeVariable(window.from, timeType), to: timeVariable(window.to, timeType), limit };
  if (scope === "zone") return { zoneTags: owners.map((o) => o.id), ...time };
  if (owners.length !== 1) throw new RangeError(`an account query names exactly one account, not ${owners.length}`);
  return { accountTag: owners[0]!.id, ...time };
}

/** Owner id -> its object in the answer (`viewer.zones[]` or `viewer.accounts[]`). */
export function ownerObjects(scope: Scope, viewer: Record<string, unknown>): Map<string, unknown> {
  const list = scope === "zone" ? "zones" : "accounts";
  const tagField = scope === "zone" ? "zoneTag" : "accountTag";
  const found = new Map<string, unknown>();
  for (const item of asArray(viewer[list] ?? [], `viewer.${list}`)) {
    const tag = asObject(item, `viewer.${list}[]`)[tagField];
    if (typeof tag === "string") found.set(tag, item);
  }
  return found;
}

/** The fields every document of an owner carries. */
export function ownerFields(owner: Owner): Record<string, string> {
  return owner.scope === "zone"
    ? { "cloudflare.zone.id": owner.id, "cloudflare.zone.name": owner.name }
    : { "cloudflare.account.id": owner.id, "cloudflare.account.name": owner.name };
}

/**
 * Leaf fields a query selects under `node` (dimensions, figures, the fields inside each map): what Cloudflare's
 * `maxNumberOfFields` caps. Cloudflare does not publish how it counts; leaves are the reading its own settings
 * example and the 30-leaf rollup query (accepted at a cap of 30) agree with.
 */
export function selectedLeaves(query: string, node: string): number {
  const key = `${node}\n${query}`;
  const known = leafCounts.get(key);
  if (known !== undefined) return known;
  let leaves = 0;
  let depth = 0;
  visit(parse(query), {
    Field: {
      enter(field: FieldNode) {
        if (depth > 0 && !field.selectionSet) leaves++;
        if (depth > 0 || field.name.value === node) depth++;
      },
      leave() {
        if (depth > 0) depth--;
      },
    },
  });
  leafCounts.set(key, leaves);
  return leaves;
}

/** Queries are few and repeat for every owner: each is parsed once. */
const leafCounts = new Map<string, number>();
