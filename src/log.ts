/**
 * Logging with winston: JSON lines when the output is not a terminal (CronJobs, log shippers), readable lines on a
 * terminal. Every line passes through one redaction rule that replaces each configured secret, whatever the level.
 */
import winston from "winston";
import type { Config, LogFormat, LogLevel } from "./config/types.js";

export type Logger = winston.Logger;

export function secretsOf(config: Config): string[] {
  const secrets: string[] = [];
  const cf = config.cloudflare.auth;
  if (cf?.kind === "token") secrets.push(cf.token);
  if (cf?.kind === "key") secrets.push(cf.key);
  const es = config.elasticsearch.auth;
  if (es.kind === "apiKey") secrets.push(es.apiKey);
  if (es.kind === "basic") secrets.push(es.password);
  // Very short values would redact ordinary words; config validation refuses empty ones.
  return secrets.filter((s) => s.length >= 4);
}

function redactor(secrets: readonly string[]) {
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") return secrets.reduce((text, secret) => text.split(secret).join("<redacted>"), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  return winston.format((info) => {
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = scrub(info[key]);
    return info;
  })();
}

export function createLogger(options: { level: LogLevel; format: LogFormat; secrets: readonly string[]; stream?: NodeJS.WritableStream }): Logger {
  const stream = options.stream ?? process.stderr;
  const text = options.format === "text" || (options.format === "auto" && (stream as { isTTY?: boolean }).isTTY === true);
  const readable = winston.format.printf((info) => {
    const { level, message, timestamp, ...meta } = info as Record<string, unknown>;
    const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : "";
    return `${String(timestamp).slice(11, 19)} ${String(level).padEnd(5)} ${String(message)}${extra}`;
  });
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redactor(options.secrets), winston.format.timestamp(), text ? readable : winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
}
