import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { requireRole, type SignedInUser } from '../http/session.ts';
import { changePassword } from './service.ts';
import { fieldErrors, formRaw, setFlash, startSession } from './forms.ts';

/** /account: every signed-in person can change their own password. */
export function accountRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/account', requireRole('viewer'), (_req, res) => {
    res.render('pages/account', { title: 'Your account', nav: 'account' });
  });

  router.post('/account/password', requireRole('viewer'), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    try {
      await changePassword(deps.db, user.id, {
        current: formRaw(req.body, 'current_password'),
        password: formRaw(req.body, 'password'),
        confirm: formRaw(req.body, 'password_confirm'),
      });
    } catch (err) {
      const failed = fieldErrors(err);
      return res.status(failed.status).render('pages/account', { title: 'Your account', nav: 'account', errors: failed.errors, formError: failed.message });
    }
    deps.log.info({ userId: user.id }, 'password changed');
    setFlash(req, 'Your password is changed.');
    // A new session id: a session stolen before the change does not carry over.
    await startSession(req, user.id);
    res.redirect(303, '/account');
  });
  return router;
}
