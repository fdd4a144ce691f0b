import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { csrfTokenOf } from '../http/session.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { hasRole } from '../auth/roles.ts';
import { userTarget } from '../auth/service.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { findUserById, type UserRow } from '../auth/queries.ts';
import { deleteSessionsOfUser } from '../auth/token-queries.ts';
import { formRaw, formText, setFlash } from '../http/forms.ts';
import type { Throttle } from '../auth/throttle.ts';
import { auditHold, setRetryAfter, twoFactorThrottledMessage } from './throttle-pages.ts';
import {
  PENDING_SIGN_IN_MS,
  RECOVERY_CODE_COUNT,
  beginEnrolment,
  confirmEnrolment,
  findSecondFactor,
  hasSecondFactor,
  removeSecondFactor,
  replaceRecoveryCodes,
  secretKeyFrom,
  unusedRecoveryCodes,
  useSecondFactorCode,
  type CodeCheck,
} from '../auth/two-factor.ts';
import { endSession, startSession } from '../auth/session.ts';
import { localeOf, pickLocale, t } from '../i18n/index.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';

/** Where an admin who must enrol is sent, and the only other thing they may do there. */
export const ENROLMENT_PATH = '/account/two-factor/setup';
const allowedWhileEnrolling = new Set([ENROLMENT_PATH, '/logout']);

/** Whether this user must set up a second factor before anything else (an admin, when the Settings say so). */
export async function mustEnrol(deps: Deps, user: Pick<SignedInUser, 'id' | 'role'>): Promise<boolean> {
  if (!hasRole(user.role, 'admin')) return false;
  if (!(await getSettings(deps.db)).admins_require_two_factor) return false;
  return !(await hasSecondFactor(deps.db, user.id));
}

/**
 * Admins must use two-factor sign-in (a setting): a signed-in admin without a second factor is sent to
 * enrolment from every page and form; only enrolment and signing out work.
 */
export function twoFactorGate(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    const user = res.locals.user as SignedInUser | undefined;
    if (!user || allowedWhileEnrolling.has(req.path) || !(await mustEnrol(deps, user))) return next();
    res.redirect(303, ENROLMENT_PATH);
  };
}

interface CodeRefusal {
  status: number;
  message: string;
}

/**
 * Second-factor codes: the sign-in step (/login/code), enrolment, new recovery codes and turning it off
 * on the account pages, and the admin's reset (in user-routes.ts). Every code check against a second
 * factor in force is throttled (kind two_factor: per user, from anywhere, and per address) and a wrong
 * code is audited.
 */
export function twoFactorRoutes(deps: Deps, throttle: Throttle): Router {
  const router = Router();
  const key = secretKeyFrom(deps.config.sessionSecret);

  /**
   * Checks a code against `user`'s second factor: refused at once while held (429 with Retry-After); a
   * wrong code is counted, audited (auth.second_factor_failed) and may begin a hold. The refusal says why.
   */
  async function tryCode(req: Request, res: Response, user: Pick<UserRow, 'id' | 'email'>, code: string, actor: AuditActor, wrongStatus: number): Promise<Extract<CodeCheck, { ok: true }> | CodeRefusal> {
    const now = deps.clock.now();
    const locale = localeOf(res.locals);
    const wrongCode = t(locale, 'twofactor.wrong_code');
    const subject = { account: user.id, address: req.ip ?? null };
    const held = await throttle.check('two_factor', subject, now);
    if (held) {
      setRetryAfter(res, held);
      return { status: 429, message: twoFactorThrottledMessage(locale, held) };
    }
    if (!code) return { status: 422, message: t(locale, 'twofactor.code_required') };
    if (code.length > 64) return { status: wrongStatus, message: wrongCode };
    const checked = await useSecondFactorCode(deps.db, key, user.id, code, now);
    if (checked.ok) return checked;
    if (checked.reason === 'unreadable_secret') {
      deps.log.error({ userId: user.id }, 'a TOTP secret cannot be opened: SESSION_SECRET changed since it was stored');
      return { status: wrongStatus, message: t(locale, 'twofactor.unreadable_secret') };
    }
    if (checked.reason === 'no_second_factor') return { status: 409, message: t(locale, 'twofactor.not_on') };
    const hold = await throttle.hit('two_factor', subject, now);
    await audit(deps.db, { actor, action: 'auth.second_factor_failed', target: userTarget(user) }, now);
    if (hold) {
      deps.log.warn({ userId: user.id, scope: hold.scope, retryAfter: hold.retryAfterSeconds }, 'second-factor codes throttled');
      await auditHold(deps, actor, hold, user.email, now);
      setRetryAfter(res, hold);
      return { status: 429, message: twoFactorThrottledMessage(locale, hold) };
    }
    return { status: wrongStatus, message: wrongCode };
  }

  const refused = (result: object): result is CodeRefusal => 'status' in result;

  // --- The sign-in step ---------------------------------------------------------------------------

  /** The sign-in waiting for its code in this session; an expired one is dropped (null). */
  const pendingSignIn = (req: Request) => {
    const pending = req.session?.twoFactor;
    if (!pending) return null;
    if (deps.clock.now().getTime() - pending.startedAt > PENDING_SIGN_IN_MS) return null;
    return pending;
  };

  /** Back to the password: the waiting sign-in (if any) ends with its session. */
  async function signInAgain(req: Request, res: Response, status: number) {
    const next = req.session?.twoFactor?.next;
    const locale = localeOf(res.locals);
    await endSession(req, res);
    res.status(status).render('pages/login', {
      title: t(locale, 'signin.title'),
      signInError: t(locale, 'signin.interrupted'),
      next,
      csrfToken: csrfTokenOf(res),
    });
  }

  const codePage = (res: Response, extra: Record<string, unknown> = {}) => {
    const locale = localeOf(res.locals);
    return { title: t(locale, 'signin.code_title'), codeHint: t(locale, 'twofactor.code_hint'), ...extra };
  };

  router.get('/login/code', async (req, res) => {
    if (res.locals.user) return res.redirect(303, '/dashboard');
    if (!req.session?.twoFactor) return res.redirect(303, '/login');
    if (!pendingSignIn(req)) return signInAgain(req, res, 200);
    res.render('pages/login-code', codePage(res));
  });

  router.post('/login/code', async (req, res) => {
    if (res.locals.user) return res.redirect(303, '/dashboard');
    const pending = pendingSignIn(req);
    if (!pending) return signInAgain(req, res, 401);
    const user = await findUserById(deps.db, pending.userId);
    // Deactivated, or their password changed, since the password step: start again.
    if (!user || user.deactivated_at || user.session_epoch !== pending.epoch) return signInAgain(req, res, 401);

    const viaRecovery = formText(req.body, 'recovery_code') !== '';
    const code = viaRecovery ? formText(req.body, 'recovery_code') : formText(req.body, 'code');
    // Not signed in yet: the actor is the visitor, the target the account.
    const result = await tryCode(req, res, user, code, requestActor(req, res), 401);
    if (refused(result)) {
      res.status(result.status).render('pages/login-code', codePage(res, viaRecovery ? { recoveryError: result.message, recoveryOpen: true } : { codeError: result.message }));
      return;
    }
    const now = deps.clock.now();
    const actor = { type: 'user' as const, id: user.id, label: user.email, ip: req.ip ?? null };
    // Signed in now, under a new session id.
    await startSession(req, user, now);
    if (result.method === 'recovery_code') {
      await audit(deps.db, { actor, action: 'auth.recovery_code_used', target: userTarget(user), detail: { left: result.recoveryCodesLeft } }, now);
      // In the user's own language: the next page is in it.
      const userLocale = pickLocale(user.locale);
      setFlash(
        req,
        t(userLocale, 'signin.recovery_used', { count: result.recoveryCodesLeft }) + (result.recoveryCodesLeft <= 3 ? ` ${t(userLocale, 'signin.recovery_low')}` : ''),
      );
    }
    await audit(deps.db, { actor, action: 'auth.sign_in', target: userTarget(user), detail: { method: result.method } }, now);
    deps.log.info({ userId: user.id, method: result.method }, 'signed in with a second factor');
    res.redirect(303, pending.next ?? '/dashboard');
  });

  // --- The account pages ----------------------------------------------------------------------------

  const viewer = requireRole('viewer');
  const me = (res: Response) => res.locals.user as SignedInUser;

  const setupPage = async (res: Response, status = 200, extra: Record<string, unknown> = {}) => {
    const user = me(res);
    const locale = localeOf(res.locals);
    const enrolment = await beginEnrolment(deps.db, key, user, deps.clock.now());
    if (!enrolment) return res.redirect(303, '/account/two-factor');
    res.status(status).render('pages/two-factor/setup', {
      title: t(locale, 'twofactor.setup_title'),
      nav: 'account',
      email: user.email,
      qr: enrolment.qrDataUrl,
      // In groups of four, for typing.
      secretGroups: enrolment.secret.match(/.{1,4}/g)?.join(' '),
      required: await mustEnrol(deps, user),
      codeHint: t(locale, 'twofactor.code_hint'),
      ...extra,
    });
  };

  router.get(ENROLMENT_PATH, viewer, async (req, res) => {
    await setupPage(res);
  });

  router.post(ENROLMENT_PATH, viewer, async (req, res) => {
    const user = me(res);
    const now = deps.clock.now();
    const locale = localeOf(res.locals);
    const code = formText(req.body, 'code');
    if (!code) return setupPage(res, 422, { codeError: t(locale, 'twofactor.setup_code_required') });
    const done = await confirmEnrolment(deps.db, key, user, code.slice(0, 64), now, requestActor(req, res));
    if (!done.ok) {
      if (done.reason === 'no_enrolment' && (await hasSecondFactor(deps.db, user.id))) return res.redirect(303, '/account/two-factor');
      return setupPage(res, 422, {
        codeError: t(locale, 'twofactor.setup_wrong'),
      });
    }
    // Every other session of theirs ended (they may have been signed in with the password alone); this one
    // goes on under a new id.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the other sessions'));
    const fresh = await findUserById(deps.db, user.id);
    await startSession(req, { id: user.id, role: fresh?.role ?? user.role, session_epoch: done.sessionEpoch }, now);
    res.locals.csrfToken = csrfTokenOf(res);
    deps.log.info({ userId: user.id }, 'two-factor sign-in turned on');
    res.render('pages/two-factor/recovery-codes', {
      title: t(locale, 'twofactor.codes_title'),
      nav: 'account',
      codes: done.codes,
      enabled: true,
    });
  });

  const managePage = async (res: Response, status = 200, extra: Record<string, unknown> = {}) => {
    const user = me(res);
    const locale = localeOf(res.locals);
    const row = await findSecondFactor(deps.db, user.id);
    if (!row?.confirmed_at) return res.redirect(303, ENROLMENT_PATH);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    res.status(status).render('pages/two-factor/manage', {
      title: t(locale, 'twofactor.title'),
      nav: 'account',
      since: formatInstant(row.confirmed_at, shown),
      left: await unusedRecoveryCodes(deps.db, user.id),
      total: RECOVERY_CODE_COUNT,
      codeHint: t(locale, 'twofactor.code_hint_any'),
      ...extra,
    });
  };

  router.get('/account/two-factor', viewer, async (_req, res) => {
    await managePage(res);
  });

  router.post('/account/two-factor/recovery-codes', viewer, async (req, res) => {
    const user = me(res);
    const actor = requestActor(req, res);
    const result = await tryCode(req, res, user, formText(req.body, 'code'), actor, 422);
    if (refused(result)) return managePage(res, result.status, { codesError: result.message });
    const codes = await replaceRecoveryCodes(deps.db, user, deps.clock.now(), actor);
    deps.log.info({ userId: user.id }, 'new recovery codes made');
    const locale = localeOf(res.locals);
    res.render('pages/two-factor/recovery-codes', { title: t(locale, 'twofactor.new_codes_title'), nav: 'account', codes, replaced: true });
  });

  router.post('/account/two-factor/disable', viewer, async (req, res) => {
    const user = me(res);
    const actor = requestActor(req, res);
    const locale = localeOf(res.locals);
    const correctFields = t(locale, 'error.correct_fields');
    const row = await findUserById(deps.db, user.id);
    // The password first (not throttled here, as on the password form), then the code (throttled).
    const password = formRaw(req.body, 'current_password');
    if (!row || password.length > 200 || !(await verifyPassword(password, row.password_hash))) {
      return managePage(res, 422, { disableErrors: { current_password: t(locale, 'twofactor.not_current_password') }, disableError: correctFields });
    }
    const result = await tryCode(req, res, user, formText(req.body, 'disable_code'), actor, 422);
    if (refused(result)) {
      const held = result.status === 429;
      return managePage(res, result.status, { disableErrors: held ? {} : { disable_code: result.message }, disableError: held ? result.message : correctFields });
    }
    await removeSecondFactor(deps.db, user, 'disabled', deps.clock.now(), actor);
    deps.log.info({ userId: user.id }, 'two-factor sign-in turned off');
    if (await mustEnrol(deps, user)) {
      setFlash(req, t(locale, 'twofactor.disabled_must_enrol'));
      return res.redirect(303, ENROLMENT_PATH);
    }
    setFlash(req, t(locale, 'twofactor.disabled'));
    res.redirect(303, '/account');
  });

  return router;
}

/** The account page's words on two-factor sign-in for this user. */
export async function twoFactorSummary(deps: Deps, userId: number): Promise<{ on: boolean; left: number }> {
  const on = await hasSecondFactor(deps.db, userId);
  return { on, left: on ? await unusedRecoveryCodes(deps.db, userId) : 0 };
}

/**
 * An admin resets another user's second factor: it is off, their recovery codes are deleted and every
 * session of theirs ends. Audited as auth.second_factor_reset. False when they had none.
 */
export async function resetSecondFactor(deps: Deps, actor: AuditActor, user: Pick<UserRow, 'id' | 'email'>): Promise<boolean> {
  const done = await removeSecondFactor(deps.db, user, 'reset', deps.clock.now(), actor);
  if (done) await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the sessions'));
  return done;
}
