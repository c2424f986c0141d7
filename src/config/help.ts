/**
 * The settings table as people read it: each command's flags and the part of its `--help` that says where everything
 * else comes from, and the README's configuration table (`npm run settings` writes it; a test keeps it current).
 */
import { type Command, SETTINGS, type Setting } from "./settings.js";

const all = SETTINGS as readonly Setting[];
const plain = (text: string): string => text.replace(/`/g, "").replace(/\[([^\]]+)\]\([^)]+\)/g, "$1");
const owners = (s: Setting): boolean => s.kind === "owners" || s.kind === "globs";
const shownDefault = (s: Setting): string | undefined => s.shown ?? (s.default === undefined ? undefined : String(s.default));

/** What yargs needs for one flag. Values reach the loader as typed ("5m" stays a string and gets a pointed message). */
export interface FlagOption {
  readonly type?: "string";
  readonly array?: true;
  readonly describe: string;
}

export function flagOptions(command: Command): [string, FlagOption][] {
  return all.flatMap((s) => {
    if (!s.flag || !s.commands.includes(command)) return [];
    const range = s.min !== undefined && `${s.min} to ${s.max}${s.unit ? ` ${s.unit}` : ""}`;
    const notes = [range, s.env && `env ${s.env}`, s.key && `file ${s.key}`, shownDefault(s) && `default ${shownDefault(s)}`].filter(Boolean);
    const describe = `${plain(s.help)} [${notes.join("; ")}]`;
    // Numbers are left untyped: yargs would turn "5m" into NaN, and tag them [string] if typed as text.
    const type = s.kind === "whole" ? {} : { type: "string" as const };
    return [[s.flag, { ...type, ...(s.kind === "datasets" || s.kind === "ids" ? { array: true as const } : {}), describe }]];
  });
}

/** The end of a command's `--help`: where credentials, zones and the settings without a flag come from. */
export function environmentHelp(command: Command): string {
  const used = all.filter((s) => s.env && !s.flag && s.commands.includes(command));
  // A tab separates yargs' two columns in an epilogue; lines without one wrap as paragraphs.
  const rows = (settings: readonly Setting[]): string[] =>
    settings.map((s) => `  ${s.env}${s.secret ? " (or _FILE)" : ""}${s.key ? `, ${s.key}` : ""}  \t${plain(s.help)}`);
  const section = (title: string, settings: readonly Setting[]): string[] => (settings.length > 0 ? [title, ...rows(settings), ""] : []);
  return [
    ...section(
      "Credentials are never flags: set them in the environment, or set <NAME>_FILE to the path of a mounted file holding the secret.",
      used.filter((s) => !s.key),
    ),
    ...section(
      "Zones and accounts are never flags either: set them in the environment or the config file (--config). Without both, the ones the credentials can read are discovered from Cloudflare, narrowed by the filters:",
      used.filter(owners),
    ),
    ...section(
      "Also read, from the environment or the config file:",
      used.filter((s) => s.key && !owners(s)),
    ),
    "Every flag above shows its environment variable and config-file key. Precedence: flags > environment > config file > defaults.",
  ].join("\n");
}

/** The settings' flags among what yargs parsed (its own keys and the commands' arguments left out). */
export function settingFlags(argv: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(all.flatMap((s) => (s.flag && argv[s.flag] !== undefined ? [[s.flag, argv[s.flag]]] : [])));
}

const cell = (text: string | undefined): string => (text ? `\`${text}\`` : "");

export const TABLE_START = "<!-- settings table: generated from src/config/settings.ts by `npm run settings` -->";
export const TABLE_END = "<!-- end of settings table -->";

/** The README's configuration table. */
export function settingsTable(): string {
  const rows = all.map((s) => {
    const env = s.env && [`\`${s.env}\``, ...(s.aliases ?? []).map((a) => `(or \`${a}\`)`), ...(s.secret ? [`/ \`${s.env}_FILE\``] : [])].join(" ");
    const flag = s.flag && `\`--${s.flag}\`${s.commands.length === 1 ? ` (${s.commands[0]})` : ""}`;
    const range = s.min === undefined ? "" : `; ${s.min} to ${s.max}${s.unit ? ` ${s.unit}` : ""}`;
    return `| ${env ?? ""} | ${flag ?? ""} | ${cell(s.key)} | ${cell(shownDefault(s))} | ${s.help}${range} |`;
  });
  return ["| environment | flag | config file key | default | meaning |", "|---|---|---|---|---|", ...rows, ""].join("\n");
}
