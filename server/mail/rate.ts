/**
 * At most `perSecond` sends per second: each take() waits for its slot, the
 * slots spaced evenly (1000 / perSecond ms apart), so a burst never exceeds
 * the rate the mail provider allows.
 */
export class SendRateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(
    perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the caller may send; returns how long it waited (ms). */
  async take(): Promise<number> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    const wait = slot - now;
    if (wait > 0) await this.sleep(wait);
    return wait;
  }
}
