/**
 * Safe views of a loaded configuration: `describeConfig` for debug logs and `check`, and `redactSecrets` as the
 * logger's last line of defence for texts that may embed a credential (an error echoing a request, a stack).
 */
import { REDACTED } from "./errors.js";
import type { CloudflareAuth, Config, ElasticsearchAuth } from "./types.js";

/** The configuration as plain JSON-able data with every secret replaced by `<redacted>`; unset values are null. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { cloudflare: cf, elasticsearch: es } = config;
  return {
    cloudflare: {
      apiUrl: cf.apiUrl,
      auth: describeCloudflareAuth(cf.auth),
      zones: cf.zones.map((z) => ({ id: z.id, name: z.name })),
      accounts: cf.accounts.map((a) => ({ id: a.id, name: a.name })),
      topN: cf.topN,
      confidenceLevel: cf.confidenceLevel ?? null,
      queryBudget: cf.queryBudget,
      timeoutSeconds: cf.timeoutSeconds,
      maxRetrySeconds: cf.maxRetrySeconds,
      caFile: cf.caFile ?? null,
      maxResponseBytes: cf.maxResponseBytes,
    },
    elasticsearch: {
      url: es.url ?? null,
      auth: describeElasticsearchAuth(es.auth),
      caFile: es.caFile ?? null,
      tlsVerify: es.tlsVerify,
      indexPrefix: es.indexPrefix,
      indexPeriod: es.indexPeriod,
      retentionDays: es.retentionDays,
    },
    datasets: config.datasets ? [...config.datasets] : null,
    output: config.output ?? null,
    window: { ...config.window },
    gate: { uri: config.gate.uri ?? null, cluster: config.gate.cluster, namespace: config.gate.namespace, timeoutSeconds: config.gate.timeoutSeconds, caFile: config.gate.caFile ?? null },
    run: { deadlineSeconds: config.run.deadlineSeconds ?? null },
    log: { ...config.log },
  };
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
