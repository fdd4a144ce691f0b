import type { RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import { locales, pickLocale } from '../i18n/index.ts';
import type { Config } from '../config.ts';
import { DAY } from '../clock.ts';
import { AppError, ForbiddenError } from '../errors.ts';
import { dropSession, rotateSession } from '../http/session.ts';
import { findUserById, type UserRow } from './queries.ts';
import { hasRole, type Role } from './roles.ts';
import { needsSetup } from './service.ts';

/** Who is signed in, on every app request: the session's user checked, roles required, setup first. */

export type SignedInUser = Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'locale'>;

/** The absolute lifetime of a session in ms, however active (SESSION_MAX_AGE_DAYS, default 7): after it, sign in again. */
const sessionMaxAgeMs = (config: Pick<Config, 'sessionMaxAgeDays'>): number => config.sessionMaxAgeDays * DAY;

/**
 * The signed-in user (if any) where routes and views see them, and the CSRF token for the page's forms.
 * A session counts as signed in only while its user is active, its epoch is the user's (no password
 * change, reset or deactivation since), and it is younger than the absolute lifetime; otherwise it ends
 * here. A role change since the session was issued gives it a new id. Signed-in pages are never cached.
 */
export function currentUser(deps: Deps): RequestHandler {
  const maxAgeMs = sessionMaxAgeMs(deps.config);
  return async (req, res, next) => {
    const s = req.session;
    if (s.userId !== undefined) {
      const user = await findUserById(deps.db, s.userId);
      const now = deps.clock.now().getTime();
      if (user && s.pending) {
        s.epoch = user.session_epoch;
        s.role = user.role;
        s.signedInAt = now;
        delete s.pending;
      }
      const valid =
        !!user &&
        !user.deactivated_at &&
        s.epoch === user.session_epoch &&
        typeof s.signedInAt === 'number' &&
        now - s.signedInAt < maxAgeMs;
      if (!valid) {
        // Signed out: the stored session goes, and no empty one takes its place.
        await dropSession(req, res);
      } else {
        if (s.role !== user.role) await rotateSession(req, { role: user.role });
        res.locals.user = { id: user.id, email: user.email, name: user.name, role: user.role, locale: user.locale } satisfies SignedInUser;
        res.locals.isEditor = hasRole(user.role, 'editor');
        res.locals.isAdmin = hasRole(user.role, 'admin');
        res.set('Cache-Control', 'no-store');
      }
    }
    res.locals.csrfToken = (res.locals.csrfTokenFor as () => string)();
    // The staff pages' language: the signed-in user's choice (the account page), else the browser's.
    res.locals.locale = pickLocale((res.locals.user as SignedInUser | undefined)?.locale ?? (req.acceptsLanguages(...locales) || undefined));
    next();
  };
}

/** Until the first admin exists, every app page leads to /setup. */
export function setupGate(deps: Deps): RequestHandler {
  let done = false;
  return async (req, res, next) => {
    if (!done) done = !(await needsSetup(deps.db));
    if (done || req.path === '/setup') return next();
    res.redirect(303, '/setup');
  };
}

/** Pages need a signed-in user with at least `role`; others go to the login page. */
export function requireRole(role: Role): RequestHandler {
  return (req, res, next) => {
    const user = res.locals.user as SignedInUser | undefined;
    if (!user) {
      if (req.method === 'GET') return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return next(new AppError(401, 'unauthorized', 'Sign in first'));
    }
    if (!hasRole(user.role, role)) return next(new ForbiddenError(`This needs the ${role} role; you are ${user.role}`));
    next();
  };
}
