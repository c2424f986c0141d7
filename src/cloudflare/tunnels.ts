/**
 * The tunnels of one account from Cloudflare's REST API: `GET /accounts/{id}/cfd_tunnel?is_deleted=false`, every page,
 * over the same REST wire as discovery (pacing, `Ratelimit`/`retry-after`, retries of 429 and 5xx). Deleted tunnels are
 * left out explicitly (Cloudflare's default changed on 2025-12-01; `is_deleted=false` means the same before and after).
 * A refusal (HTTP 403, code 9109 or 10000: the token lacks Cloudflare Tunnel Read) is a `CloudflareError` of kind
 * `access` whose fix names that permission.
 */
import type { ListedTunnel } from "../datasets/tunnels.js";
import { listAll } from "./discovery.js";
import { CloudflareError } from "./errors.js";
import type { RestClient } from "./rest.js";

/** What the token needs (Cloudflare's API reference lists it among the accepted permissions of the tunnel list). */
const TUNNEL_PERMISSION = "Account > Cloudflare Tunnel > Read";

export async function listTunnels(client: RestClient, accountId: string, warnings: string[], concurrency = 2): Promise<ListedTunnel[]> {
  const what = `listing the tunnels of account ${accountId}`;
  try {
    return await listAll(client, `/accounts/${encodeURIComponent(accountId)}/cfd_tunnel`, { is_deleted: "false" }, what, tunnelOf, concurrency, warnings);
  } catch (error) {
    if (error instanceof CloudflareError && error.kind === "access") {
      throw new CloudflareError(error.message, "access", [], {
        cause: error,
        fix: `give the token ${TUNNEL_PERMISSION} on this account, or leave tunnels out of CF_DATASETS`,
      });
    }
    throw error;
  }
}

function malformed(message: string): CloudflareError {
  return new CloudflareError(`Cloudflare's tunnel list: ${message}`, "malformed");
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string" || value.trim() === "") throw malformed(`${where} is not a non-empty text`);
  return value;
}

/** One listed tunnel, shape-checked; an id goes into document ids, so it is a short plain token (a UUID). */
export function tunnelOf(item: unknown, where: string): ListedTunnel {
  if (typeof item !== "object" || item === null || Array.isArray(item)) throw malformed(`${where} is not an object`);
  const tunnel = item as Record<string, unknown>;
  const id = text(tunnel.id, `${where}: id`);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw malformed(`${where}: id ${JSON.stringify(id.slice(0, 80))} is not a tunnel id`);
  const raw = tunnel.connections ?? [];
  if (!Array.isArray(raw)) throw malformed(`${where}: connections is not a list`);
  const connections = raw.map((c: unknown, i) => {
    if (typeof c !== "object" || c === null) throw malformed(`${where}: connection ${i + 1} is not an object`);
    const { colo_name: colo, is_pending_reconnect: pending } = c as Record<string, unknown>;
    return { colo: typeof colo === "string" && colo !== "" ? colo : undefined, pendingReconnect: pending === true };
  });
  return { id, name: text(tunnel.name, `${where}: name`), status: text(tunnel.status, `${where}: status`), connections };
}
