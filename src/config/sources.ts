/**
 * Where raw values come from, and the precedence flags > environment > config file. Credentials are read through
 * `envVar` alone (see auth.ts): flags would show in `ps`, and config files get committed.
 */
import type { Found } from "./origin.js";
import { SETTINGS, type Setting, settingOf } from "./settings.js";

/** Every key the config file may contain, as dotted paths. */
export const filePaths: readonly string[] = (SETTINGS as readonly Setting[]).flatMap((s) => (s.key ? [s.key] : []));

/** The config file after parsing and the structural check: dotted path -> raw value. */
export interface ConfigFile {
  readonly file: string;
  readonly values: ReadonlyMap<string, unknown>;
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export class Sources {
  constructor(
    private readonly flags: Record<string, unknown>,
    private readonly env: Record<string, string | undefined>,
    private readonly file: ConfigFile | undefined = undefined,
  ) {}

  withFile(file: ConfigFile | undefined): Sources {
    return new Sources(this.flags, this.env, file);
  }

  /** A flag as yargs parsed it (kebab or camel key); `undefined`/`null` mean not given. */
  flag(name: string): Found | undefined {
    const value = this.flags[name] ?? this.flags[camel(name)];
    return value === undefined || value === null ? undefined : { value, origin: { kind: "flag", name } };
  }

  /** An environment variable. Empty (or blank) counts as unset: manifests often template `value: ""`. */
  envVar(name: string): Found | undefined {
    if (!settingOf(name)) throw new TypeError(`${name} is not declared in settings.ts`);
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : { value, origin: { kind: "env", name } };
  }

  fileValue(path: string): Found | undefined {
    const value = this.file?.values.get(path);
    // YAML `key:` with nothing after it is null: treat it as absent, so keys can be blanked out.
    if (!this.file || value === undefined || value === null) return undefined;
    return { value, origin: { kind: "file", path, file: this.file.file } };
  }

  /** The winning value. A single-valued flag given twice arrives as an array; the last one wins, as in most CLIs. */
  lookup(setting: Setting): Found | undefined {
    const flag = setting.flag === undefined ? undefined : this.flag(setting.flag);
    const list = setting.kind === "datasets" || setting.kind === "ids";
    if (flag) return Array.isArray(flag.value) && !list ? { ...flag, value: flag.value.at(-1) } : flag;
    return (setting.env ? this.envVar(setting.env) : undefined) ?? (setting.key ? this.fileValue(setting.key) : undefined);
  }
}

/** `tree` at a dotted path such as `cloudflare.topN`. */
export function valueAt(tree: object, path: string): unknown {
  return path.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree);
}

export function setAt(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  const last = parts.pop()!;
  let node = tree;
  for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
  node[last] = value;
}
