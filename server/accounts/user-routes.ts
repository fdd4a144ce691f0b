import { Router, type Request, type Response } from 'express';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import type { Deps } from '../deps.ts';
import { requestActor } from '../audit/actor.ts';
import type { AuditActor } from '../audit/record.ts';
import { changeUserRole, createUser, setUserActive, type NewUser } from '../auth/service.ts';
import { findUserById, listUsers } from '../auth/queries.ts';
import { usersWithSecondFactor } from '../auth/two-factor.ts';
import { resetSecondFactor } from './two-factor-routes.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { roles } from '../auth/roles.ts';
import { fieldErrors, formRaw, formText, setFlash } from '../http/forms.ts';
import { inviteUser, reissueInvitation } from './invite.ts';
import { deleteSessionsOfUser } from '../auth/token-queries.ts';
import { revokeApiKeysOfUser } from '../apikeys/service.ts';
import { PASSWORD_MIN_LENGTH } from '../auth/password-policy.ts';
import { accountLinksGoToLog, sendAccountMail, type AccountMailRoute } from './account-mail.ts';
import type { UserRow } from '../auth/queries.ts';
import type { IssuedLink } from '../auth/links.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** The hint beside the initial password of a user added by an admin. */
const initialPasswordHint = (locale: Locale) => t(locale, 'users.initial_password_hint', { min: PASSWORD_MIN_LENGTH });

/** A role as the page names it (English: the role's own name). */
const roleName = (locale: Locale, role: string) => t(locale, 'nav.role', { role });

const roleChoices = (locale: Locale, selected: string) => roles.map((role) => ({ value: role, label: roleName(locale, role), selected: role === selected }));

/** /users: admins add or invite people, change their roles, deactivate and reactivate them. */
export function userAdminRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');
  const actor = (res: { locals: Record<string, unknown> }) => (res.locals.user as SignedInUser).id;
  /** The signed-in admin as the audit log names them, with their address. */
  const auditor = (req: Request, res: Response) => requestActor(req, res) as AuditActor & { id: number };
  const userId = (raw: string | string[] | undefined) => Number(raw);

  router.get('/users', admin, async (_req, res) => {
    const locale = localeOf(res.locals);
    const me = actor(res);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const withSecondFactor = await usersWithSecondFactor(deps.db);
    const users = (await listUsers(deps.db)).map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      role: u.role,
      lastLogin: formatInstant(u.last_login_at, shown) || null,
      active: !u.deactivated_at,
      // Invited and not yet through the link: they have no password.
      invited: !u.deactivated_at && !u.password_hash,
      twoFactor: withSecondFactor.has(u.id),
      isMe: u.id === me,
      roles: roleChoices(locale, u.role),
    }));
    res.render('pages/users/index', { title: t(locale, 'users.title'), nav: 'users', users });
  });

  router.get('/users/new', admin, (_req, res) => {
    const locale = localeOf(res.locals);
    res.render('pages/users/new', { title: t(locale, 'users.add'), nav: 'users', values: { role: 'viewer', invite: true }, roles: roleChoices(locale, 'viewer'), linkToLog: accountLinksGoToLog(deps), passwordHint: initialPasswordHint(locale) });
  });

  /** Sends an invitation link (or, with no mail server, writes it to the log); a failed send is reported, and the admin can send it again from the list. */
  const sendInvitation = async (user: UserRow, link: IssuedLink): Promise<{ route: AccountMailRoute } | { failure: string }> => {
    try {
      return { route: await sendAccountMail(deps, user, link, 'invite') };
    } catch (err) {
      deps.log.warn({ err, userId: user.id }, 'invitation email failed');
      return { failure: (err as Error).message || 'the mail server refused it' };
    }
  };

  /** No mail server: the admin is the one who passes the link on. */
  const loggedNote = (locale: Locale, email: string) => t(locale, 'users.flash_logged_note', { email });

  router.post('/users', admin, async (req, res) => {
    const locale = localeOf(res.locals);
    // Without an explicit choice (older forms, scripts), a given password is used.
    const invite = formText(req.body, 'access') === 'invite';
    const values = { email: formText(req.body, 'email'), name: formText(req.body, 'name'), role: formText(req.body, 'role'), password: formRaw(req.body, 'password'), invite };
    try {
      if (invite) {
        const { user, link } = await inviteUser(deps.db, values, deps.clock.now(), auditor(req, res));
        deps.log.info({ userId: user.id, by: actor(res) }, 'user invited');
        const sent = await sendInvitation(user, link);
        const role = roleName(locale, user.role);
        setFlash(req, 'failure' in sent
          ? t(locale, 'users.flash_added_send_failed', { email: user.email, role, failure: sent.failure })
          : sent.route === 'logged'
            ? t(locale, 'users.flash_added_logged', { email: user.email, role, note: loggedNote(locale, user.email) })
            : t(locale, 'users.flash_invited', { email: user.email, role }));
      } else {
        // createUser validates the role; the cast only quiets the compiler.
        const user = await createUser(deps.db, values as NewUser, deps.clock.now(), auditor(req, res));
        deps.log.info({ userId: user.id, by: actor(res) }, 'user created');
        setFlash(req, t(locale, 'users.flash_created', { email: user.email, role: roleName(locale, user.role) }));
      }
      res.redirect(303, '/users');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/users/new', {
        title: t(locale, 'users.add'), nav: 'users', values, roles: roleChoices(locale, values.role), errors: failed.errors, formError: failed.message, linkToLog: accountLinksGoToLog(deps), passwordHint: initialPasswordHint(locale),
      });
    }
  });

  router.post('/users/:id/invite', admin, async (req, res) => {
    const locale = localeOf(res.locals);
    const { user, link } = await reissueInvitation(deps.db, userId(req.params.id), deps.clock.now(), auditor(req, res));
    deps.log.info({ userId: user.id, by: actor(res) }, 'invitation sent again');
    const sent = await sendInvitation(user, link);
    setFlash(req, 'failure' in sent
      ? t(locale, 'users.flash_resend_failed', { email: user.email, failure: sent.failure })
      : sent.route === 'logged'
        ? t(locale, 'users.flash_resent_logged', { email: user.email, note: loggedNote(locale, user.email) })
        : t(locale, 'users.flash_resent', { email: user.email }));
    res.redirect(303, '/users');
  });

  router.post('/users/:id/role', admin, async (req, res) => {
    // Their sessions get a new id at their next request (see currentUser); the role is read afresh on every request.
    const user = await changeUserRole(deps.db, auditor(req, res), userId(req.params.id), formText(req.body, 'role'), deps.clock.now());
    const locale = localeOf(res.locals);
    setFlash(req, t(locale, 'users.flash_role', { email: user.email, role: roleName(locale, user.role) }));
    res.redirect(303, '/users');
  });

  router.post('/users/:id/deactivate', admin, async (req, res) => {
    const actor = auditor(req, res);
    const user = await setUserActive(deps.db, actor, userId(req.params.id), false, deps.clock.now());
    // Their sessions ended with the epoch; their rows go too. The API keys they made are revoked for good.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the sessions'));
    const keys = await revokeApiKeysOfUser(deps.db, user.id, deps.clock.now(), actor);
    const locale = localeOf(res.locals);
    setFlash(req, `${t(locale, 'users.flash_deactivated', { email: user.email })}${keys ? ` ${t(locale, 'users.flash_keys_revoked', { count: keys })}` : ''}`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/reactivate', admin, async (req, res) => {
    const user = await setUserActive(deps.db, auditor(req, res), userId(req.params.id), true, deps.clock.now());
    setFlash(req, t(localeOf(res.locals), 'users.flash_reactivated', { email: user.email }));
    res.redirect(303, '/users');
  });

  // Another user's second factor off (a lost phone and lost recovery codes): their recovery codes go and
  // every session of theirs ends. Audited as auth.second_factor_reset.
  router.post('/users/:id/two-factor/reset', admin, async (req, res) => {
    const id = userId(req.params.id);
    const user = Number.isSafeInteger(id) ? await findUserById(deps.db, id) : undefined;
    if (!user) throw new NotFoundError('There is no such user');
    if (user.id === actor(res)) throw new ForbiddenError('You cannot reset your own second factor here; turn it off under Your account');
    const done = await resetSecondFactor(deps, auditor(req, res), user);
    deps.log.info({ userId: user.id, by: actor(res), done }, 'second factor reset');
    const locale = localeOf(res.locals);
    setFlash(req, done
      ? t(locale, 'users.flash_second_factor_reset', { email: user.email })
      : t(locale, 'users.flash_no_second_factor', { email: user.email }));
    res.redirect(303, '/users');
  });

  return router;
}
