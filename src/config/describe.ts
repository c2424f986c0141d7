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
