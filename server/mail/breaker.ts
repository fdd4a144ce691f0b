import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { SendError, type MailTransport, type TransportHealth } from './transport.ts';

/** How long sending pauses after the mail server could not be reached: doubling from the first to the last. */
const FIRST_PAUSE_MS = 2_000;
const LONGEST_PAUSE_MS = 30_000;

/**
 * A circuit breaker around a transport: when the mail server cannot be reached (no connection, no
 * greeting, 421), sending pauses: available() says no until a probe is due, then one send tries the
 * server again (the pause doubles while it stays away, up to LONGEST_PAUSE_MS). The worker claims
 * nothing while it is paused, and the invitations it held go back without using an attempt.
 */
export function withCircuitBreaker(inner: Pick<MailTransport, 'kind' | 'send' | 'close'>, clock: Clock, log: Log): MailTransport {
  let down: { since: Date; retryAt: Date; pauseMs: number; lastError: string } | null = null;
  return {
    kind: inner.kind,
    available: () => !down || clock.now().getTime() >= down.retryAt.getTime(),
    health(): TransportHealth {
      return down
        ? { state: 'down', since: down.since.toISOString(), retryAt: down.retryAt.toISOString(), lastError: down.lastError }
        : { state: 'up', since: null, retryAt: null, lastError: null };
    },
    async send(mail) {
      const probe = down; // null: sending normally; else this send probes the server (below)
      if (down) {
        // This send is the probe: the next one waits for the next pause unless it succeeds.
        if (clock.now().getTime() < down.retryAt.getTime()) throw new SendError(`The mail server is unreachable; sending paused until ${down.retryAt.toISOString()}`, false, undefined, true);
        down.retryAt = new Date(clock.now().getTime() + down.pauseMs);
      }
      try {
        const result = await inner.send(mail);
        if (down) log.info({ downSince: down.since.toISOString() }, 'the mail server answers again; sending resumes');
        down = null;
        return result;
      } catch (err) {
        // Only the first failure or a failed probe sets the pause: sends already in flight that fail with it do not double it again.
        if (err instanceof SendError && err.unreachable && down === probe) {
          const pauseMs = down ? Math.min(down.pauseMs * 2, LONGEST_PAUSE_MS) : FIRST_PAUSE_MS;
          const now = clock.now();
          if (!down) log.warn({ err: err.message }, 'the mail server is unreachable; sending pauses (invitations keep their attempts)');
          down = { since: down?.since ?? now, retryAt: new Date(now.getTime() + pauseMs), pauseMs, lastError: err.message.slice(0, 500) };
        }
        throw err;
      }
    },
    close: () => inner.close(),
  };
}
