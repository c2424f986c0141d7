/**
 * Credentials, read only from the environment: either the variable itself or `<NAME>_FILE` naming a mounted
 * Kubernetes Secret. Flags would show in `ps` and files get committed, so neither is offered. Every problem about a
 * secret shows `<redacted>` (or the path of the file it comes from), never the secret.
 */
import type { CloudflareAuth, ElasticsearchAuth } from "./types.js";
import { REDACTED } from "./errors.js";
import { type ReadFile, readError } from "./file.js";
import { type Found, labelOf, type Problems } from "./origin.js";
import { MIN_SECRET_LENGTH, settingOf } from "./settings.js";
import type { Sources } from "./sources.js";

export interface AuthContext {
  readonly sources: Sources;
  readonly problems: Problems;
  readonly readFile: ReadFile;
  readonly warn: (message: string) => void;
}

interface Secret {
  readonly value: string;
  /** The variable it came from; for `*_FILE` the value is the (non-secret) path. */
  readonly found: Found;
}

/** `invalid`: set, but unusable and already reported; callers then skip the "missing partner" checks. */
type Read<T> = T | "invalid" | undefined;

const nameOf = (found: Found): string => labelOf(found.origin);

/** The variable or, failing it, one of its older names (settings.ts); both set and different is ambiguous. */
function aliased(ctx: AuthContext, name: string, secret: boolean): Read<Found> {
  const names = [name, ...(settingOf(name)?.aliases ?? [])];
  const set = names.map((n) => ctx.sources.envVar(n)).filter((f): f is Found => f !== undefined);
  const [first, second] = set;
  if (first && second && first.value !== second.value) {
    const reason = `is set and differs from ${nameOf(first)}`;
    const fix = `set only ${nameOf(first)}`;
    if (secret) ctx.problems.secret(second, reason, fix);
    else ctx.problems.bad(second, reason, fix);
    return "invalid";
  }
  return first;
}

function readSecret(ctx: AuthContext, name: string, kind: "token" | "password"): Read<Secret> {
  const direct = aliased(ctx, name, true);
  const fileVar = `${name}_FILE`;
  const fromFile = ctx.sources.envVar(fileVar);
  if (direct === "invalid") return direct;
  if (direct && fromFile) {
    ctx.problems.bad(fromFile, `is set together with ${nameOf(direct)}`, `set only one of ${nameOf(direct)} and ${fileVar}`);
    return "invalid";
  }
  if (direct && nameOf(direct) !== name) ctx.warn(`${nameOf(direct)} is deprecated; rename it to ${name}`);
  let value: string;
  let found: Found;
  if (fromFile) {
    found = fromFile;
    const path = String(fromFile.value).trim();
    try {
      value = ctx.readFile(path).trim(); // a Secret mounted from `echo token > file` ends in a newline
    } catch (error) {
      ctx.problems.bad(fromFile, `names a file that cannot be read: ${readError(error)}`, `mount the Secret at that path or correct ${fileVar}`);
      return "invalid";
    }
    if (value === "") {
      ctx.problems.bad(fromFile, "names an empty file", `put the secret in the file, or unset ${fileVar}`);
      return "invalid";
    }
  } else if (direct) {
    found = direct;
    // Tokens and keys never contain whitespace, so a stray newline is trimmed; a password is taken exactly.
    value = kind === "token" ? String(direct.value).trim() : String(direct.value);
  } else {
    return undefined;
  }
  if (kind === "token" && /\s/.test(value)) {
    // Usually two values pasted together or a quoted "Bearer ..." header; either way the service would refuse it.
    const reason = fromFile ? "names a file whose content contains whitespace" : "contains whitespace";
    ctx.problems.bad(found, reason, "it must hold only the token or key itself", fromFile ? undefined : REDACTED);
    return "invalid";
  }
  if (value.length < MIN_SECRET_LENGTH) {
    // The logger blanks every occurrence of a secret: a short one would also blank parts of ordinary words.
    const reason = `${fromFile ? "names a file whose content is" : "is"} shorter than ${MIN_SECRET_LENGTH} characters, too short to keep out of logs safely`;
    const fix =
      kind === "token"
        ? "set the complete token or key; real ones are much longer"
        : `give the user a password of at least ${MIN_SECRET_LENGTH} characters and set that`;
    ctx.problems.bad(found, reason, fix, fromFile ? undefined : REDACTED);
    return "invalid";
  }
  return { value, found };
}

export function cloudflareAuth(ctx: AuthContext, required: boolean): CloudflareAuth | undefined {
  const { problems } = ctx;
  const token = readSecret(ctx, "CF_API_TOKEN", "token");
  const key = readSecret(ctx, "CF_API_KEY", "token");
  const email = ctx.sources.envVar("CF_API_EMAIL");
  if (token === "invalid" || key === "invalid") return undefined;
  if (token && key) {
    problems.secret(key.found, `is set together with ${nameOf(token.found)}`, "set only one: an API token (preferred), or CF_API_EMAIL with CF_API_KEY");
    return undefined;
  }
  if (token && email) {
    problems.bad(email, `is set together with ${nameOf(token.found)}, but is only used with CF_API_KEY`, "unset CF_API_EMAIL: an API token needs no e-mail");
    return undefined;
  }
  if (token) return { kind: "token", token: token.value };
  if (key && !email) {
    problems.add(
      "CF_API_EMAIL",
      undefined,
      `is not set, but ${nameOf(key.found)} is; the global API key needs the account's e-mail`,
      "set CF_API_EMAIL, or use CF_API_TOKEN instead",
    );
    return undefined;
  }
  if (email && !key) {
    problems.add("CF_API_KEY", undefined, "is not set, but CF_API_EMAIL is", "set CF_API_KEY (or CF_API_KEY_FILE), or unset CF_API_EMAIL and set CF_API_TOKEN");
    return undefined;
  }
  if (key && email) {
    const address = String(email.value).trim();
    if (/^[^\s@]+@[^\s@]+$/.test(address)) return { kind: "key", email: address, key: key.value };
    problems.bad(email, "is not an e-mail address", "set the e-mail of the account that owns the global API key");
    return undefined;
  }
  if (required) {
    problems.add(
      "CF_API_TOKEN",
      undefined,
      "is not set, and no other Cloudflare credentials are",
      "set CF_API_TOKEN (or CF_API_TOKEN_FILE) to an API token with Analytics Read permission; the legacy CF_API_EMAIL with CF_API_KEY also works",
    );
  }
  return undefined;
}

export function elasticsearchAuth(ctx: AuthContext): ElasticsearchAuth {
  const { problems } = ctx;
  const none: ElasticsearchAuth = { kind: "none" };
  const apiKey = readSecret(ctx, "ES_API_KEY", "token");
  const user = aliased(ctx, "ES_USER", false);
  const password = readSecret(ctx, "ES_PASSWORD", "password");
  if (apiKey === "invalid" || user === "invalid" || password === "invalid") return none;
  const basicFrom = user ?? password?.found;
  if (apiKey && basicFrom) {
    problems.secret(apiKey.found, `is set together with ${nameOf(basicFrom)}`, "use one kind of credentials: ES_API_KEY, or ES_USER with ES_PASSWORD");
    return none;
  }
  if (apiKey) return { kind: "apiKey", apiKey: apiKey.value };
  if (user && !password) {
    problems.add("ES_PASSWORD", undefined, `is not set, but ${nameOf(user)} is`, "set ES_PASSWORD (or ES_PASSWORD_FILE), or unset ES_USER");
    return none;
  }
  if (password && !user) {
    problems.add("ES_USER", undefined, `is not set, but ${nameOf(password.found)} is`, "set ES_USER to the user name that goes with the password");
    return none;
  }
  if (user && password) return { kind: "basic", username: String(user.value).trim(), password: password.value };
  return none;
}
