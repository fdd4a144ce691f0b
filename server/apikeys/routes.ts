import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { requireRole } from '../http/session.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { fieldErrors, formText, setFlash } from '../auth/forms.ts';
import { createApiKey } from './service.ts';
import { findApiKeyById, listApiKeys, revokeApiKey } from './queries.ts';


/** /api-keys: editors create keys (shown once) and revoke them. */
export function apiKeyAdminRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  const listPage = async (locals: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, locals);
    return {
      title: 'API keys',
      nav: 'api-keys',
      keys: (await listApiKeys(deps.db)).map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created: formatInstant(k.created_at, shown),
        lastUsed: formatInstant(k.last_used_at, shown) || null,
        revoked: formatInstant(k.revoked_at, shown) || null,
      })),
      ...extra,
    };
  };

  router.get('/api-keys', editor, async (_req, res) => {
    res.render('pages/apikeys/index', await listPage(res.locals));
  });

  router.post('/api-keys', editor, async (req, res) => {
    const name = formText(req.body, 'name');
    try {
      const created = await createApiKey(deps.db, { name }, deps.clock.now());
      deps.log.info({ apiKeyId: created.id }, 'API key created');
      // The key is in this page only; never cached, never stored in clear.
      res.set('Cache-Control', 'no-store');
      res.status(201).render('pages/apikeys/created', { title: 'API key created', nav: 'api-keys', created, baseUrl: deps.config.baseUrl });
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/apikeys/index', await listPage(res.locals, { values: { name }, errors: failed.errors, formError: failed.message }));
    }
  });

  router.post('/api-keys/:id/revoke', editor, async (req, res) => {
    const key = await findApiKeyById(deps.db, Number(req.params.id) || 0);
    if (!key) throw new NotFoundError('There is no such API key');
    await revokeApiKey(deps.db, key.id, toDbTime(deps.clock.now()));
    deps.log.info({ apiKeyId: key.id }, 'API key revoked');
    setFlash(req, `The key "${key.name}" (${key.prefix}…) is revoked; calls with it are refused from now on.`);
    res.redirect(303, '/api-keys');
  });

  return router;
}
