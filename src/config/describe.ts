/**
 * `redactSecrets`, the logger's last line of defence for texts that may embed a credential (an error echoing a
 * request, a stack). The safe view of a whole configuration is `describeConfig` (describe-config.ts).
 */
import { REDACTED } from "./errors.js";
import type { Config } from "./types.js";

/** Every form in which a configured secret may show up in a log line. */
function secretForms(config: Config): string[] {
  const forms: string[] = [];
  const add = (secret: string): void => {
    forms.push(secret, encodeURIComponent(secret));
  };
  const cf = config.cloudflare.auth;
  if (cf?.kind === "token") add(cf.token);
  if (cf?.kind === "key") add(cf.key);
  const es = config.elasticsearch.auth;
  if (es.kind === "apiKey") {
    add(es.apiKey);
    // An encoded key is base64("id:key"); the client library may show either part or the raw pair.
    const decoded = Buffer.from(es.apiKey, "base64").toString("utf8");
    const secretPart = /^[\w-]+:([\w-]{8,})$/.exec(decoded)?.[1];
    if (secretPart) add(secretPart);
    if (es.apiKey.includes(":")) add(Buffer.from(es.apiKey).toString("base64"));
  }
  if (es.kind === "basic") {
    add(es.password);
    add(Buffer.from(`${es.username}:${es.password}`).toString("base64")); // an Authorization: Basic header
  }
  return [...new Set(forms.filter((f) => f !== ""))];
}

const patterns = new WeakMap<Config, RegExp | null>();

/** Replaces every configured secret in `text` with `<redacted>`. One pass, longest first, so overlaps cannot leak. */
export function redactSecrets(text: string, config: Config): string {
  let pattern = patterns.get(config);
  if (pattern === undefined) {
    // Cached per config: the logger calls this for every line, and a loaded config is frozen.
    const forms = secretForms(config).sort((a, b) => b.length - a.length);
    pattern = forms.length === 0 ? null : new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
    patterns.set(config, pattern);
  }
  return pattern ? text.replace(pattern, REDACTED) : text;
}
