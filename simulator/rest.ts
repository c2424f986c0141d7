/**
 * A fake of the REST endpoints the exporter reads: discovery's `GET /client/v4/accounts` and `GET /client/v4/zones`,
 * and the tunnel list `GET /client/v4/accounts/{id}/cfd_tunnel` (options `tunnels`, `tunnelsRefused`), beside the
 * GraphQL endpoint on the same origin (as at api.cloudflare.com). It answers a request in this order: injected fault,
 * rate limit, authentication, method and parameters, the listing mode, the page. Answers use Cloudflare's envelope
 * `{success, errors: [{code, message}], messages, result, result_info}`.
 *
 * Sources: the OpenAPI operations `zones-get` and `accounts-list-accounts` (cloudflare/api-schemas: `page` from 1,
 * `per_page` 5 to 50, default 20; `status` one of initializing/pending/active/moved; `account.id`; result_info with
 * page, per_page, count, total_count, total_pages); Cloudflare's API limits page (1,200 requests per 5 minutes per user;
 * `Ratelimit`, `Ratelimit-Policy` and `retry-after` headers); error codes and bodies seen in client threads, cited where
 * they are used. The zone objects carry the fields of `zones_zone`, so their size is realistic.
 */
import type { IncomingMessage } from "node:http";
import { QueryBudget } from "./faults.js";
import type { ListingMode, RestAccount, RestFault, RestZone, SimTunnel, SimTunnelStatus, SimulatorConfig } from "./options.js";

/** `/zones`, `/accounts`, and `/accounts/{id}/cfd_tunnel` (the tunnel list of one account). */
export const REST_ROUTE = /^\/client\/v4\/(?:(zones|accounts)|accounts\/([^/?]+)\/(cfd_tunnel))\/?(?:\?.*)?$/;

type RestPath = RestFault["path"];

export interface RestLogEntry {
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly query: string;
  status: number;
  /** Real time of arrival, epoch ms. */
  readonly at: number;
}

export interface RestStats {
  /** HTTP requests to the REST endpoints. */
  requests: number;
  statuses: Record<number, number>;
  /** Requests refused by `restBudgetPerFiveMinutes`. */
  budgetRejections: number;
  /** Injected REST faults. */
  faults: number;
  /** Every request, oldest first (the oldest dropped beyond 10,000). */
  log: RestLogEntry[];
}

export interface RestAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

const WINDOW_S = 300;
const MAX_LOG = 10_000;

export function emptyRestStats(): RestStats {
  return { requests: 0, statuses: {}, budgetRejections: 0, faults: 0, log: [] };
}

const envelope = (result: unknown, resultInfo?: object): string =>
  JSON.stringify({ success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) });
const failure = (errors: readonly { code: number; message: string; error_chain?: { code: number; message: string }[] }[]): string =>
  JSON.stringify({ success: false, errors, messages: [], result: null });

export class RestSimulator {
  private readonly budget = new QueryBudget();
  private readonly used = new Map<RestFault, number>();

  constructor(
    private readonly config: SimulatorConfig,
    readonly stats: RestStats,
  ) {}

  reset(): void {
    this.budget.reset();
    this.used.clear();
  }

  answer(req: IncomingMessage): RestAnswer {
    const url = new URL(req.url ?? "/", "http://simulator");
    const match = REST_ROUTE.exec(url.pathname);
    const account = match?.[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const path: RestPath = account === undefined ? (`/${match?.[1] ?? ""}` as "/zones" | "/accounts") : "/cfd_tunnel";
    const entry: RestLogEntry = {
      path: account === undefined ? path : `/accounts/${account}/cfd_tunnel`,
      query: url.search.slice(1),
      status: 0,
      at: Date.now(),
    };
    this.stats.requests++;
    this.stats.log.push(entry);
    if (this.stats.log.length > MAX_LOG) this.stats.log.shift();
    const answer = this.decide(req, url, path, account);
    entry.status = answer.status;
    this.stats.statuses[answer.status] = (this.stats.statuses[answer.status] ?? 0) + 1;
    return answer;
  }

  private decide(req: IncomingMessage, url: URL, path: RestPath, account: string | undefined): RestAnswer {
    const page = Number(url.searchParams.get("page") ?? "1");
    const fault = this.config.restFaults.find(
      (f) => f.path === path && (f.page === undefined || f.page === page) && (this.used.get(f) ?? 0) < (f.times ?? Infinity),
    );
    if (fault) {
      this.used.set(fault, (this.used.get(fault) ?? 0) + 1);
      this.stats.faults++;
      return faultAnswer(fault, () => this.answer200(url, path, account));
    }

    const now = Date.now();
    const limit = this.config.restBudgetPerFiveMinutes;
    if (!this.budget.charge(1, limit, now)) {
      this.stats.budgetRejections++;
      const body = failure([
        { code: 10100, message: "More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed" },
      ]);
      return { status: 429, body, headers: { ...this.limitHeaders(now), "retry-after": String(this.secondsUntilRoom(now)) } };
    }
    const refused = authProblem(req, this.config.tokens);
    if (refused) return { ...refused, headers: this.limitHeaders(now) };
    if (req.method !== "GET")
      return { status: 405, body: failure([{ code: 10405, message: "Method not allowed for this endpoint" }]), headers: this.limitHeaders(now) };
    return { ...this.answer200(url, path, account), headers: this.limitHeaders(now) };
  }

  /** The answer without faults, limits and authentication: a page, or a refusal by listing mode or parameters. */
  private answer200(url: URL, path: RestPath, account: string | undefined): { status: number; body: string } {
    if (path === "/cfd_tunnel") return this.tunnelPage(url, account ?? "");
    const mode: ListingMode = path === "/zones" ? this.config.zonesListing : this.config.accountsListing;
    if (mode === "forbidden") return { status: 403, body: failure([{ code: 9109, message: "Unauthorized to access requested resource" }]) };
    if (mode === "account-token")
      return { status: 400, body: failure([{ code: 1001, message: "List accounts endpoint does not support account owned tokens." }]) };
    const page = Number(url.searchParams.get("page") ?? "1");
    const perPage = Number(url.searchParams.get("per_page") ?? "20");
    // The OpenAPI bounds; the code and wording of Cloudflare's refusal are our model.
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 5 || perPage > 50) {
      return { status: 400, body: failure([{ code: 1004, message: "page must be a whole number from 1, per_page from 5 to 50" }]) };
    }
    const status = url.searchParams.get("status");
    const accountId = url.searchParams.get("account.id");
    // Objects are built for the page only: 10,000 zones are 200 pages, and each page must stay cheap.
    const zones = this.config.zones.filter((z) => (status === null || (z.status ?? "active") === status) && (accountId === null || z.account.id === accountId));
    const total = path === "/accounts" ? this.config.accounts.length : zones.length;
    const from = (page - 1) * perPage;
    const result =
      path === "/accounts"
        ? this.config.accounts.slice(from, from + perPage).map(accountObject)
        : zones.slice(from, from + perPage).map((z) => zoneObject(z, this.config.plans[z.id] ?? "enterprise"));
    const info = { page, per_page: perPage, count: result.length, total_count: total, total_pages: Math.ceil(total / perPage) };
    return { status: 200, body: envelope(result, info) };
  }

  /**
   * One page of an account's tunnels at the simulator's minute. `is_deleted=false` (the exporter's) and no
   * `is_deleted` both list the tunnels, which are never deleted here; `is_deleted=true` lists none. Page sizes: our
   * model accepts 1 to 1,000 (Cloudflare's reference gives no bound for this list).
   */
  private tunnelPage(url: URL, account: string): { status: number; body: string } {
    if (this.config.tunnelsRefused.includes(account)) return { status: 403, body: failure([{ code: 10000, message: "Authentication error" }]) };
    const page = Number(url.searchParams.get("page") ?? "1");
    const perPage = Number(url.searchParams.get("per_page") ?? "20");
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1 || perPage > 1000) {
      return { status: 400, body: failure([{ code: 1004, message: "page must be a whole number from 1, per_page from 1 to 1000" }]) };
    }
    const all = url.searchParams.get("is_deleted") === "true" ? [] : (this.config.tunnels[account] ?? []);
    const now = this.config.now();
    const from = (page - 1) * perPage;
    const result = all.slice(from, from + perPage).map((t) => tunnelObject(t, account, now));
    const info = { page, per_page: perPage, count: result.length, total_count: all.length, total_pages: Math.ceil(all.length / perPage) };
    return { status: 200, body: envelope(result, info) };
  }

  /** `Ratelimit: "default";r=<left>;t=<seconds>` and `Ratelimit-Policy: "default";q=<limit>;w=300`, as documented. */
  private limitHeaders(now: number): Record<string, string> {
    const limit = this.config.restBudgetPerFiveMinutes;
    const left = Math.max(0, limit - this.budget.used(now));
    return { ratelimit: `"default";r=${left};t=${this.secondsUntilRoom(now)}`, "ratelimit-policy": `"default";q=${limit};w=${WINDOW_S}` };
  }

  private secondsUntilRoom(now: number): number {
    const oldest = this.budget.oldest();
    return oldest === undefined ? 1 : Math.max(1, Math.ceil((oldest + WINDOW_S * 1000 - now) / 1000));
  }
}

/**
 * Refused credentials, as REST answers them (HTTP 400): no credentials at all, 9106; a malformed `Authorization`,
 * 6003 with 6111 in its chain; a global key that is not 37 hex characters (a token put there), 6003 with 6103
 * (lablabs/cloudflare-exporter#5); a well-formed token that is not one of `tokens`, 1000 "Invalid API Token".
 */
function authProblem(req: IncomingMessage, tokens: readonly string[] | undefined): { status: number; body: string } | undefined {
  const header = req.headers.authorization;
  const email = req.headers["x-auth-email"];
  const key = req.headers["x-auth-key"];
  const invalid = (code: number, message: string) => ({
    status: 400,
    body: failure([{ code: 6003, message: "Invalid request headers", error_chain: [{ code, message }] }]),
  });
  if (header !== undefined) {
    const token = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header)?.[1];
    if (!token) return invalid(6111, "Invalid format for Authorization header");
    if (tokens && !tokens.includes(token)) return { status: 400, body: failure([{ code: 1000, message: "Invalid API Token" }]) };
    return undefined;
  }
  if (typeof key === "string") {
    if (!/^[0-9a-f]{37}$/i.test(key)) return invalid(6103, "Invalid format for X-Auth-Key header");
    if (typeof email !== "string" || !email.includes("@")) return invalid(6102, "Invalid format for X-Auth-Email header");
    return undefined;
  }
  return { status: 400, body: failure([{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }]) };
}

function faultAnswer(fault: RestFault, real: () => { status: number; body: string }): RestAnswer {
  switch (fault.kind) {
    case "http500":
      return { status: 500, body: failure([{ code: 10001, message: "Internal server error" }]), headers: {} };
    case "http503":
      return { status: 503, body: failure([{ code: 10013, message: "Service temporarily unavailable" }]), headers: {} };
    case "http429":
      return {
        status: 429,
        body: failure([{ code: 10100, message: "More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed" }]),
        headers: { "retry-after": String(fault.retryAfter ?? 1) },
      };
    case "html502":
      return { status: 502, body: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>", headers: {} };
    case "truncated": {
      const body = real().body;
      return { status: 200, body: body.slice(0, Math.max(1, Math.floor(body.length / 2))), headers: {} };
    }
  }
}

const PLAN_NAMES = { free: "Free Website", pro: "Pro Website", business: "Business Website", enterprise: "Enterprise Website" } as const;
const CREATED = "2024-03-01T09:00:00.000000Z";

/** A zone with the fields of Cloudflare's `zones_zone` object (values made up, shapes as documented). */
function zoneObject(zone: RestZone, plan: keyof typeof PLAN_NAMES): object {
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status ?? "active",
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: ["ns1.registrar.example", "ns2.registrar.example"],
    original_registrar: "registrar.example",
    original_dnshost: null,
    modified_on: CREATED,
    created_on: CREATED,
    activated_on: (zone.status ?? "active") === "active" ? CREATED : null,
    vanity_name_servers: [],
    meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false, cdn_only: false, dns_only: false, foundation_dns: false },
    owner: { id: null, type: "organization", name: zone.account.name },
    account: { id: zone.account.id, name: zone.account.name },
    tenant: { id: null, name: null },
    tenant_unit: { id: null },
    permissions: ["#zone:read", "#analytics:read", "#zone_settings:read"],
    plan: {
      id: `${plan}0000000000000000000000000000`.slice(0, 32),
      name: PLAN_NAMES[plan],
      price: 0,
      currency: "USD",
      frequency: "",
      is_subscribed: true,
      can_subscribe: false,
      legacy_id: plan,
      legacy_discount: false,
      externally_managed: false,
    },
  };
}

/** A tunnel's status at `now` (the simulator's clock): its schedule's entry for that minute, healthy without one. */
export function tunnelAt(tunnel: SimTunnel, now: number): SimTunnelStatus {
  const schedule = (tunnel.schedule ?? []).filter((s) => s.minutes > 0);
  const cycle = schedule.reduce((n, s) => n + s.minutes, 0);
  if (cycle === 0) return "healthy";
  let at = Math.floor(now / 60_000) % cycle;
  for (const step of schedule) {
    if (at < step.minutes) return step.status;
    at -= step.minutes;
  }
  return "healthy";
}

/**
 * A tunnel with the fields of Cloudflare's `tunnel_cfd_tunnel`. Connections by status (our model): healthy, all of
 * them serving; degraded, one serving and the others pending reconnect; down, every one pending reconnect (Cloudflare
 * tracks dropped connections for several minutes); inactive (never run), none.
 */
function tunnelObject(tunnel: SimTunnel, account: string, now: number): object {
  const status = tunnelAt(tunnel, now);
  const colos = tunnel.colos ?? ["FRA", "AMS", "LHR", "CDG"];
  const n = status === "inactive" ? 0 : (tunnel.connections ?? 4);
  const connections = Array.from({ length: n }, (_, i) => ({
    colo_name: colos[i % colos.length],
    uuid: `${tunnel.id.slice(0, 24)}${String(i).padStart(12, "0")}`,
    id: `${tunnel.id.slice(0, 24)}${String(i).padStart(12, "0")}`,
    is_pending_reconnect: status === "down" || (status === "degraded" && i > 0),
    client_id: `${tunnel.id.slice(0, 24)}${"c".repeat(12)}`,
    client_version: "2025.11.1",
    opened_at: CREATED,
    origin_ip: "198.51.100.7",
  }));
  return {
    id: tunnel.id,
    account_tag: account,
    name: tunnel.name,
    status,
    tun_type: "cfd_tunnel",
    config_src: "cloudflare",
    remote_config: true,
    created_at: CREATED,
    deleted_at: null,
    conns_active_at: status === "inactive" ? null : CREATED,
    conns_inactive_at: status === "down" ? new Date(Math.floor(now / 60_000) * 60_000).toISOString() : null,
    metadata: {},
    connections,
  };
}

function accountObject(account: RestAccount): object {
  return {
    id: account.id,
    name: account.name,
    type: "standard",
    settings: { enforce_twofactor: false, api_access_enabled: null, access_approval_expiry: null, abuse_contact_email: null },
    created_on: CREATED,
  };
}
