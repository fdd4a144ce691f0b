import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Deps } from '../deps.ts';
import { HOUR } from '../clock.ts';
import { AppError } from '../errors.ts';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: string;
    /** The CSRF token of a signed-in session (the synchroniser token of its forms). */
    csrfToken?: string;
    /** The user's session epoch when this session signed in: a password change, reset or deactivation moves it on. */
    epoch?: number;
    /** When the user signed in, in ms by the app's clock: the absolute lifetime counts from here. */
    signedInAt?: number;
    /** The role this session id was issued for: a role change gives the session a new id. */
    role?: string;
    /** Signed in by a caller that did not know the user's epoch: the next request fills it in. */
    pending?: boolean;
  }
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'tp.sid';
/** The cookie that carries the nonce of a signed-out visitor's CSRF token (no session is stored for them). */
const CSRF_COOKIE = 'tp.csrf';

/** A session ends after this long without a request (the cookie and the stored row expire; each request extends them). */
const SESSION_IDLE_MS = 12 * HOUR;

/**
 * Cookie sessions kept in the database, so every app process sees them. A session is stored only when
 * there is something to keep (a signed-in user, a message for the next page): signed-out pages,
 * including the sign-in form, store nothing (their CSRF token needs no session, see csrfProtection).
 */
export function sessions(deps: Deps): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: deps.config.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    // The table is made by a migration (20261203101000_create_sessions_table), never here: two processes could race.
    store: new ConnectSessionKnexStore({ knex: deps.db, tableName: 'sessions', createTable: false, cleanupInterval: 3_600_000 }),
    cookie: {
      httpOnly: true,
      secure: deps.config.secureCookies,
      sameSite: 'lax',
      maxAge: SESSION_IDLE_MS,
    },
  });
}

/** Whether a session holds anything beyond its cookie. */
const hasData = (s: Request['session'] | undefined): boolean =>
  !!s && Object.entries(s).some(([key, value]) => key !== 'cookie' && value !== undefined);

/**
 * A redirect waits until the session is saved: otherwise the browser may ask
 * for the next page before a flash message or a new draft is stored
 * (express-session saves only after the response has gone out). A session
 * with nothing in it, before and after, is not saved (no row for a visitor).
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  // A stored session, by its id: a session ended on the way (and replaced by an empty one) is not stored again.
  const loaded = hasData(req.session) ? req.sessionID : undefined;
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!req.session || !(hasData(req.session) || (loaded !== undefined && loaded === req.sessionID))) return redirect(...args);
    req.session.save((err) => (err ? next(err) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};

/**
 * Ends a stored session that no longer counts (its row goes, the browser is told to forget the cookie)
 * and leaves the request without one: express-session stores nothing for it. A route that then needs
 * a session (a message for the next page, a sign-in) gets a fresh one from ensureSession.
 */
export async function dropSession(req: Request, res: Response): Promise<void> {
  await new Promise<void>((resolve, reject) => req.sessionStore.destroy(req.sessionID, (err) => (err ? reject(err) : resolve())));
  (req as { session: unknown }).session = null;
  res.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** A session to put something in: the request's own, or a new one when an ended one was dropped (see dropSession). */
export function ensureSession(req: Request): Request['session'] {
  if (!req.session) req.sessionStore.generate(req);
  return req.session;
}

/** Runs req.session.regenerate (a new id; the old row is deleted) as a promise. */
export const regenerateSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));

const saveSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/** A new session id for the same sign-in (a privilege change), keeping what the session holds. */
export async function rotateSession(req: Request, patch: Partial<session.SessionData> = {}): Promise<void> {
  const kept = Object.fromEntries(Object.entries(req.session).filter(([key]) => key !== 'cookie'));
  await regenerateSession(req);
  Object.assign(req.session, kept, patch);
  await saveSession(req);
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const sameToken = (given: string, expected: string | undefined): boolean => {
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
};

/** A cookie's value from the request (express does not parse cookies; express-session reads only its own). */
function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const nonceShape = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF protection for every form and every unsafe request of the app, in two kinds:
 * - a signed-in session has a synchroniser token stored in it (made at sign-in); only that token is
 *   accepted while the session is signed in;
 * - a signed-out visitor (the sign-in, forgotten-password, setup and password-link forms) has no
 *   stored session: their token is an HMAC, under a key derived from SESSION_SECRET, of a random nonce
 *   kept in an HttpOnly SameSite=Strict cookie (a signed double-submit cookie). A site that cannot read
 *   our pages cannot know the token, and one without our secret cannot make one for a nonce it planted.
 * The token travels as the `_csrf` form field or the X-CSRF-Token header.
 */
export function csrfProtection(deps: Deps): RequestHandler {
  const tokenKey = crypto.createHmac('sha256', deps.config.sessionSecret).update('touchpoint csrf tokens').digest();
  const anonymousToken = (nonce: string) => crypto.createHmac('sha256', tokenKey).update(nonce).digest('base64url');

  return (req, res, next) => {
    res.locals.csrfTokenFor = (): string => {
      if (req.session?.userId !== undefined) {
        req.session.csrfToken ??= crypto.randomBytes(32).toString('base64url');
        return req.session.csrfToken;
      }
      let nonce = cookieValue(req, CSRF_COOKIE);
      if (!nonce || !nonceShape.test(nonce)) {
        nonce = crypto.randomBytes(32).toString('base64url');
        res.cookie(CSRF_COOKIE, nonce, { httpOnly: true, secure: deps.config.secureCookies, sameSite: 'strict', path: '/' });
        // Later calls in this request see the new nonce.
        req.headers.cookie = `${req.headers.cookie ? `${req.headers.cookie}; ` : ''}${CSRF_COOKIE}=${nonce}`;
      }
      return anonymousToken(nonce);
    };
    if (!unsafeMethods.has(req.method)) return next();
    const raw = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
    const given = typeof raw === 'string' ? raw : '';
    let ok: boolean;
    if (req.session?.userId !== undefined) {
      ok = sameToken(given, req.session.csrfToken);
    } else {
      const nonce = cookieValue(req, CSRF_COOKIE);
      ok = !!nonce && nonceShape.test(nonce) && sameToken(given, anonymousToken(nonce));
    }
    if (!ok) return next(new AppError(403, 'csrf', 'The form has expired; reload the page and try again'));
    next();
  };
}

/** The CSRF token for a form rendered by this request (after a sign-in, the new session's). */
export const csrfTokenOf = (res: Response): string => (res.locals.csrfTokenFor as () => string)();

