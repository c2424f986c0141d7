/** What every command needs, built once from the arguments: validated config, logger, sink, Cloudflare client. */
import { readFileSync } from "node:fs";
import { describeConfig, loadConfig } from "../config/index.js";
import type { Config } from "../config/types.js";
import { createCloudflareClient, type CloudflareClient, type RetryNotice, type TimeLimit } from "../cloudflare/client.js";
import { discoverOwners, type Discovery } from "../cloudflare/discovery.js";
import { createRestClient, type RestClient } from "../cloudflare/rest.js";
import { ConfigError } from "../config/errors.js";
import { Problems } from "../config/origin.js";
import { Sources } from "../config/sources.js";
import { narrowZones } from "../config/zones.js";
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
  return createCloudflareClient(ctx.config.cloudflare, { ...(time ? { time } : {}), waitForBudget, onRetry: retryLogger(ctx) });
}

/**
 * The run's one REST client (discovery, then the tunnel snapshots), so that one pacer keeps the whole process within
 * CF_REST_BUDGET; undefined when there is no REST URL.
 */
export function createRest(ctx: Context, time?: TimeLimit): RestClient | undefined {
  if (ctx.config.cloudflare.restUrl === undefined) return undefined;
  return createRestClient(ctx.config.cloudflare, { ...(time ? { time } : {}), onRetry: retryLogger(ctx) });
}

function retryLogger(ctx: Context): (notice: RetryNotice) => void {
  return ({ context, attempt, delayMs, error }) =>
    ctx.log.warn(`retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt}): ${error.message}`, { context, kind: error.kind });
}

/**
 * The zones and accounts the command works on, as the same `Zone[]` lists everything downstream reads: the configured
 * ones, or, with neither configured, the ones the credentials can read, discovered once here (cloudflare/discovery.ts)
 * and narrowed by `--zone` like configured ones. `discovery` is set when they were discovered.
 */
export async function resolveOwners(
  ctx: Context,
  flags: Record<string, unknown>,
  time?: TimeLimit,
  rest?: RestClient,
): Promise<{ ctx: Context; discovery?: Discovery }> {
  const { cloudflare } = ctx.config;
  if (cloudflare.zones.length > 0 || cloudflare.accounts.length > 0) return { ctx };
  const discovery = await discoverOwners(cloudflare, { time, onRetry: retryLogger(ctx), ...(rest ? { client: rest } : {}) });
  for (const warning of discovery.warnings) ctx.log.warn(warning);
  if (discovery.accountsNote) ctx.log.info(discovery.accountsNote);
  const problems = new Problems();
  const zones = narrowZones(discovery.zones, new Sources(flags, {}).flag("zone"), problems, "discovered");
  if (problems.list.length > 0) throw new ConfigError(problems.list);
  const frozen = (list: readonly { id: string; name: string }[]) => Object.freeze(list.map((o) => Object.freeze({ id: o.id, name: o.name })));
  const owners = { zones: frozen(zones), accounts: frozen(discovery.accounts) };
  const config = Object.freeze({ ...ctx.config, cloudflare: Object.freeze({ ...cloudflare, ...owners }) });
  return { ctx: { ...ctx, config }, discovery };
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
