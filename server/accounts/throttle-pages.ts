import type { Response } from 'express';
import type { Deps } from '../deps.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import type { ThrottleHold } from '../auth/throttle.ts';
import { t, type Locale } from '../i18n/index.ts';

/**
 * How long to wait, in the page's language ("5 minutes", "5 Minuten"): the units and rounding of waitText
 * (throttle.ts), which the log and the command line keep in English.
 */
export function waitIn(locale: Locale, seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return t(locale, 'signin.wait', { unit: 'second', count: s });
  const minutes = Math.ceil(s / 60);
  if (minutes < 60 || (minutes > 60 && minutes < 120)) return t(locale, 'signin.wait', { unit: 'minute', count: minutes });
  return t(locale, 'signin.wait', { unit: 'hour', count: Math.ceil(minutes / 60) });
}

/** The page's words for a refusal: when to try again, and nothing about whether the account exists. */
export const signInThrottledMessage = (locale: Locale, hold: ThrottleHold) => t(locale, 'signin.throttled', { wait: waitIn(locale, hold.retryAfterSeconds) });

/** The same for wrong second-factor codes. */
export const twoFactorThrottledMessage = (locale: Locale, hold: ThrottleHold) => t(locale, 'twofactor.throttled', { wait: waitIn(locale, hold.retryAfterSeconds) });

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
