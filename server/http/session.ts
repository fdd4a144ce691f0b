import type { RequestHandler } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import { csrfSync } from 'csrf-sync';
import { rateLimit } from 'express-rate-limit';
import type { Deps } from '../deps.ts';
import { AppError, ForbiddenError } from '../errors.ts';
import { findUserById, type UserRow } from '../auth/queries.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { needsSetup } from '../auth/service.ts';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: string;
  }
}

export type SignedInUser = Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'locale'>;

/** Cookie sessions kept in the database, so every app process sees them. */
export function sessions(deps: Deps): RequestHandler {
  return session({
    name: 'tp.sid',
    secret: deps.config.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    store: new ConnectSessionKnexStore({ knex: deps.db, tableName: 'sessions', cleanupInterval: 3_600_000 }),
    cookie: {
      httpOnly: true,
      secure: deps.config.secureCookies,
      sameSite: 'lax',
      maxAge: 12 * 60 * 60 * 1000,
    },
  });
}

/**
 * A redirect waits until the session is saved: otherwise the browser may ask
 * for the next page before a flash message or a new draft is stored
 * (express-session saves only after the response has gone out).
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!req.session) return redirect(...args);
    req.session.save((err) => (err ? next(err) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};

/** CSRF tokens bound to the session; every form carries one as `_csrf`. */
export const csrf = csrfSync({
  getTokenFromRequest: (req) => (req.body?._csrf as string | undefined) ?? req.get('x-csrf-token'),
  errorConfig: { statusCode: 403, message: 'The form has expired; reload the page and try again', code: 'EBADCSRFTOKEN' },
});

/** Puts the CSRF token and the signed-in user (if any) where views see them. */
export function currentUser(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    res.locals.csrfToken = csrf.generateToken(req);
    const id = req.session.userId;
    if (id) {
      const user = await findUserById(deps.db, id);
      if (user && !user.deactivated_at) {
        res.locals.user = { id: user.id, email: user.email, name: user.name, role: user.role, locale: user.locale };
        res.locals.isEditor = hasRole(user.role, 'editor');
        res.locals.isAdmin = hasRole(user.role, 'admin');
      } else {
        delete req.session.userId;
      }
    }
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

/** Ten failed sign-ins per address and quarter hour, then a pause. */
export const loginRateLimit = () =>
  rateLimit({
  windowMs: 15 * 60 * 1000,
  limit: 10,
  skipSuccessfulRequests: true,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  handler: (_req, _res, next) =>
    next(new AppError(429, 'rate-limited', 'Too many sign-in attempts; wait a quarter of an hour and try again')),
});
