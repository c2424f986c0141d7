/**
 * The validated configuration of one run, built once by `loadConfig` before any network call; everything downstream
 * takes this object and nothing else. Its fields come from the settings table (settings.ts), where each one is
 * documented: a setting's key is its path here and its kind its type; one without a default may be undefined.
 * Only the credentials, which several variables make up, are declared here.
 */
import type { SETTINGS } from "./settings.js";

/** A Cloudflare zone as the user names it: the zone tag (32 hex chars in real accounts) and a display name. */
export interface Zone {
  readonly id: string;
  readonly name: string;
}

/** Cloudflare credentials: an API token (preferred) or the legacy global key with its e-mail. Undefined only when
 *  none were given (allowed for --demo and `bootstrap`). */
export type CloudflareAuth = { readonly kind: "token"; readonly token: string } | { readonly kind: "key"; readonly email: string; readonly key: string };

/** Elasticsearch credentials. `none` is for clusters without security (and the test server). */
export type ElasticsearchAuth =
  | { readonly kind: "none" }
  | { readonly kind: "apiKey"; readonly apiKey: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string };

type Entry = Extract<(typeof SETTINGS)[number], { key: string }>;
type ValueOf<E> = E extends { kind: "whole" | "share" }
  ? number
  : E extends { kind: "bool" }
    ? boolean
    : E extends { choices: readonly (infer C)[] }
      ? C
      : E extends { kind: "owners" }
        ? readonly Zone[]
        : E extends { kind: "globs" }
          ? readonly string[]
          : E extends { kind: "datasets" }
            ? readonly string[]
            : string;
/** Zones and accounts are empty lists when unset; other settings without a default are undefined. */
type FieldOf<E> = E extends { default: unknown } | { kind: "owners" } ? ValueOf<E> : ValueOf<E> | undefined;
type Fields<Section extends string> = { readonly [E in Entry as E["key"] extends `${Section}.${infer F}` ? F : never]: FieldOf<E> };

export type CloudflareConfig = Fields<"cloudflare"> & { readonly auth: CloudflareAuth | undefined };
export type ElasticsearchConfig = Fields<"elasticsearch"> & { readonly auth: ElasticsearchAuth };
type WindowConfig = Fields<"window">;
export type GateConfig = Fields<"gate">;
type RunConfig = Fields<"run">;
export type Config = { readonly [E in Entry as E["key"] extends `${string}.${string}` ? never : E["key"]]: FieldOf<E> } & {
  readonly cloudflare: CloudflareConfig;
  readonly elasticsearch: ElasticsearchConfig;
  readonly window: WindowConfig;
  readonly gate: GateConfig;
  readonly run: RunConfig;
  readonly log: Fields<"log">;
};

export type IndexPeriod = ElasticsearchConfig["indexPeriod"];
export type LogLevel = Config["log"]["level"];
export type LogFormat = Config["log"]["format"];
