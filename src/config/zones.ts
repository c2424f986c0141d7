/**
 * Zones from CF_ZONES (`id=name,id=name`) or the config file's `cloudflare.zones` list, the demo zones, and the
 * `--zone` narrowing used by `backfill`. Ids are checked loosely (the simulator accepts any tag), but strictly enough
 * that a pasted list with spaces or a missing comma is caught here rather than as an empty result from Cloudflare.
 */
import type { Zone } from "./types.js";
import { rejectFileKey } from "./file.js";
import { child, display, type Found, labelOf, type Problems } from "./origin.js";

/** What differs between a list of zones and a list of accounts: the words and examples in messages. */
export interface OwnerKind {
  readonly noun: "zone" | "account";
  readonly example: string;
  readonly fileExample: string;
  readonly whereToFind: string;
}

export const ZONES: OwnerKind = {
  noun: "zone",
  example: "CF_ZONES=023e105f4ecef8ad9ca31a8372d0c353=example.com,372e67954025e0ba6aaa6d586b9e0b59=example.org",
  fileExample: "zones: [{ id: 023e105f4ecef8ad9ca31a8372d0c353, name: example.com }]",
  whereToFind: "copy the zone id from the zone's Overview page in the Cloudflare dashboard",
};

export const ACCOUNTS: OwnerKind = {
  noun: "account",
  example: "CF_ACCOUNTS=01a7362d577a6c3019a474fd6f485823=production",
  fileExample: "accounts: [{ id: 01a7362d577a6c3019a474fd6f485823, name: production }]",
  whereToFind: 'copy the account id from the Overview page of any zone of the account ("Account ID"), or from the dashboard URL',
};

export const demoZones: readonly Zone[] = [1, 2, 3].map((n) => ({ id: `demo${String(n).padStart(28, "0")}`, name: `demo-${n}.example` }));

/** What an id may be; the chart's schema uses the same pattern (a test keeps them equal). */
export const OWNER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function idProblem(id: string): string | undefined {
  if (id === "") return "is empty";
  if (/\s/.test(id)) return "contains whitespace";
  if (id.length > 64) return "is longer than 64 characters";
  if (!OWNER_ID_PATTERN.test(id)) return "contains characters other than letters, digits, - and _";
  return undefined;
}

/** Zones or accounts from the environment or the file. Undefined when anything is wrong (and reported). */
export function owners(found: Found, problems: Problems, kind: OwnerKind): Zone[] | undefined {
  return found.origin.kind === "file" ? zonesFromFile(found, problems, kind) : zonesFromEnv(found, problems, kind);
}

/** The zones of the run: the configured ones, else the demo zones in demo mode, else none (then they are discovered). */
export function runZones(parsed: readonly Zone[] | undefined, demo: boolean): readonly Zone[] {
  if (parsed && parsed.length > 0) return parsed;
  return demo ? demoZones : [];
}

function zonesFromEnv(found: Found, problems: Problems, kind: OwnerKind): Zone[] | undefined {
  const example = kind.example;
  const raw = String(found.value).trim();
  const zones: Zone[] = [];
  let ok = true;
  const fail = (reason: string, fix: string): void => {
    problems.bad(found, reason, fix);
    ok = false;
  };
  raw.split(",").forEach((part, index) => {
    const entry = part.trim();
    const which = `entry ${index + 1}`;
    if (entry === "") return fail(`${which} is empty`, `remove the extra comma; the format is ${example}`);
    const eq = entry.indexOf("=");
    const id = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const name = eq < 0 ? id : entry.slice(eq + 1).trim();
    const bad = idProblem(id);
    if (bad) {
      const fix = /\s/.test(id) ? "separate entries with commas" : kind.whereToFind;
      return fail(`${which} (${display(entry)}): the ${kind.noun} id ${bad}`, `${fix}; the format is ${example}`);
    }
    if (name === "") return fail(`${which} (${display(entry)}): the ${kind.noun} name is empty`, `write id=name, or the id alone; the format is ${example}`);
    if (name.includes("=")) return fail(`${which} (${display(entry)}) holds two ${kind.noun}s`, `separate entries with commas; the format is ${example}`);
    zones.push({ id, name });
  });
  return ok && noDuplicates(zones, found, problems, kind) ? zones : undefined;
}

function zonesFromFile(found: Found, problems: Problems, kind: OwnerKind): Zone[] | undefined {
  const { origin } = found;
  if (origin.kind !== "file") throw new TypeError("zonesFromFile needs a value from the config file");
  if (!Array.isArray(found.value)) {
    return problems.bad(found, "is not a list", `write a list of ${kind.noun}s: ${kind.fileExample}`);
  }
  const zones: Zone[] = [];
  let ok = true;
  found.value.forEach((item: unknown, index) => {
    const at = { ...origin, path: `${origin.path}[${index}]` };
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.bad({ value: item, origin: at }, `is not a ${kind.noun}`, `write { id: <${kind.noun} id>, name: <display name> }`);
      ok = false;
      return;
    }
    const fields = item as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (key === "id" || key === "name") continue;
      rejectFileKey({ path: `${at.path}.${key}`, key, section: "cloudflare", siblings: ["id", "name"], file: origin.file, problems });
      ok = false;
    }
    const id = field(fields, "id", at, problems, kind);
    const name = fields["name"] === undefined || fields["name"] === null ? id : field(fields, "name", at, problems, kind);
    if (id === undefined || name === undefined) {
      ok = false;
      return;
    }
    const bad = idProblem(id);
    if (bad) problems.bad({ value: id, origin: child(at, ".id") }, bad, kind.whereToFind);
    else if (name === "") problems.bad({ value: name, origin: child(at, ".name") }, "is empty", `give the ${kind.noun}'s display name, or leave name out`);
    else zones.push({ id, name });
    if (bad || name === "") ok = false;
  });
  return ok && noDuplicates(zones, found, problems, kind) ? zones : undefined;
}

function field(fields: Record<string, unknown>, key: "id" | "name", at: Found["origin"], problems: Problems, kind: OwnerKind): string | undefined {
  const value = fields[key];
  const origin = child(at, `.${key}`);
  if (typeof value === "string") return value.trim();
  if (value === undefined || value === null) return problems.add(labelOf(origin), undefined, "is missing", `add ${key}: to every ${kind.noun}`);
  // An all-digit id would be read as a number (and lose digits); a quoted one stays as written.
  if (typeof value === "number" || typeof value === "boolean") return problems.bad({ value, origin }, "is not a text", `quote it: ${key}: "${String(value)}"`);
  return problems.bad({ value, origin }, "is not a text", `write ${key} as a quoted text`);
}

function noDuplicates(zones: readonly Zone[], found: Found, problems: Problems, kind: OwnerKind): boolean {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const { id } of zones) (seen.has(id) ? twice : seen).add(id);
  if (twice.size > 0) problems.bad(found, `lists ${kind.noun} ${[...twice].join(", ")} more than once`, `list each ${kind.noun} once`);
  return twice.size === 0;
}

/**
 * `--zone` narrows the zones (for `backfill`); it never adds one, because its name would be unknown. `source` says
 * whether they were configured (checked while loading) or discovered from Cloudflare (checked after discovery).
 */
export function narrowZones(
  zones: readonly Zone[],
  flag: Found | undefined,
  problems: Problems,
  source: "configured" | "discovered" = "configured",
): readonly Zone[] {
  if (!flag || (zones.length === 0 && source === "configured")) return zones; // configured: no zones at all means discovery
  const values = Array.isArray(flag.value) ? flag.value : [flag.value];
  const wanted = values
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (wanted.length === 0) return zones;
  const known = new Set(zones.map((z) => z.id));
  const list =
    zones
      .slice(0, 10)
      .map((z) => z.id)
      .join(", ") + (zones.length > 10 ? `, … (${zones.length} in all)` : "");
  const elsewhere =
    source === "configured"
      ? "or add it to CF_ZONES / cloudflare.zones"
      : "(Cloudflare lists the zones the token can read, narrowed by CF_ZONES_INCLUDE/EXCLUDE)";
  for (const id of wanted) {
    if (known.has(id)) continue;
    const byName = zones.find((z) => z.name === id);
    const fix = byName
      ? `that is the name of zone ${byName.id}; pass its id: --zone ${byName.id}`
      : `use one of the ${source} zones (${list || "none"}) ${elsewhere}`;
    problems.bad({ value: id, origin: flag.origin }, `is not one of the ${source} zones`, fix);
  }
  return zones.filter((z) => wanted.includes(z.id));
}
