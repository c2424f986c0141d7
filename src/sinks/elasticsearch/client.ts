import { readFileSync } from "node:fs";
import { Client, type ClientOptions } from "@elastic/elasticsearch";
import type { ElasticsearchConfig } from "../../config/types.js";

/** One client per run. Credentials go only into the client's options, never into a message. */
export function createElasticsearchClient(
  config: ElasticsearchConfig & { url: string },
  bounds: { readonly requestTimeoutMs?: number; readonly maxRetries?: number } = {},
): Client {
  const options: ClientOptions = {
    node: config.url,
    maxRetries: bounds.maxRetries ?? 3,
    requestTimeout: bounds.requestTimeoutMs ?? 120_000,
    compression: false,
  };
  if (config.auth.kind === "apiKey") options.auth = { apiKey: config.auth.apiKey };
  if (config.auth.kind === "basic") options.auth = { username: config.auth.username, password: config.auth.password };
  if (config.url.startsWith("https:")) {
    options.tls = { rejectUnauthorized: config.tlsVerify, ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}) };
  }
  return new Client(options);
}

/** A short, secret-free description of an Elasticsearch client error. */
export function describeEsError(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } };
    const body = e.meta?.body as { error?: { type?: string; reason?: string } } | undefined;
    // Reasons can quote whole internal task descriptions; the start says what happened.
    if (body?.error?.type) return `${e.meta?.statusCode ?? ""} ${body.error.type}: ${(body.error.reason ?? "").slice(0, 200)}`.trim();
    if (e.name === "ConnectionError") return `cannot connect: ${e.message ?? ""}`;
    if (e.message) return `${e.name ?? "Error"}: ${e.message}`;
  }
  return String(error);
}

/** The HTTP status of an Elasticsearch client error, when the cluster answered at all. */
export function esStatus(error: unknown): number | undefined {
  const status = (error as { meta?: { statusCode?: unknown } } | null)?.meta?.statusCode;
  // The client reports "no answer" (connection refused, TLS failure) as status 0.
  return typeof status === "number" && status > 0 ? status : undefined;
}
