/**
 * Parsers for single values. Each accepts what any source can produce (strings from the environment, numbers and
 * booleans from YAML or yargs), reports a problem whose fix shows the corrected value in the user's own spelling,
 * and returns undefined when the value is unusable, so loading goes on and collects the remaining problems.
 */
import { DATASET_NAMES, DEFAULT_SET, EVERY_DATASET } from "../datasets/index.js";
import { REDACTED } from "./errors.js";
import { editDistance, type ReadFile, readError } from "./file.js";
import { display, type Found, labelOf, type Problems, spelled } from "./origin.js";
import type { Setting, Unit } from "./settings.js";
import { ACCOUNTS, owners, ZONES } from "./zones.js";

/** The parsed value of `setting` from `found`; undefined when unusable (the problem is recorded). */
export function parseValue(setting: Setting, found: Found, problems: Problems, readFile: ReadFile): unknown {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = setting;
  switch (setting.kind) {
    case "whole":
      return wholeNumber(found, { ...setting, min, max }, problems);
    case "bool":
      return bool(found, problems);
    case "choice":
      return oneOf(found, setting.choices ?? [], problems);
    case "url":
      return httpUrl(found, setting.key?.split(".")[0] as UrlPurpose, problems);
    case "ca":
      return caFile(found, readFile, problems);
    case "share":
      return share(found, problems);
    case "prefix":
      return indexPrefix(found, max, problems);
    case "owners":
      return owners(found, problems, setting.key === "cloudflare.accounts" ? ACCOUNTS : ZONES);
    case "globs":
      return globList(found, problems);
    case "datasets":
      return nameList(found, [...DATASET_NAMES, DEFAULT_SET, EVERY_DATASET], "datasets", problems);
    default:
      return text(found, problems);
  }
}

const secondsPer: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  d: 86400,
  day: 86400,
  w: 604800,
  week: 604800,
};
const unitSeconds: Record<Unit, number> = { seconds: 1, minutes: 60, days: 86400 };

function wholeNumber(found: Found, rule: Setting & { min: number; max: number }, problems: Problems): number | undefined {
  const { value, origin } = found;
  const of = rule.unit ? ` of ${rule.unit}` : "";
  const write = (n: number): string => `write ${n} (${spelled(origin, String(n))})`;
  const notWhole = (hint: number | undefined): undefined =>
    problems.bad(found, `is not a whole number${of}`, hint === undefined ? `write a whole number${of} from ${rule.min} to ${rule.max}` : write(hint));
  let n: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return notWhole(undefined);
    if (!Number.isInteger(value)) return notWhole(Math.max(rule.min, Math.round(value)));
    n = value;
  } else if (typeof value === "string") {
    const text = value.trim();
    const withUnit = /^(\d+(?:\.\d+)?)\s*([a-z]+?)s?$/i.exec(text);
    if (/^-\d+$/.test(text)) return problems.bad(found, "is negative", `write a whole number${of} from ${rule.min} to ${rule.max}`);
    if (withUnit && rule.unit) {
      // "5m" for minutes: say what to write instead, converting when the suffix is another unit ("1h" -> 60).
      const perUnit = secondsPer[(withUnit[2] ?? "").toLowerCase()];
      const converted = perUnit === undefined ? undefined : (Number(withUnit[1]) * perUnit) / unitSeconds[rule.unit];
      return notWhole(converted !== undefined && Number.isInteger(converted) ? converted : undefined);
    }
    if (!/^\d+$/.test(text)) return notWhole(undefined);
    n = Number(text);
  } else {
    return notWhole(undefined);
  }
  if (n < rule.min || n > rule.max) {
    const example = Math.min(rule.max, Math.max(rule.min, n));
    return problems.bad(found, `is out of range: allowed are ${rule.min} to ${rule.max}${of}${rule.why ? ` (${rule.why})` : ""}`, `e.g. ${write(example)}`);
  }
  return n;
}

const truthy = ["true", "1", "yes"];
const falsy = ["false", "0", "no"];

function bool(found: Found, problems: Problems): boolean | undefined {
  const { value } = found;
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if ((typeof value === "string" || typeof value === "number") && truthy.includes(text)) return true;
  if ((typeof value === "string" || typeof value === "number") && falsy.includes(text)) return false;
  return problems.bad(found, "is not a yes/no value", `use one of: ${[...truthy, ...falsy].join(", ")}`);
}

function oneOf<T extends string>(found: Found, allowed: readonly T[], problems: Problems): T | undefined {
  const text = typeof found.value === "string" ? found.value.trim().toLowerCase() : undefined;
  const match = allowed.find((a) => a === text);
  return match ?? problems.bad(found, "is not an allowed value", `use one of: ${allowed.join(", ")}`);
}

/** A string setting; numbers are taken as written because YAML and yargs turn `123` into a number. */
function text(found: Found, problems: Problems): string | undefined {
  const { value } = found;
  if (typeof value === "number") return String(value);
  if (typeof value !== "string" || value.trim() === "") return problems.bad(found, "is not a non-empty text", "give a text value");
  return value.trim();
}

type UrlPurpose = "cloudflare" | "elasticsearch" | "gate";

const credentialFixes: Record<UrlPurpose, string> = {
  cloudflare: "remove user:password@ from the URL; Cloudflare credentials come from CF_API_TOKEN",
  elasticsearch: "remove user:password@ from the URL and set ES_USER and ES_PASSWORD (or ES_PASSWORD_FILE) instead",
  gate: "remove user:password@ from the URL; the gate is called without credentials",
};

/** An absolute http(s) URL without embedded credentials (they would end up in logs and `check` output). */
function httpUrl(found: Found, purpose: UrlPurpose, problems: Problems): string | undefined {
  const raw = text(found, problems);
  if (raw === undefined) return undefined;
  // Every message shows the URL without its user:password@ part, even when the URL does not parse.
  const safe = withoutUserinfo(raw);
  const bad = (reason: string, fix: string): undefined => problems.bad(found, reason, fix, display(safe));
  if (safe !== raw) return bad("contains credentials", credentialFixes[purpose]);
  if (!raw.includes("://")) {
    // Without a scheme, "es.example:9200" would even parse, as scheme "es.example:".
    return bad("is not an absolute URL", `write it with its scheme, e.g. ${spelled(found.origin, `https://${raw}`)}`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad("is not a valid URL", "write an absolute http:// or https:// URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return bad(`uses the scheme ${url.protocol.slice(0, -1)}; only http and https are supported`, "write an http:// or https:// URL");
  }
  return raw;
}

/** `raw` with anything before an `@` in the authority replaced by `<redacted>`; `raw` itself when there is none. */
function withoutUserinfo(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? "";
  const rest = raw.slice(scheme.length);
  const authorityEnd = rest.search(/[/?#]/);
  const at = (authorityEnd < 0 ? rest : rest.slice(0, authorityEnd)).lastIndexOf("@");
  return at < 0 ? raw : `${scheme}${REDACTED}@${rest.slice(at + 1)}`;
}

export const INDEX_PREFIX_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** Elasticsearch index names are lowercase and may not start with -, _ or +; the period and dataset are appended. */
function indexPrefix(found: Found, max: number, problems: Problems): string | undefined {
  const raw = text(found, problems);
  if (raw === undefined) return undefined;
  if (raw.length <= max && INDEX_PREFIX_PATTERN.test(raw)) return raw;
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, max);
  const reason = raw.length > max ? `is longer than ${max} characters` : "is not a valid Elasticsearch index name prefix";
  const rule = `lowercase letters, digits, - and _, starting with a letter or digit, at most ${max} characters`;
  return problems.bad(found, reason, cleaned ? `use ${rule}, e.g. ${spelled(found.origin, cleaned)}` : `use ${rule}`);
}

/** The CA bundle must be readable now: finding out at the first TLS handshake would be after the run started. */
function caFile(found: Found, readFile: ReadFile, problems: Problems): string | undefined {
  const path = text(found, problems);
  if (path === undefined) return undefined;
  let content: string;
  try {
    content = readFile(path);
  } catch (error) {
    return problems.bad(found, `cannot be read: ${readError(error)}`, `mount the CA certificate at that path or correct ${labelOf(found.origin)}`);
  }
  if (!content.includes("-----BEGIN CERTIFICATE-----")) {
    return problems.bad(
      found,
      "does not contain a PEM certificate",
      "point it at the PEM file (-----BEGIN CERTIFICATE-----) of the CA that signed the server's certificate",
    );
  }
  return path;
}

/**
 * A list of names from a comma list (environment, flag), a YAML list (file) or a repeated flag, each one of
 * `allowed`. Duplicates are dropped; an empty list is refused because it would silently turn everything off.
 */
function nameList<T extends string>(found: Found, allowed: readonly T[], what: string, problems: Problems): T[] | undefined {
  const raw: unknown[] = (Array.isArray(found.value) ? (found.value as unknown[]) : [found.value]).flatMap((v) => (typeof v === "string" ? v.split(",") : [v]));
  const names = raw.map((v) => (typeof v === "string" ? v.trim() : v)).filter((v) => v !== "");
  if (names.length === 0) return problems.bad(found, `names no ${what}`, `list at least one of: ${allowed.join(", ")}; or remove the setting to get all`);
  const picked: T[] = [];
  let ok = true;
  for (const name of names) {
    const match = allowed.find((a) => a === name);
    if (match) {
      if (!picked.includes(match)) picked.push(match);
      continue;
    }
    const typed = String(name).toLowerCase().replace(/-/g, "_");
    const close = allowed.find((a) => editDistance(a, typed) <= Math.max(1, Math.floor(a.length / 4)));
    problems.bad(
      { value: name, origin: found.origin },
      `is not a known ${what.replace(/s$/, "")}`,
      close ? `did you mean ${close}?` : `use any of: ${allowed.join(", ")}`,
    );
    ok = false;
  }
  return ok ? picked : undefined;
}

/**
 * Ids, names or wildcard patterns, from a comma list (environment) or a YAML list (file, where an account name may
 * hold a comma). Each is matched whole against an id or a name, ignoring case (see cloudflare/discovery.ts). An empty
 * entry is refused: it would match nothing and hide the typo that made it.
 */
function globList(found: Found, problems: Problems): string[] | undefined {
  const raw: unknown[] = Array.isArray(found.value) ? (found.value as unknown[]) : String(found.value).split(",");
  const patterns: string[] = [];
  for (const [index, item] of raw.entries()) {
    const which = `entry ${index + 1}`;
    if (typeof item !== "string" && typeof item !== "number") {
      return problems.bad(found, `${which} is not a text`, "write ids, names or patterns such as *.example.com, as a comma list or a YAML list of texts");
    }
    const pattern = String(item).trim();
    if (pattern === "") return problems.bad(found, `${which} is empty`, "remove the extra comma; e.g. *.example.com,shop.example.org");
    if ([...pattern].some((c) => c.charCodeAt(0) < 0x20))
      return problems.bad(found, `${which} contains a control character`, "write ids, names or * and ? patterns only");
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  return patterns.length > 0 ? patterns : problems.bad(found, "names nothing", "list ids, names or patterns, or remove the setting");
}

/** A share strictly between 0 and 1, e.g. a confidence level of 0.95. */
function share(found: Found, problems: Problems): number | undefined {
  const value = typeof found.value === "number" ? found.value : Number(String(found.value).trim());
  if (!Number.isFinite(value) || value <= 0 || value >= 1) return problems.bad(found, "is not a number between 0 and 1", "write a level such as 0.95");
  return value;
}
