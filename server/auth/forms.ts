import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError } from '../errors.ts';
import { ensureSession, regenerateSession, SESSION_COOKIE } from '../http/session.ts';
import type { UserRow } from './queries.ts';

/** A form field's value as a trimmed string ('' when absent or not a string). */
export const formText = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
};

/** A field's raw value (passwords are not trimmed). */
export const formRaw = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/** A checkbox is on when the form sent it at all. */
export const formChecked = (body: unknown, name: string): boolean => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return value !== undefined && value !== '' && value !== 'off';
};

/**
 * The field errors of an AppError as {formField: message} (first message per
 * field), for a page to show beside its inputs; `rename` maps a service's
 * field path to the form's field name. Other errors are rethrown.
 */
export function fieldErrors(err: unknown, rename: (field: string) => string = (f) => f): { status: number; errors: Record<string, string>; message: string } {
  if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403) throw err;
  const errors: Record<string, string> = {};
  for (const e of err.errors) {
    const name = rename(e.field);
    errors[name] ??= e.message;
  }
  return { status: err.status, errors, message: err.errors.length ? 'Please correct the fields marked below.' : err.message };
}

/** A path on this site to return to after signing in; anything else (other hosts, //evil) falls back. */
export function localPath(value: unknown, fallback = '/dashboard'): string {
  if (typeof value !== 'string') return fallback;
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) return fallback;
  return value;
}

/** What a session needs to know of the user it signs in. */
export type SessionUser = Pick<UserRow, 'id' | 'role' | 'session_epoch'>;

/**
 * Gives the request a session under a new id (a planted session cannot be fixed on anyone, and one
 * stolen before does not carry over; the old row goes), filled by `fill`, keeping a message left for
 * the next page, and stores it.
 */
async function renewSession(req: Request, fill: (session: Request['session']) => void): Promise<void> {
  const flash = req.session?.flash;
  // A session that was there gets a new id; without one (none, or an ended one dropped), a new one is made.
  if (req.session) await regenerateSession(req);
  else ensureSession(req);
  fill(req.session);
  if (flash) req.session.flash = flash;
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/**
 * Starts a fresh session for a signed-in user: a new id, a new CSRF token, the user's session epoch and
 * the sign-in time by the app's clock (the absolute lifetime counts from it). Given only a user id (older
 * callers), the next request fills in the epoch, role and time.
 */
export async function startSession(req: Request, user: number | SessionUser, now?: Date): Promise<void> {
  await renewSession(req, (session) => {
    if (typeof user === 'number') {
      session.userId = user;
      session.pending = true;
    } else {
      session.userId = user.id;
      session.epoch = user.session_epoch;
      session.role = user.role;
      session.signedInAt = (now ?? new Date()).getTime();
    }
    session.csrfToken = crypto.randomBytes(32).toString('base64url');
  });
}

/**
 * After the right password of a user with a second factor: a session under a new id that is NOT signed
 * in (no userId), holding only who is signing in, their session epoch, when (the code step expires, see
 * PENDING_SIGN_IN_MS in two-factor.ts) and where to go next. The code step (two-factor-routes.ts)
 * finishes with startSession.
 */
export async function startSecondFactorStep(req: Request, user: SessionUser, now: Date, next?: string): Promise<void> {
  await renewSession(req, (session) => {
    session.twoFactor = { userId: user.id, epoch: user.session_epoch, startedAt: now.getTime(), ...(next ? { next } : {}) };
  });
}

/** Ends this session: its row goes, and the browser is told to forget the cookie. */
export function endSession(req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!req.session) {
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      return resolve();
    }
    req.session.destroy((err) => {
      if (err) return reject(err);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      resolve();
    });
  });
}

/** Text a person typed, fit for the audit log: PostgreSQL text holds no NUL, so each becomes U+FFFD. */
export const typedText = (text: string): string => text.replace(/\u0000/g, '\uFFFD');

/** A message for the next page (shown once by the layout). */
export const setFlash = (req: Request, message: string) => {
  ensureSession(req).flash = message;
};
