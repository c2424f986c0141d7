/** Progress lines for long backfills: at most one every few seconds, so a CronJob's log stays short. */
import type { Logger } from "./log.js";

const EVERY_MS = 5_000;

export class Progress {
  private steps = 0;
  private documents = 0;
  private last = Date.now();
  private readonly started = Date.now();

  constructor(
    private readonly log: Logger,
    private readonly label: string,
    private total: number,
  ) {}

  /** More requests than planned: a full page split a window, or windows were cut to the rows seen so far. */
  grow(requests: number): void {
    this.total += requests;
  }

  step(documents: number): void {
    this.steps++;
    this.documents += documents;
    const now = Date.now();
    if (now - this.last < EVERY_MS || this.steps === this.total) return;
    this.last = now;
    const rate = this.steps / ((now - this.started) / 1000);
    const eta = rate > 0 ? Math.round((this.total - this.steps) / rate) : 0;
    const share = Math.floor((100 * this.steps) / this.total);
    this.log.info(`${this.label}: ${bar(share)} ${share}% (${this.steps}/${this.total} requests, ${this.documents} documents, about ${eta}s left)`);
  }

  done(): void {
    if (this.total > 0) this.log.debug(`${this.label}: ${this.steps} requests, ${this.documents} documents`);
  }
}

const bar = (share: number): string => `[${"#".repeat(Math.round(share / 5)).padEnd(20, ".")}]`;
