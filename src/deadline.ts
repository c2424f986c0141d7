/**
 * The run's clock: when it must stop taking work (`RUN_DEADLINE_SECONDS`, set by the chart below the Job's
 * activeDeadlineSeconds), and one signal that ends every wait at that point or when the process is told to stop
 * (SIGTERM from Kubernetes, SIGINT from a terminal). Every retry, backoff and budget wait is bounded by it.
 */
import type { TimeLimit } from "./cloudflare/client.js";

export type StopReason = "deadline" | "terminated";

export class RunClock implements TimeLimit {
  private readonly controller = new AbortController();
  private readonly endsAt: number | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private reason: StopReason | undefined;

  constructor(
    deadlineSeconds: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (deadlineSeconds !== undefined) {
      this.endsAt = now() + deadlineSeconds * 1000;
      this.timer = setTimeout(
        () => this.stop("deadline", `the run's deadline of ${deadlineSeconds}s (RUN_DEADLINE_SECONDS) has passed`),
        deadlineSeconds * 1000,
      );
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the run was stopped, once it was. */
  get stoppedBy(): StopReason | undefined {
    return this.reason;
  }

  remainingMs(): number {
    if (this.reason) return 0;
    return this.endsAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.endsAt - this.now());
  }

  /** Ends every wait at once; the first reason wins. */
  stop(reason: StopReason, message: string): void {
    if (this.reason) return;
    this.reason = reason;
    clearTimeout(this.timer);
    this.controller.abort(new Error(message));
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
