/**
 * Logging with winston: JSON lines when the output is not a terminal (CronJobs, log shippers), readable lines on a
 * terminal. Every line passes through one redaction rule (the config's `redactSecrets`), whatever the level.
 */
import winston from "winston";
import type { LogFormat, LogLevel } from "./config/types.js";

export type Logger = winston.Logger;

/** Scrubs every string in a log record with `redact`, whatever the level or field. */
function redactor(redact: (text: string) => string) {
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") return redact(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  return winston.format((info) => {
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = scrub(info[key]);
    return info;
  })();
}

export function createLogger(options: { level: LogLevel; format: LogFormat; redact: (text: string) => string; stream?: NodeJS.WritableStream }): Logger {
  const stream = options.stream ?? process.stderr;
  const text = options.format === "text" || (options.format === "auto" && (stream as { isTTY?: boolean }).isTTY === true);
  const readable = winston.format.printf((info) => {
    const { level, message, timestamp, ...meta } = info as Record<string, unknown>;
    const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : "";
    return `${String(timestamp).slice(11, 19)} ${String(level).padEnd(5)} ${String(message)}${extra}`;
  });
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redactor(options.redact), winston.format.timestamp(), text ? readable : winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
}
