import type { Log } from '../log.ts';

/**
 * A worker's claim on rows it is working through, kept alive: every third of the lease (real time: the
 * lease is about real crashes), the rows still in `held` are renewed. Shared by the sending worker and
 * the webhook delivery pass. Returns the function that stops the renewal.
 */
export function renewWhileHeld(leaseMs: number, held: ReadonlySet<number>, renew: (ids: number[]) => Promise<void>, log: Log, what: string): () => void {
  const timer = setInterval(() => {
    if (held.size) renew([...held]).catch((err: unknown) => log.warn({ err }, `renewing the claim on ${what} failed`));
  }, Math.max(500, leaseMs / 3));
  return () => clearInterval(timer);
}
