import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { requireRole, type SignedInUser } from '../http/session.ts';
import { changeUserRole, createUser, setUserActive, type NewUser } from './service.ts';
import { listUsers } from './queries.ts';
import { roles } from './roles.ts';
import { fieldErrors, formRaw, formText, setFlash } from './forms.ts';

const roleChoices = (selected: string) => roles.map((role) => ({ value: role, label: role, selected: role === selected }));

/** /users: admins add people, change their roles, deactivate and reactivate them. */
export function userAdminRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');
  const actor = (res: { locals: Record<string, unknown> }) => (res.locals.user as SignedInUser).id;
  const userId = (raw: string | string[] | undefined) => Number(raw);

  router.get('/users', admin, async (_req, res) => {
    const me = actor(res);
    const users = (await listUsers(deps.db)).map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      role: u.role,
      lastLogin: u.last_login_at ? u.last_login_at.slice(0, 16).replace('T', ' ') + ' UTC' : null,
      active: !u.deactivated_at,
      isMe: u.id === me,
      roles: roleChoices(u.role),
    }));
    res.render('pages/users/index', { title: 'Users', nav: 'users', users });
  });

  router.get('/users/new', admin, (_req, res) => {
    res.render('pages/users/new', { title: 'Add a user', nav: 'users', values: { role: 'viewer' }, roles: roleChoices('viewer') });
  });

  router.post('/users', admin, async (req, res) => {
    const values = { email: formText(req.body, 'email'), name: formText(req.body, 'name'), role: formText(req.body, 'role'), password: formRaw(req.body, 'password') };
    try {
      // createUser validates the role; the cast only quiets the compiler.
      const user = await createUser(deps.db, values as NewUser, deps.clock.now());
      deps.log.info({ userId: user.id, by: actor(res) }, 'user created');
      setFlash(req, `${user.email} can now sign in as ${user.role}. Give them their initial password in person or by a separate channel.`);
      res.redirect(303, '/users');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/users/new', {
        title: 'Add a user', nav: 'users', values, roles: roleChoices(values.role), errors: failed.errors, formError: failed.message,
      });
    }
  });

  router.post('/users/:id/role', admin, async (req, res) => {
    const user = await changeUserRole(deps.db, actor(res), userId(req.params.id), formText(req.body, 'role'));
    setFlash(req, `${user.email} is now ${user.role}.`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/deactivate', admin, async (req, res) => {
    const user = await setUserActive(deps.db, actor(res), userId(req.params.id), false, deps.clock.now());
    setFlash(req, `${user.email} is deactivated and can no longer sign in.`);
    res.redirect(303, '/users');
  });

  router.post('/users/:id/reactivate', admin, async (req, res) => {
    const user = await setUserActive(deps.db, actor(res), userId(req.params.id), true, deps.clock.now());
    setFlash(req, `${user.email} can sign in again.`);
    res.redirect(303, '/users');
  });

  return router;
}
