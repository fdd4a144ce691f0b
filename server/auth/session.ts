import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { ensureSession, regenerateSession, SESSION_COOKIE } from '../http/session.ts';
import type { UserRow } from './queries.ts';

/** Signing a user's session in and out: a new id at each step, the user's epoch and the sign-in time kept. */

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
