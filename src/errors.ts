/** Errors the CLI maps to exit codes: usage and configuration mistakes exit 2, everything else 1. */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
