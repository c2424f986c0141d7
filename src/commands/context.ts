/** What every command needs, built once from the arguments: validated config, logger, sink, Cloudflare client. */
import { readFileSync } from "node:fs";
import { describeConfig, loadConfig } from "../config/index.js";
import type { Config } from "../config/types.js";
import { createCloudflareClient, type CloudflareClient, type TimeLimit } from "../cloudflare/client.js";
import { createLogger, type Logger } from "../log.js";
import { redactIo, type RedactedIo } from "../redact.js";
import { createElasticsearchClient } from "../sinks/elasticsearch/client.js";
import { elasticsearchSink } from "../sinks/elasticsearch/sink.js";
import { ndjsonSink } from "../sinks/ndjson.js";
import type { Sink } from "../sinks/sink.js";
import { UsageError } from "../errors.js";

export interface Io {
  readonly env: Record<string, string | undefined>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface Context {
  readonly config: Config;
  readonly log: Logger;
  /** The command's output: every write to it is redacted. Commands write here, never to the raw streams. */
  readonly io: RedactedIo;
  /** Things to close when the command ends, in reverse order. */
  readonly cleanups: (() => Promise<void>)[];
}

export function createContext(flags: Record<string, unknown>, io: Io, mode: { demo?: boolean; requireCloudflareAuth?: boolean } = {}): Context {
  const warnings: string[] = [];
  const config = loadConfig({ flags, env: io.env, readFile: (path) => readFileSync(path, "utf8"), mode, onWarning: (w) => warnings.push(w) });
  // From here on everything the command prints passes the redaction of this configuration's secrets.
  const out = redactIo(io, config);
  const log = createLogger({ level: config.log.level, format: config.log.format, output: out.stderr });
  for (const warning of warnings) log.warn(warning);
  log.debug("configuration", { config: describeConfig(config) });
  return { config, log, io: out, cleanups: [] };
}

export function createCloudflare(ctx: Context, time?: TimeLimit, waitForBudget = true): CloudflareClient {
  return createCloudflareClient(ctx.config.cloudflare, {
    ...(time ? { time } : {}),
    waitForBudget,
    onRetry: ({ context, attempt, delayMs, error }) =>
      ctx.log.warn(`retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt}): ${error.message}`, { context, kind: error.kind }),
  });
}

/** Closes what the command opened (Elasticsearch client, demo simulator), newest first. */
export async function closeContext(ctx: Context): Promise<void> {
  for (const cleanup of ctx.cleanups.reverse()) await cleanup();
}

/** `--output` wins; then Elasticsearch; the demo falls back to files so it needs nothing installed. */
export function createSink(ctx: Context, demoFallbackDir?: string, time?: TimeLimit): Sink {
  const { config } = ctx;
  const dir = config.output ?? (config.elasticsearch.url ? undefined : demoFallbackDir);
  if (dir) return ndjsonSink(dir, config.elasticsearch, ctx.io.stdout.redactor);
  if (!config.elasticsearch.url) {
    throw new UsageError("no destination: set ES_URL (or elasticsearch.url in the config file), or pass --output <dir> to write NDJSON files");
  }
  const es = { ...config.elasticsearch, url: config.elasticsearch.url };
  const warn = (message: string): void => {
    ctx.log.warn(message);
  };
  const sink = elasticsearchSink(es, createElasticsearchClient(es), time, warn);
  ctx.cleanups.push(() => sink.close());
  return sink;
}
