/**
 * Logging with winston: JSON lines when the output is not a terminal (CronJobs, log shippers), readable lines on a
 * terminal. Lines are written only through a `RedactingStream`, as structured records: every value is redacted
 * before the line is serialized (field names and the level never are).
 */
import { Writable } from "node:stream";
import winston from "winston";
import type { LogFormat, LogLevel } from "./config/types.js";
import type { RedactingStream } from "./redact.js";

export type Logger = winston.Logger;

type Record_ = Record<string, unknown>;

/** JSON line with the level and message first, the timestamp last (the order of the fields carries no meaning). */
export function jsonLine(record: Record_): string {
  const { level, message, timestamp, ...rest } = record;
  return `${JSON.stringify({ level, message, ...rest, timestamp })}\n`;
}

function readableLine(record: Record_): string {
  const { level, message, timestamp, ...meta } = record;
  const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : "";
  return `${String(timestamp).slice(11, 19)} ${String(level).padEnd(5)} ${String(message)}${extra}\n`;
}

/** Whether lines for `stream` should be readable text rather than JSON. */
export function readableFor(format: LogFormat, stream: { isTTY?: boolean }): boolean {
  return format === "text" || (format === "auto" && stream.isTTY === true);
}

export function createLogger(options: { level: LogLevel; format: LogFormat; output: RedactingStream }): Logger {
  const serialize = readableFor(options.format, options.output) ? readableLine : jsonLine;
  // winston's stream transport hands whole records to an object-mode stream: this one gives each to the redacting
  // output, which redacts its values and only then serializes it.
  const records = new Writable({
    objectMode: true,
    write(record: Record_, _encoding, done) {
      options.output.writeRecord(record, serialize);
      done();
    },
  });
  return winston.createLogger({
    level: options.level,
    format: winston.format.timestamp(),
    transports: [new winston.transports.Stream({ stream: records })],
  });
}
