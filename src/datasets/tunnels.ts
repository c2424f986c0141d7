/**
 * `tunnels` (account scope): a snapshot of every Cloudflare Tunnel (cloudflared) of an account, as Cloudflare's REST
 * API lists it at the run's minute (`GET /accounts/{id}/cfd_tunnel?is_deleted=false`). Not a GraphQL dataset: there
 * is no history to fetch, only the present state, so each run stores the minute it ran in and nothing else; a minute
 * without a run stays without a snapshot. Documents are idempotent per minute: a rerun in the same minute writes the
 * same ids (and the sink deletes the entries of tunnels that disappeared meanwhile).
 *
 * The fields of a listed tunnel (Cloudflare's API reference, `tunnel_cfd_tunnel`): `id` (UUID), `name`, `status`
 * (`inactive`: never run; `degraded`: serving but unhealthy; `healthy`; `down`: no connection to the edge), and
 * `connections[]`, each with `colo_name` and `is_pending_reconnect` (a connection that dropped, still tracked for
 * several minutes). Cloudflare marks the list's `connections` deprecated in favour of a per-tunnel endpoint; an empty
 * list is stored as zero connections.
 */
import { dimension, label, metric, type FieldDecl } from "./fields.js";
import { documentId, type ExportDocument, type FieldValue } from "./document.js";
import { ecsFields } from "./fields.js";
import type { Owner } from "./dataset.js";

/** Cloudflare's four statuses, ranked by how bad they are: the worst of a bucket is its largest code. */
const TUNNEL_STATUSES = ["healthy", "inactive", "degraded", "down"] as const;
export type TunnelStatus = (typeof TUNNEL_STATUSES)[number];

/** A tunnel as listed: what the snapshot keeps of it. */
export interface ListedTunnel {
  readonly id: string;
  readonly name: string;
  /** One of Cloudflare's four, or what else it sent (kept, with status code -1, rather than dropped). */
  readonly status: string;
  readonly connections: readonly { readonly colo: string | undefined; readonly pendingReconnect: boolean }[];
}

const NAME = "tunnels";

const tunnelFields: readonly FieldDecl[] = [
  dimension("cloudflare.tunnel.id", "keyword", "Tunnel UUID (entries of breakdown `tunnel`; also their `cloudflare.key`)."),
  label("cloudflare.tunnel.name", "keyword", "Tunnel name as Cloudflare lists it."),
  label(
    "cloudflare.tunnel.status",
    "keyword",
    "Cloudflare's status at the snapshot's minute: `healthy`, `degraded` (serving, unhealthy), `down` (no connection to Cloudflare) or `inactive` (never run).",
  ),
  metric(
    "cloudflare.tunnel.status_code",
    "integer",
    "none",
    "The status as a number ranked by severity: 0 healthy, 1 inactive, 2 degraded, 3 down (-1 a status this exporter does not know); the largest of a bucket is its worst.",
  ),
  metric(
    "cloudflare.tunnel.connections",
    "integer",
    "level",
    "Connections Cloudflare lists for the tunnel, including those pending reconnect; on `total`: of all the account's tunnels.",
  ),
  metric(
    "cloudflare.tunnel.pending_reconnect",
    "integer",
    "level",
    "Of those, connections that dropped and are still tracked while Cloudflare waits for a reconnect (`is_pending_reconnect`).",
  ),
  label("cloudflare.tunnel.colos", "keyword", "Cloudflare data centres (colo names) of the tunnel's connections, each once, sorted."),
  metric("cloudflare.tunnel.count", "integer", "level", "On `total`: tunnels the account has (deleted ones not listed)."),
  ...TUNNEL_STATUSES.map((s) => metric(`cloudflare.tunnel.${s}`, "integer", "level", `On \`total\`: tunnels whose status is \`${s}\`.`)),
];

/** The dataset as the registry, the sink and docs/fields.md see it: a name, a scope, declared fields. */
export const tunnels = {
  name: NAME,
  scope: "account",
  kind: "snapshot",
  source: "REST `GET /accounts/{id}/cfd_tunnel`",
  description:
    "Snapshot of every Cloudflare Tunnel of an account at the run's minute (status, connections, data centres); Cloudflare keeps no history, so minutes without a run have none.",
  fields: tunnelFields,
} as const;

export const statusCode = (status: string): number => TUNNEL_STATUSES.indexOf(status as TunnelStatus);

/**
 * One snapshot: an entry per tunnel (breakdown `tunnel`, key its id) and the account's total, all stamped `minute`.
 * Pure; tunnels listed twice (numbered pages shift while read) are expected to be de-duplicated by the caller.
 */
export function flattenTunnels(listed: readonly ListedTunnel[], owner: Owner, minute: number): { entries: ExportDocument[]; totals: ExportDocument[] } {
  const base = (breakdown: string): Record<string, FieldValue> => ({
    "@timestamp": new Date(minute).toISOString(),
    "cloudflare.dataset": NAME,
    "cloudflare.account.id": owner.id,
    "cloudflare.account.name": owner.name,
    "cloudflare.breakdown": breakdown,
    ...ecsFields(NAME),
  });
  const doc = (breakdown: string, key: string, fields: Record<string, FieldValue>): ExportDocument => ({
    id: documentId([NAME, owner.id, new Date(minute).toISOString().slice(0, 16), breakdown, key]),
    dataset: NAME,
    timestamp: minute,
    fields,
  });
  const entries = listed.map((t) => {
    const pending = t.connections.filter((c) => c.pendingReconnect).length;
    const colos = [...new Set(t.connections.flatMap((c) => (c.colo ? [c.colo] : [])))].sort();
    return doc("tunnel", t.id, {
      ...base("tunnel"),
      "cloudflare.key": t.id,
      "cloudflare.tunnel.id": t.id,
      "cloudflare.tunnel.name": t.name,
      "cloudflare.tunnel.status": t.status,
      "cloudflare.tunnel.status_code": statusCode(t.status),
      "cloudflare.tunnel.connections": t.connections.length,
      "cloudflare.tunnel.pending_reconnect": pending,
      ...(colos.length > 0 ? { "cloudflare.tunnel.colos": colos } : {}),
    });
  });
  const counts = Object.fromEntries(TUNNEL_STATUSES.map((s) => [`cloudflare.tunnel.${s}`, listed.filter((t) => t.status === s).length]));
  const total = doc("total", "total", {
    ...base("total"),
    "cloudflare.tunnel.count": listed.length,
    ...counts,
    "cloudflare.tunnel.connections": listed.reduce((n, t) => n + t.connections.length, 0),
    "cloudflare.tunnel.pending_reconnect": listed.reduce((n, t) => n + t.connections.filter((c) => c.pendingReconnect).length, 0),
  });
  return { entries, totals: [total] };
}
