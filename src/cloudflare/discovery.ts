/**
 * Discovery: with neither CF_ZONES nor CF_ACCOUNTS, the zones and accounts of a run are the ones the credentials can
 * read, listed once per run from Cloudflare's REST API (`GET /accounts`, `GET /zones?status=active`, every page),
 * with the names Cloudflare gives them, narrowed by the include/exclude filters. The result is the same `Zone[]` an
 * explicit list gives, so everything downstream is unchanged.
 *
 * A listing that fails (after the client's retries) fails discovery as a whole: Cloudflare's pages are numbered, not
 * cursors, so the pages that did arrive are no well-defined part of the list, and exporting "the zones we happened to
 * read" would look like a completed run. The run then fails before it writes anything, and the next one lists again.
 */
import { ConfigError, type ConfigProblem } from "../config/errors.js";
import type { CloudflareConfig, Zone } from "../config/types.js";
import { OWNER_ID_PATTERN } from "../config/zones.js";
import { CloudflareError } from "./errors.js";
import { createRestClient, type RestClient, type RestClientOptions } from "./rest.js";

/** A zone as listed: what filters and the account fallback need, nothing more (10,000 of these are about 2 MB). */
export interface ListedZone {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly account: Zone | undefined;
}

export interface Discovery {
  readonly zones: readonly Zone[];
  readonly accounts: readonly Zone[];
  /** What the credentials can read, before the filters: active zones, accounts (listed or, failing that, the zones'). */
  readonly seen: { readonly zones: number; readonly accounts: number };
  /** Listed zones that are not active (Cloudflare answered them despite `status=active`), left out. */
  readonly inactive: number;
  /** The filters that were set, as `CF_ZONES_INCLUDE=a,b`. */
  readonly filters: readonly string[];
  /** Where the accounts came from when `GET /accounts` was refused. */
  readonly accountsNote: string | undefined;
  readonly warnings: readonly string[];
  readonly requests: number;
}

export interface DiscoveryOptions extends RestClientOptions {
  /** Pages fetched at the same time once the first page told how many there are. @default 4 */
  readonly concurrency?: number;
  /** The run's REST client, shared with the tunnel snapshots (one pacer); one of its own otherwise. */
  readonly client?: RestClient;
}

/** Cloudflare's largest page for both lists (per_page 5 to 50, OpenAPI `zones-get`, `accounts-list-accounts`); the tunnel list takes it too. */
const PER_PAGE = 50;
/** 500,000 owners: beyond that a list that never ends is a broken answer, not an account. */
const MAX_PAGES = 10_000;

export async function discoverOwners(config: CloudflareConfig, options: DiscoveryOptions = {}): Promise<Discovery> {
  const client = options.client ?? createRestClient(config, options);
  const concurrency = options.concurrency ?? 4;
  const warnings: string[] = [];
  const refused = (error: unknown): CloudflareError | undefined => (error instanceof CloudflareError && error.kind === "access" ? error : undefined);

  let accounts: Zone[] | undefined;
  let accountsRefused: CloudflareError | undefined;
  try {
    accounts = await listAll(client, "/accounts", {}, "listing accounts", accountOf, concurrency, warnings);
  } catch (error) {
    accountsRefused = refused(error);
    if (!accountsRefused) throw error;
  }
  let zones: ListedZone[] = [];
  let zonesRefused: CloudflareError | undefined;
  try {
    zones = await listAll(client, "/zones", { status: "active" }, "listing zones", zoneOf, concurrency, warnings);
  } catch (error) {
    zonesRefused = refused(error);
    if (!zonesRefused) throw error;
  }
  if (accountsRefused && zonesRefused) throw seesNothing(config, [zonesRefused.message, accountsRefused.message]);

  const active = zones.filter((z) => z.status === "active");
  let accountsNote: string | undefined;
  if (zonesRefused) {
    warnings.push(`listing zones was refused, so no zone is exported (${zonesRefused.message}); fix: give the token Zone > Zone > Read, or set CF_ZONES`);
  }
  if (!accounts) {
    // An account-owned token may not call GET /accounts at all (code 1001); the zones name their accounts.
    accounts = distinct(active.flatMap((z) => (z.account ? [z.account] : [])));
    accountsNote = `listing accounts was refused (${accountsRefused?.message ?? "no answer"}): using the ${accounts.length} accounts the zones belong to`;
  }
  if (active.length === 0 && accounts.length === 0) throw seesNothing(config, zonesRefused ? [zonesRefused.message] : []);
  const picked = applyFilters(active, accounts, config);
  warnings.push(...picked.warnings);
  return {
    zones: picked.zones,
    accounts: picked.accounts,
    seen: { zones: active.length, accounts: accounts.length },
    inactive: zones.length - active.length,
    filters: filterLabels(config),
    accountsNote,
    warnings,
    requests: client.requests(),
  };
}

/** One line for the log and `check`: what was found, out of what, through which filters. */
export function describeDiscovery(d: Discovery): string {
  const of = `of ${count(d.seen.zones, "active zone")} and ${count(d.seen.accounts, "account")} the credentials can read`;
  const through = d.filters.length > 0 ? `, through ${d.filters.join(", ")}` : ", no filters";
  const inactive = d.inactive > 0 ? `; ${count(d.inactive, "zone")} not active left out` : "";
  return `discovered ${count(d.zones.length, "zone")} and ${count(d.accounts.length, "account")} (${of}${through}${inactive}) in ${count(d.requests, "REST request")}`;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * Every page of a list, in Cloudflare's order, de-duplicated by id (numbered pages shift when the list changes while it
 * is read). The first page says how many there are; the others are then fetched `concurrency` at a time, each page's
 * items kept in its slot so the order stays Cloudflare's. The first failure abandons the pages still in flight.
 */
export async function listAll<T extends { id: string }>(
  client: RestClient,
  path: string,
  query: Record<string, string>,
  what: string,
  parse: (item: unknown, where: string) => T,
  concurrency: number,
  warnings: string[],
): Promise<T[]> {
  const fetchPage = async (page: number, signal?: AbortSignal): Promise<{ items: T[]; totalPages: number | undefined; totalCount: number | undefined }> => {
    const context = `${what}, page ${page}`;
    const answer = await client.list(path, { ...query, page: String(page), per_page: String(PER_PAGE) }, context, signal);
    return { items: answer.items.map((item, i) => parse(item, `${context}, item ${i + 1}`)), totalPages: answer.totalPages, totalCount: answer.totalCount };
  };
  const first = await fetchPage(1);
  const pages: T[][] = [first.items];
  let lastCount = first.totalCount;
  if (first.totalPages !== undefined) {
    if (first.totalPages > MAX_PAGES) throw tooMany(what, first.totalPages);
    const abort = new AbortController();
    let next = 2;
    const worker = async (): Promise<void> => {
      while (next <= first.totalPages! && !abort.signal.aborted) {
        const page = next++;
        try {
          const got = await fetchPage(page, abort.signal);
          pages[page - 1] = got.items;
          if (page === first.totalPages) lastCount = got.totalCount;
        } catch (error) {
          if (!abort.signal.aborted) abort.abort(error);
          throw error;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, worker));
    if (abort.signal.aborted) throw abort.signal.reason;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  } else {
    // No total_pages: read on until a page comes back short, or brings nothing new (a server ignoring `page`).
    for (let page = 2, last = first.items; last.length >= PER_PAGE; page++) {
      if (page > MAX_PAGES) throw tooMany(what, page);
      const got = await fetchPage(page);
      const seen = new Set(pages.flat().map((o) => o.id));
      if (got.items.length > 0 && got.items.every((o) => seen.has(o.id))) {
        throw new CloudflareError(`${what}: page ${page} repeats earlier items; Cloudflare's answer does not page`, "malformed", [], {
          fix: "check CF_REST_URL: it must be Cloudflare's REST API or a proxy that passes page and per_page on",
        });
      }
      pages.push(got.items);
      last = got.items;
    }
  }
  if (first.totalCount !== undefined && lastCount !== undefined && lastCount !== first.totalCount) {
    warnings.push(`${what}: the list changed while it was read (${first.totalCount}, then ${lastCount}); one may be missed until the next run`);
  }
  return distinct(pages.flat());
}

function tooMany(what: string, pages: number): CloudflareError {
  return new CloudflareError(`${what}: Cloudflare announces ${pages} pages, more than the ${MAX_PAGES} this exporter reads`, "malformed", [], {
    fix: "narrow what the token can read, or list zones in CF_ZONES",
  });
}

function distinct<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id));
}

function object(item: unknown, where: string): Record<string, unknown> {
  if (typeof item !== "object" || item === null || Array.isArray(item)) throw malformed(`${where} is not an object`);
  return item as Record<string, unknown>;
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string" || value.trim() === "") throw malformed(`${where} is not a non-empty text`);
  return value;
}

function id(value: unknown, where: string): string {
  const tag = text(value, where);
  // Ids end up in queries, document ids and index searches: only what an explicit list would accept.
  if (!OWNER_ID_PATTERN.test(tag)) throw malformed(`${where} (${JSON.stringify(tag.slice(0, 80))}) is not an id`);
  return tag;
}

function malformed(message: string): CloudflareError {
  return new CloudflareError(`Cloudflare's list: ${message}`, "malformed");
}

function accountOf(item: unknown, where: string): Zone {
  const account = object(item, where);
  return { id: id(account.id, `${where}: id`), name: text(account.name, `${where}: name`) };
}

function zoneOf(item: unknown, where: string): ListedZone {
  const zone = object(item, where);
  const owner = zone.account === undefined || zone.account === null ? undefined : object(zone.account, `${where}: account`);
  return {
    id: id(zone.id, `${where}: id`),
    name: text(zone.name, `${where}: name`),
    status: text(zone.status, `${where}: status`),
    account:
      owner && typeof owner.id === "string"
        ? { id: id(owner.id, `${where}: account.id`), name: typeof owner.name === "string" ? owner.name : owner.id }
        : undefined,
  };
}

// ---- Filters ----

type FilterKey = "zonesInclude" | "zonesExclude" | "accountsInclude" | "accountsExclude";
const FILTER_ENV: Record<FilterKey, string> = {
  zonesInclude: "CF_ZONES_INCLUDE",
  zonesExclude: "CF_ZONES_EXCLUDE",
  accountsInclude: "CF_ACCOUNTS_INCLUDE",
  accountsExclude: "CF_ACCOUNTS_EXCLUDE",
};

function filterLabels(config: Pick<CloudflareConfig, FilterKey>): string[] {
  return (Object.keys(FILTER_ENV) as FilterKey[]).flatMap((key) => (config[key] ? [`${FILTER_ENV[key]}=${config[key].join(",")}`] : []));
}

/** A pattern as a test of an id or name: whole, any case, `*` any run of characters, `?` one. */
export function globMatcher(pattern: string): (value: string) => boolean {
  const source = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("");
  const regex = new RegExp(`^${source}$`, "is");
  return (value) => regex.test(value);
}

const matchesAny = (patterns: readonly string[], owner: Zone): boolean =>
  patterns.some((p) => {
    const test = globMatcher(p);
    return test(owner.id) || test(owner.name);
  });

/**
 * The filters applied: an owner is kept when it matches an include pattern (or there is no include list) and no
 * exclude pattern; a zone also needs its account kept by the account filters. An include list that matches nothing,
 * or filters that leave nothing at all, are configuration errors (exit 2) naming what was seen; a single include
 * pattern that matches nothing (a zone deleted or renamed) is a warning, so one such zone does not stop the others.
 */
export function applyFilters(
  zones: readonly ListedZone[],
  accounts: readonly Zone[],
  filters: Pick<CloudflareConfig, FilterKey>,
): { zones: Zone[]; accounts: Zone[]; warnings: string[] } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  // Accounts known for filtering: the listed ones and those the zones name (listing accounts may have been refused).
  const knownAccounts = distinct([...accounts, ...zones.flatMap((z) => (z.account ? [z.account] : []))]);
  const checkInclude = (key: FilterKey, noun: string, owners: readonly Zone[]): void => {
    const patterns = filters[key];
    if (!patterns) return;
    const unmatched = patterns.filter((p) => !owners.some((o) => matchesAny([p], o)));
    if (unmatched.length === patterns.length) {
      problems.push({
        key: FILTER_ENV[key],
        value: patterns.join(","),
        reason:
          owners.length === 0
            ? `matches nothing: the credentials can read no ${noun}`
            : `matches none of the ${count(owners.length, noun)} the credentials can read: ${abridged(owners)}`,
        fix:
          owners.length === 0
            ? `give the token read access to the ${noun}s to export (README: Discovery), or remove ${FILTER_ENV[key]}`
            : `write ids, names or * and ? patterns of those ${noun}s (case does not matter), or remove ${FILTER_ENV[key]}`,
      });
    } else {
      for (const p of unmatched) warnings.push(`${FILTER_ENV[key]}: ${p} matches no ${noun} the credentials can read (deleted or renamed?)`);
    }
  };
  checkInclude("zonesInclude", "zone", zones);
  checkInclude("accountsInclude", "account", knownAccounts);
  if (problems.length > 0) throw new ConfigError(problems);

  const keep = (owner: Zone, include: FilterKey, exclude: FilterKey): boolean =>
    (!filters[include] || matchesAny(filters[include], owner)) && !(filters[exclude] && matchesAny(filters[exclude], owner));
  const accountKept = (account: Zone | undefined): boolean =>
    !(filters.accountsInclude || filters.accountsExclude) || (account !== undefined && keep(account, "accountsInclude", "accountsExclude"));
  const pickedAccounts = accounts.filter((a) => keep(a, "accountsInclude", "accountsExclude"));
  const pickedZones = zones.filter((z) => accountKept(z.account) && keep(z, "zonesInclude", "zonesExclude")).map((z) => ({ id: z.id, name: z.name }));
  const set = filterLabels(filters);
  if (pickedZones.length === 0 && pickedAccounts.length === 0 && set.length > 0 && (zones.length > 0 || accounts.length > 0)) {
    throw new ConfigError([
      {
        key: set.map((s) => s.slice(0, s.indexOf("="))).join(", "),
        value: set.join(" "),
        reason: `leave nothing to export of the ${count(zones.length, "zone")} (${abridged(zones)}) and ${count(accounts.length, "account")} (${abridged(accounts)}) the credentials can read`,
        fix: "loosen the include patterns or drop an exclude pattern; `check` shows what the filters keep",
      },
    ]);
  }
  return { zones: pickedZones, accounts: pickedAccounts, warnings };
}

/** The names seen, as many as fit a message: `a.example, b.example, … (240 in all)`. */
function abridged(owners: readonly Zone[], shown = 10): string {
  if (owners.length === 0) return "none";
  const names = owners.slice(0, shown).map((o) => (o.name === o.id ? o.id : `${o.name}`));
  return names.join(", ") + (owners.length > shown ? `, … (${owners.length} in all)` : "");
}

/** Credentials that can list nothing: a configuration error naming the permissions discovery needs. */
function seesNothing(config: CloudflareConfig, why: readonly string[]): ConfigError {
  const key = config.auth?.kind === "key" ? "CF_API_EMAIL / CF_API_KEY" : "CF_API_TOKEN";
  return new ConfigError([
    {
      key,
      value: undefined,
      reason: `can list no zone and no account, so there is nothing to discover${why.length > 0 ? ` (${why.join("; ")})` : ""}`,
      fix: "give the token Zone > Zone > Read and Zone > Analytics > Read on the zones to export (and Account > Account Settings > Read with Account > Account Analytics > Read for account datasets), or list them in CF_ZONES / CF_ACCOUNTS",
    },
  ]);
}
