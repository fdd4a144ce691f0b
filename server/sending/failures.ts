import { HOUR, MINUTE } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { SendError } from '../mail/transport.ts';

/** Waits after the 1st, 2nd … failed attempt; the attempt after the last one is final. */
export const RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** What a failed send means: a hard bounce, the last attempt gone, or a retry after the backoff. */
export type FailureDecision =
  | { kind: 'bounced'; error: string; code: number | undefined }
  | { kind: 'failed'; error: string }
  | { kind: 'retried'; error: string; delayMs: number; retryAt: string };

/** Decides what a send's failure means for an invitation (or its reminder) on its `attempts`-th attempt. */
export function failureDecision(err: unknown, attempts: number, now: Date): FailureDecision {
  const failure = err instanceof SendError ? err : new SendError(err instanceof Error ? err.message : String(err), false);
  const error = failure.message.slice(0, 2000);
  if (failure.permanent) return { kind: 'bounced', error, code: failure.responseCode };
  if (attempts >= MAX_ATTEMPTS) return { kind: 'failed', error };
  const delayMs = RETRY_DELAYS_MS[Math.max(0, attempts - 1)] ?? RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1];
  return { kind: 'retried', error, delayMs, retryAt: toDbTime(new Date(now.getTime() + delayMs)) };
}
