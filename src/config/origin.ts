/**
 * Where a raw value came from, so every problem names the key the way the user wrote it (an environment variable,
 * a `--flag`, or a path inside the config file) and every fix shows the corrected value in that same spelling.
 */
import { type ConfigProblem, REDACTED } from "./errors.js";

export type Origin =
  | { readonly kind: "flag"; readonly name: string } // kebab-case, as settings.ts declares it
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "file"; readonly path: string; readonly file: string };

/** A raw, not yet validated value and its origin. */
export interface Found {
  readonly value: unknown;
  readonly origin: Origin;
}

function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function labelOf(origin: Origin): string {
  if (origin.kind === "flag") return `--${kebab(origin.name)}`;
  if (origin.kind === "env") return origin.name;
  return `${origin.path} in ${origin.file}`;
}

/** `value` written at the same place: `SETTLE_MINUTES=5`, `--settle-minutes 5`, `window.settleMinutes: 5`. */
export function spelled(origin: Origin, value: string): string {
  if (origin.kind === "flag") return `--${kebab(origin.name)} ${value}`;
  if (origin.kind === "env") return `${origin.name}=${value}`;
  return `${origin.path}: ${value}`;
}

/** A file origin for a part of a file value, e.g. `cloudflare.zones[2].id`. */
export function child(origin: Origin, suffix: string): Origin {
  return origin.kind === "file" ? { ...origin, path: `${origin.path}${suffix}` } : origin;
}

const maxShown = 120;

/** A value as shown in a message. Callers pass `REDACTED` themselves for secrets; this never guesses. */
export function display(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" || typeof value === "boolean" || value === null) text = String(value);
  else if (value === undefined) text = "undefined";
  // Objects and arrays as JSON; a function or symbol (never a configuration value) has none, so just its kind.
  else text = JSON.stringify(value) ?? typeof value;
  return text.length > maxShown ? `${text.slice(0, maxShown - 1)}…` : text;
}

/** Collects problems so that all of them are reported in one `ConfigError`. */
export class Problems {
  readonly list: ConfigProblem[] = [];

  add(key: string, value: string | undefined, reason: string, fix: string): undefined {
    this.list.push({ key, value, reason, fix });
    return undefined;
  }

  /** A problem with a found value. `shown` replaces the displayed value (redaction, partial redaction). */
  bad(found: Found, reason: string, fix: string, shown: string = display(found.value)): undefined {
    return this.add(labelOf(found.origin), shown, reason, fix);
  }

  secret(found: Found, reason: string, fix: string): undefined {
    return this.bad(found, reason, fix, REDACTED);
  }
}
