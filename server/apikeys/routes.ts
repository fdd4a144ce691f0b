import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { hasRole } from '../auth/roles.ts';
import { formatInstant, localDate, pageInstants, type InstantFormat } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { fieldErrors, formText, setFlash } from '../http/forms.ts';
import { requestActor } from '../audit/actor.ts';
import { apiKeyStatus, createApiKey, mayRevoke, narrowApiKeyScopes, revokeApiKeyById, type KeyManager, type KeyStatus } from './service.ts';
import { findApiKeyById, listApiKeys, type ApiKeyWithOwner } from './queries.ts';
import { adminOnlyScopes, apiScopes, hasEveryScope, scopesFromDb, type ApiScope } from './scopes.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** The signed-in user as the manager of keys, for the service's rules and the audit log. */
function managerOf(req: Request, res: Response): KeyManager {
  const user = res.locals.user as SignedInUser;
  return { userId: user.id, label: user.email, isAdmin: hasRole(user.role, 'admin'), actor: requestActor(req, res) };
}

/** A key id from the path: a positive whole number, else no such key. */
function keyId(value: unknown): number {
  const id = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (!id) throw new NotFoundError('There is no such API key');
  return id;
}

/** The scopes a form sent (`scopes`, repeated); null when the form had no scope checkboxes at all (a script: every scope). */
function formScopes(body: unknown): unknown[] | null {
  const b = (body ?? {}) as Record<string, unknown>;
  const value = b.scopes;
  if (value === undefined || value === null) return b.scopes_form !== undefined ? [] : null;
  return Array.isArray(value) ? value : [value];
}

/** A first call this key may make, for the page that shows it. */
function exampleCall(scopes: readonly ApiScope[], key: string, baseUrl: string): string {
  const auth = `curl -H "Authorization: Bearer ${key}"`;
  if (scopes.includes('surveys:read')) return `${auth} ${baseUrl}/api/v1/surveys`;
  if (scopes.includes('events:write')) {
    return `${auth} -H "Content-Type: application/json" \\\n  -d '{"touchpoint":"delivery","transaction_id":"order-1001","customer":{"email":"ada@example.com"}}' \\\n  ${baseUrl}/api/v1/events`;
  }
  if (scopes.includes('metrics:read')) return `${auth} "${baseUrl}/api/v1/metrics?survey=SURVEY-KEY"`;
  if (scopes.includes('responses:read')) return `${auth} ${baseUrl}/api/v1/responses`;
  if (scopes.includes('customers:read')) return `${auth} ${baseUrl}/api/v1/customers/CUSTOMER-ID/timeline`;
  return `${auth} ${baseUrl}/api/v1/...`;
}

/** A key's state as the page words it. */
const statusText = (locale: Locale, status: KeyStatus): string =>
  ({
    active: t(locale, 'apikeys.status_active'),
    expired: t(locale, 'apikeys.status_expired'),
    revoked: t(locale, 'apikeys.status_revoked'),
    owner_deactivated: t(locale, 'apikeys.status_owner_deactivated'),
  })[status];

/** What a scope allows, as the page words it (the English is scopeDescriptions' for the API and OpenAPI). */
const scopeDescription = (locale: Locale, scope: ApiScope): string =>
  ({
    'events:write': t(locale, 'apikeys.scope_events_write'),
    'surveys:read': t(locale, 'apikeys.scope_surveys_read'),
    'surveys:write': t(locale, 'apikeys.scope_surveys_write'),
    'metrics:read': t(locale, 'apikeys.scope_metrics_read'),
    'responses:read': t(locale, 'apikeys.scope_responses_read'),
    'customers:read': t(locale, 'apikeys.scope_customers_read'),
    'customers:write': t(locale, 'apikeys.scope_customers_write'),
    'webhooks:write': t(locale, 'apikeys.scope_webhooks_write'),
  })[scope];

/** /api-keys: editors create keys (shown once) and revoke their own; admins also give customers:write, narrow scopes and revoke any key. */
export function apiKeyAdminRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');
  const admin = requireRole('admin');

  const present = (locale: Locale, k: ApiKeyWithOwner, shown: InstantFormat, me: KeyManager) => {
    const scopes = scopesFromDb(k.scopes);
    const status = apiKeyStatus(k, deps.clock.now());
    return {
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      scopes,
      allScopes: hasEveryScope(scopes),
      // The owner as they are now (their email may have changed), else as recorded.
      owner: k.created_by_user_id ? (k.owner_email ?? k.created_by_label) : k.created_by_label,
      ownerDeactivated: !!k.owner_deactivated_at,
      created: formatInstant(k.created_at, shown),
      expires: formatInstant(k.expires_at, shown) || null,
      lastUsed: formatInstant(k.last_used_at, shown) || null,
      status,
      statusText: statusText(locale, status),
      active: status === 'active',
      revoked: formatInstant(k.revoked_at, shown) || null,
      revokedBy: k.revoked_by_label,
      canRevoke: status !== 'revoked' && mayRevoke(me, k),
    };
  };

  /** The scope checkboxes: checked as chosen (default: every scope the manager may give); admin-only ones disabled for editors. */
  const scopeChoices = (locale: Locale, me: KeyManager, chosen: readonly string[] | null, only?: readonly ApiScope[]) =>
    (only ?? apiScopes).map((scope) => {
      const adminOnly = adminOnlyScopes.includes(scope);
      const disabled = adminOnly && !me.isAdmin;
      return {
        value: scope,
        id: `f-scope-${scope.replace(':', '-')}`,
        description: scopeDescription(locale, scope),
        adminOnly,
        disabled,
        checked: !disabled && (chosen === null ? true : chosen.includes(scope)),
      };
    });

  const listPage = async (req: Request, res: Response, extra: { values?: { name?: string; expires?: string; scopes?: string[] }; errors?: Record<string, string>; formError?: string } = {}) => {
    const locale = localeOf(res.locals);
    const settings = await getSettings(deps.db);
    const shown = pageInstants(settings.reporting_time_zone, res.locals);
    const me = managerOf(req, res);
    return {
      title: t(locale, 'apikeys.title'),
      nav: 'api-keys',
      keys: (await listApiKeys(deps.db)).map((k) => present(locale, k, shown, me)),
      isAdmin: me.isAdmin,
      scopeChoices: scopeChoices(locale, me, extra.values?.scopes ?? null),
      expiresHint: t(locale, 'apikeys.expires_hint', { zone: settings.reporting_time_zone }),
      today: localDate(deps.clock.now(), settings.reporting_time_zone),
      ...extra,
    };
  };

  const keyPage = async (req: Request, res: Response, id: number, extra: { errors?: Record<string, string>; formError?: string; chosen?: string[] } = {}) => {
    const locale = localeOf(res.locals);
    const key = await findApiKeyById(deps.db, id);
    if (!key) throw new NotFoundError('There is no such API key');
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const me = managerOf(req, res);
    const k = present(locale, key, shown, me);
    return {
      title: t(locale, 'apikeys.key_page_title', { name: key.name }),
      nav: 'api-keys',
      key: k,
      scopeList: k.scopes.map((s) => ({ value: s, description: scopeDescription(locale, s) })),
      // Narrowing: admins, while the key is not revoked; only the key's own scopes can stay.
      canNarrow: me.isAdmin && k.status !== 'revoked',
      narrowChoices: scopeChoices(locale, { ...me, isAdmin: true }, extra.chosen ?? k.scopes, k.scopes),
      ...extra,
    };
  };

  router.get('/api-keys', editor, async (req, res) => {
    res.render('pages/apikeys/index', await listPage(req, res));
  });

  router.post('/api-keys', editor, async (req, res) => {
    const name = formText(req.body, 'name');
    const expires = formText(req.body, 'expires');
    const scopes = formScopes(req.body);
    try {
      const created = await createApiKey(deps.db, { name, scopes, expires }, deps.clock.now(), managerOf(req, res));
      deps.log.info({ apiKeyId: created.id, scopes: created.scopes }, 'API key created');
      const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
      // The key is in this page only; never cached, never stored in clear.
      res.set('Cache-Control', 'no-store');
      res.status(201).render('pages/apikeys/created', {
        title: t(localeOf(res.locals), 'apikeys.created_title'),
        nav: 'api-keys',
        created,
        allScopes: hasEveryScope(created.scopes),
        expires: formatInstant(created.expiresAt, shown) || null,
        example: exampleCall(created.scopes, created.key, deps.config.baseUrl),
      });
    } catch (err) {
      const failed = fieldErrors(err);
      const chosen = scopes === null ? undefined : scopes.filter((s): s is string => typeof s === 'string');
      res.status(failed.status).render('pages/apikeys/index', await listPage(req, res, { values: { name, expires, scopes: chosen }, errors: failed.errors, formError: failed.message }));
    }
  });

  router.get('/api-keys/:id', editor, async (req, res) => {
    res.render('pages/apikeys/key', await keyPage(req, res, keyId(req.params.id)));
  });

  router.post('/api-keys/:id/scopes', admin, async (req, res) => {
    const id = keyId(req.params.id);
    const scopes = formScopes(req.body) ?? [];
    try {
      const result = await narrowApiKeyScopes(deps.db, id, scopes, deps.clock.now(), managerOf(req, res));
      if (result.changed) deps.log.info({ apiKeyId: id, scopes: result.scopes }, 'API key scopes narrowed');
      const locale = localeOf(res.locals);
      setFlash(req, result.changed ? t(locale, 'apikeys.flash_narrowed', { name: result.key.name, scopes: result.scopes.join(', ') }) : t(locale, 'apikeys.flash_unchanged', { name: result.key.name }));
      res.redirect(303, `/api-keys/${id}`);
    } catch (err) {
      const failed = fieldErrors(err);
      const chosen = scopes.filter((s): s is string => typeof s === 'string');
      res.status(failed.status).render('pages/apikeys/key', await keyPage(req, res, id, { errors: failed.errors, formError: failed.message, chosen }));
    }
  });

  router.post('/api-keys/:id/revoke', editor, async (req, res) => {
    const { key, changed } = await revokeApiKeyById(deps.db, keyId(req.params.id), deps.clock.now(), managerOf(req, res));
    if (changed) deps.log.info({ apiKeyId: key.id }, 'API key revoked');
    setFlash(req, t(localeOf(res.locals), 'apikeys.flash_revoked', { name: key.name, prefix: key.prefix }));
    res.redirect(303, '/api-keys');
  });

  return router;
}
