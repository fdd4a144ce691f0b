import type { Response } from 'express';
import type { Deps } from '../deps.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { waitText, type ThrottleHold } from '../auth/throttle.ts';

/** The page's words for a refusal: when to try again, and nothing about whether the account exists. */
export const signInThrottledMessage = (hold: ThrottleHold) => `Too many sign-in attempts. Try again in ${waitText(hold.retryAfterSeconds)}.`;

/** The same for wrong second-factor codes. */
export const twoFactorThrottledMessage = (hold: ThrottleHold) => `Too many wrong codes. Try again in ${waitText(hold.retryAfterSeconds)}.`;

/** Answers a throttled request at once: 429, Retry-After in seconds. */
export const setRetryAfter = (res: Response, hold: ThrottleHold) => res.status(429).set('Retry-After', String(hold.retryAfterSeconds));

/** The audit line of a hold that begins (one line per hold, not one per refused request). */
export const auditHold = (deps: Deps, actor: AuditActor, hold: ThrottleHold, account: string | null, now: Date) =>
  audit(
    deps.db,
    {
      actor,
      action: 'auth.throttled',
      target: account ? { type: 'user', label: account } : undefined,
      detail: { kind: hold.kind, scope: hold.scope, retry_after_seconds: hold.retryAfterSeconds, until: hold.until.toISOString() },
    },
    now,
  );
