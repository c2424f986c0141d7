/**
 * The exporter's error family. Every failure a user can see is an `ExporterError`: it names the service that failed
 * (so a one-line fatal message can say where to look), a kind, whether trying again can help, and what to do about
 * it; the original client error stays reachable as `cause` but is never shown raw.
 */

export type Service = "cloudflare" | "elasticsearch" | "output" | "gate" | "configuration" | "exporter";

export interface ExporterErrorOptions {
  /** What the user can do about it, in one sentence. */
  readonly fix?: string | undefined;
  readonly cause?: unknown;
}

export class ExporterError extends Error {
  override readonly name: string = "ExporterError";
  readonly fix: string | undefined;

  constructor(
    message: string,
    readonly service: Service,
    /** A short machine-readable class of failure within the service, e.g. `budget`, `network`, `usage`. */
    readonly kind: string,
    /** Whether the same request may succeed later (after a wait). */
    readonly retryable: boolean,
    options: ExporterErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fix = options.fix;
  }
}

/** A mistake in how the command was called (flags, arguments): exit 2. */
export class UsageError extends ExporterError {
  override readonly name = "UsageError";
  constructor(message: string, options: ExporterErrorOptions = {}) {
    super(message, "configuration", "usage", false, options);
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
