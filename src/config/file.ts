/**
 * The optional config file (`--config` or CONFIG_FILE): YAML or JSON by extension, checked for unknown keys and
 * credentials before any value is used. Parser messages can quote the source text, which could be a secret someone
 * pasted by mistake, so only positions and the parser's wording without quoted text reach our messages.
 */
import { LineCounter, parseDocument } from "yaml";
import { REDACTED } from "./errors.js";
import { display, type Found, type Problems } from "./origin.js";
import { type ConfigFile, filePaths } from "./sources.js";

export type ReadFile = (path: string) => string;

export function loadConfigFile(found: Found, readFile: ReadFile, problems: Problems): ConfigFile | undefined {
  const path = typeof found.value === "string" ? found.value.trim() : "";
  if (!path) return problems.bad(found, "is not a file path", "give the path of a .yaml, .yml or .json file");
  const format = /\.ya?ml$/i.test(path) ? "YAML" : /\.json$/i.test(path) ? "JSON" : undefined;
  if (!format) {
    return problems.bad(found, "does not end in .yaml, .yml or .json", "rename the file: its extension decides how it is parsed");
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    return problems.bad(found, `cannot be read: ${readError(error)}`, "correct the path, or mount the file there");
  }
  const parsed = format === "JSON" ? parseJson(text) : parseYaml(text);
  if (!parsed.ok) {
    const at = parsed.line === undefined ? path : `${path}:${parsed.line}:${parsed.column}`;
    const where = parsed.line === undefined ? "the file" : `line ${parsed.line}`;
    return problems.add(at, undefined, `is not valid ${format}: ${withoutQuotes(parsed.message)}`, `correct ${where}`);
  }
  return { file: path, values: checkStructure(parsed.value, path, problems) };
}

/** Why a file could not be read, without the file's content. Shared by the CA file and the `*_FILE` secrets. */
export function readError(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return error instanceof Error ? error.message : String(error);
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string; line?: number; column?: number };

function parseYaml(text: string): Parsed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    // The yaml library appends the offending source after ": " ("Not a YAML token: <text>"); keep the wording only.
    return { ok: false, message: error.message.replace(/: .*$/s, ""), line, column: col };
  }
  try {
    return { ok: true, value: doc.toJS() };
  } catch (error) {
    // toJS throws for alias bombs and similar; there is no position for those.
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 usually adds "(line L column C)" after "at position N", but a unit run under load got the message without it
    // for the same input and Node version; the offset is always there, so the line and column come from it.
    const position = /in JSON at position (\d+)/.exec(message);
    if (position) {
      const { line, col } = lineAt(text, Number(position[1]));
      return { ok: false, message: message.replace(/ in JSON at position.*$/s, ""), line, column: col };
    }
    // V8 gives no position for "Unexpected token" or "end of input"; YAML in JSON mode locates the former.
    const offset = /end of JSON input/.test(message) ? text.length : firstJsonErrorOffset(text);
    const brief = message.replace(/, ".*" is not valid JSON$/s, "");
    if (offset === undefined) return { ok: false, message: brief };
    const { line, col } = lineAt(text, offset);
    return { ok: false, message: brief, line, column: col };
  }
}

function firstJsonErrorOffset(text: string): number | undefined {
  return parseDocument(text, { schema: "json", prettyErrors: false }).errors[0]?.pos[0];
}

function lineAt(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, col: offset - before.lastIndexOf("\n") };
}

/** Drops quoted source excerpts (3+ characters) from a parser message; single quoted characters stay. */
function withoutQuotes(message: string): string {
  return message.replace(/"[^"\n]{3,}"|'[^'\n]{3,}'/g, "…");
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const sections = new Map<string, string[]>();
const rootKeys: string[] = [];
for (const path of filePaths) {
  const [section, key] = path.split(".");
  if (section === undefined) continue;
  if (key === undefined) rootKeys.push(section);
  else sections.set(section, [...(sections.get(section) ?? []), key]);
}

/** Flattens the known keys into dotted paths and reports everything else. */
function checkStructure(doc: unknown, file: string, problems: Problems): Map<string, unknown> {
  const values = new Map<string, unknown>();
  if (doc === null || doc === undefined) return values; // an empty file configures nothing
  if (!isMapping(doc)) {
    problems.add(file, undefined, "the top level is not a mapping", `start the file with sections such as ${[...sections.keys()].join(":, ")}:`);
    return values;
  }
  const topKeys = [...sections.keys(), ...rootKeys];
  for (const [key, value] of Object.entries(doc)) {
    const known = sections.get(key);
    if (rootKeys.includes(key)) values.set(key, value);
    else if (!known) rejectFileKey({ path: key, key, section: undefined, siblings: topKeys, file, problems });
    else if (value === null) continue;
    else if (!isMapping(value)) {
      problems.add(`${key} in ${file}`, display(value), "is not a mapping", `indent its keys under ${key}: (${known.join(", ")})`);
    } else {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (known.includes(inner)) values.set(`${key}.${inner}`, innerValue);
        else rejectFileKey({ path: `${key}.${inner}`, key: inner, section: key, siblings: known, file, problems });
      }
    }
  }
  return values;
}

export interface RejectedKey {
  readonly path: string; // full dotted path, as shown
  readonly key: string; // the key as written
  readonly section: string | undefined; // cloudflare, elasticsearch, ...: decides which env variables a credential hint names
  readonly siblings: readonly string[];
  readonly file: string;
  readonly problems: Problems;
}

/** Reports a key that is not allowed where it is: a credential, or an unknown key with a suggestion. */
export function rejectFileKey({ path, key, section, siblings, file, problems }: RejectedKey): void {
  const where = `${path} in ${file}`;
  const credential = credentialVariables(key, section);
  if (credential) {
    problems.add(
      where,
      REDACTED,
      "secrets are read only from the environment or mounted files, never from the config file",
      `remove it from the file and set ${credential} instead`,
    );
    return;
  }
  const guess = suggest(key, siblings, section);
  const parent = path.includes(".") ? ` under ${path.slice(0, path.lastIndexOf("."))}` : " at the top level";
  const list = `known keys${parent}: ${siblings.join(", ")}`;
  problems.add(where, undefined, "is not a known key", guess ? `did you mean ${guess}? (${list})` : `remove it (${list})`);
}

const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, "");

function credentialVariables(key: string, section: string | undefined): string | undefined {
  const k = normalise(key);
  const cloudflareKey = "CF_API_KEY (or CF_API_KEY_FILE) with CF_API_EMAIL";
  const esKey = "ES_API_KEY (or ES_API_KEY_FILE)";
  if (k.includes("token")) return "CF_API_TOKEN (or CF_API_TOKEN_FILE)";
  if (k.includes("password") || k.includes("passwd")) return "ES_PASSWORD (or ES_PASSWORD_FILE) with ES_USER";
  if (k === "email" || k === "apiemail") return "CF_API_EMAIL with CF_API_KEY (or CF_API_KEY_FILE)";
  if (k === "user" || k === "username") return "ES_USER with ES_PASSWORD (or ES_PASSWORD_FILE)";
  if (k === "key" || k.includes("apikey") || k.includes("secret")) {
    if (section === "cloudflare") return cloudflareKey;
    if (section === "elasticsearch") return esKey;
    return `${esKey} or ${cloudflareKey}`;
  }
  return undefined;
}

/** The closest sibling by edit distance, else the closest key elsewhere (`zones` at the top -> `cloudflare.zones`). */
function suggest(key: string, siblings: readonly string[], section: string | undefined): string | undefined {
  const k = normalise(key);
  const tolerance = Math.max(1, Math.floor(k.length / 3));
  const closest = (names: readonly string[], last: (name: string) => string): string | undefined => {
    let best: { name: string; distance: number } | undefined;
    for (const name of names) {
      const distance = editDistance(k, normalise(last(name)));
      if (distance <= tolerance && (!best || distance < best.distance)) best = { name, distance };
    }
    return best?.name;
  };
  const elsewhere = filePaths.filter((path) => !siblings.some((sibling) => path === `${section}.${sibling}` || path === sibling));
  return closest(siblings, (name) => name) ?? closest(elsewhere, (path) => path.split(".").at(-1) ?? path);
}

/** Levenshtein distance where swapping two neighbours counts once (`queryBugdet`), as typos usually do. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}
