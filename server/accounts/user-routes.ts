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

/** The hint beside the initial password of a user added by an admin. */
const initialPasswordHint = `Only when you set it now: at least ${PASSWORD_MIN_LENGTH} characters, not a common or easily guessed password, and not containing their email address. Give it to them in person or by a separate channel; they can change it under Your account.`;

const roleChoices = (selected: string) => roles.map((role) => ({ value: role, label: role, selected: role === selected }));

/** /users: admins add or invite people, change their roles, deactivate and reactivate them. */
export function userAdminRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');
  const actor = (res: { locals: Record<string, unknown> }) => (res.locals.user as SignedInUser).id;
  /** The signed-in admin as the audit log names them, with their address. */
  const auditor = (req: Request, res: Response) => requestActor(req, res) as AuditActor & { id: number };
  const userId = (raw: string | string[] | undefined) => Number(raw);

  router.get('/users', admin, async (_req, res) => {
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
      roles: roleChoices(u.role),
    }));
    res.render('pages/users/index', { title: 'Users', nav: 'users', users });
  });

  router.get('/users/new', admin, (_req, res) => {
    res.render('pages/users/new', { title: 'Add a user', nav: 'users', values: { role: 'viewer', invite: true }, roles: roleChoices('viewer'), linkToLog: accountLinksGoToLog(deps), passwordHint: initialPasswordHint });
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
  const loggedNote = (email: string) =>
    `No mail server is set (SMTP_URL), so the invitation link for ${email} was not emailed: it was written to the server log. Give it to them yourself; it works once, for 7 days.`;

  router.post('/users', admin, async (req, res) => {
    // Without an explicit choice (older forms, scripts), a given password is used.
    const invite = formText(req.body, 'access') === 'invite';
    const values = { email: formText(req.body, 'email'), name: formText(req.body, 'name'), role: formText(req.body, 'role'), password: formRaw(req.body, 'password'), invite };
    try {
      if (invite) {
        const { user, link } = await inviteUser(deps.db, values, deps.clock.now(), auditor(req, res));
        deps.log.info({ userId: user.id, by: actor(res) }, 'user invited');
        const sent = await sendInvitation(user, link);
        setFlash(req, 'failure' in sent
          ? `${user.email} is added as ${user.role}, but the invitation email could not be sent (${sent.failure}). Send it again from this list.`
          : sent.route === 'logged'
            ? `${user.email} is added as ${user.role}. ${loggedNote(user.email)}`
            : `An invitation is on its way to ${user.email} (${user.role}). Its link works for 7 days.`);
      } else {
        // createUser validates the role; the cast only quiets the compiler.
        const user = await createUser(deps.db, values as NewUser, deps.clock.now(), auditor(req, res));
        deps.log.info({ userId: user.id, by: actor(res) }, 'user created');
        setFlash(req, `${user.email} can now sign in as ${user.role}. Give them their initial password in person or by a separate channel.`);
      }
      res.redirect(303, '/users');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/users/new', {
        title: 'Add a user', nav: 'users', values, roles: roleChoices(values.role), errors: failed.errors, formError: failed.message, linkToLog: accountLinksGoToLog(deps), passwordHint: initialPasswordHint,
      });
    }
  });

  router.post('/users/:id/invite', admin, async (req, res) => {
    const { user, link } = await reissueInvitation(deps.db, userId(req.params.id), deps.clock.now(), auditor(req, res));
    deps.log.info({ userId: user.id, by: actor(res) }, 'invitation sent again');
    const sent = await sendInvitation(user, link);
    setFlash(req, 'failure' in sent
      ? `The invitation email to ${user.email} could not be sent (${sent.failure}).`
      : sent.route === 'logged'
        ? `A new invitation link for ${user.email} is made; earlier links no longer work. ${loggedNote(user.email)}`
        : `A new invitation is on its way to ${user.email}; earlier links no longer work.`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/role', admin, async (req, res) => {
    // Their sessions get a new id at their next request (see currentUser); the role is read afresh on every request.
    const user = await changeUserRole(deps.db, auditor(req, res), userId(req.params.id), formText(req.body, 'role'), deps.clock.now());
    setFlash(req, `${user.email} is now ${user.role}.`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/deactivate', admin, async (req, res) => {
    const actor = auditor(req, res);
    const user = await setUserActive(deps.db, actor, userId(req.params.id), false, deps.clock.now());
    // Their sessions ended with the epoch; their rows go too. The API keys they made are revoked for good.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the sessions'));
    const keys = await revokeApiKeysOfUser(deps.db, user.id, deps.clock.now(), actor);
    setFlash(req, `${user.email} is deactivated and can no longer sign in.${keys ? ` Their ${keys === 1 ? 'API key is' : `${keys} API keys are`} revoked.` : ''}`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/reactivate', admin, async (req, res) => {
    const user = await setUserActive(deps.db, auditor(req, res), userId(req.params.id), true, deps.clock.now());
    setFlash(req, `${user.email} can sign in again.`);
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
    setFlash(req, done
      ? `The second factor of ${user.email} is reset: two-factor sign-in is off for them, their recovery codes no longer work and their sessions are signed out. They can turn it on again under Your account.`
      : `${user.email} had no second factor to reset.`);
    res.redirect(303, '/users');
  });

  return router;
}
