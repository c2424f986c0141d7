/** The configuration as plain JSON-able data for debug logs and `check`: every setting, every secret `<redacted>`. */
import { REDACTED } from "./errors.js";
import { SETTINGS, type Setting } from "./settings.js";
import { setAt, valueAt } from "./sources.js";
import type { CloudflareAuth, Config, ElasticsearchAuth } from "./types.js";

/** Unset values are null, so the description has every key. */
export function describeConfig(config: Config): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const { key } of SETTINGS as readonly Setting[]) {
    if (key) setAt(view, key, JSON.parse(JSON.stringify(valueAt(config, key) ?? null)) as unknown);
  }
  setAt(view, "cloudflare.auth", describeCloudflareAuth(config.cloudflare.auth));
  setAt(view, "elasticsearch.auth", describeElasticsearchAuth(config.elasticsearch.auth));
  return view;
}

function describeCloudflareAuth(auth: CloudflareAuth | undefined): Record<string, unknown> | null {
  if (!auth) return null;
  if (auth.kind === "token") return { kind: "token", token: REDACTED };
  return { kind: "key", email: auth.email, key: REDACTED };
}

function describeElasticsearchAuth(auth: ElasticsearchAuth): Record<string, unknown> {
  if (auth.kind === "apiKey") return { kind: "apiKey", apiKey: REDACTED };
  if (auth.kind === "basic") return { kind: "basic", username: auth.username, password: REDACTED };
  return { kind: "none" };
}
