import express, { Router, type RequestHandler } from 'express';
import type { Deps } from './deps.ts';
import { AppError } from './errors.ts';
import { refuseNul } from './http/refuse-nul.ts';
import { checkScope, requireApiKey } from './apikeys/middleware.ts';
import type { ApiScope } from './apikeys/scopes.ts';
import { surveyApiRoutes } from './surveys/api-routes.ts';
import { eventApiRoutes } from './events/api-routes.ts';
import { metricsApiRoutes } from './metrics/api-routes.ts';
import { responseApiRoutes } from './metrics/responses-api-routes.ts';
import { customerApiRoutes } from './customers/api-routes.ts';
import { webhookApiRoutes } from './webhooks/api-routes.ts';
import { openApiRoutes } from './openapi/routes.ts';

export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Every call of /api/v1 and the one scope it needs (scopes in apikeys/scopes.ts). This table is the API's
 * list of calls: a call that is not here answers 404 (405 for a known path and another method) before any
 * route sees it, so a route added to an api-routes file without a line here stays unreachable. The
 * OpenAPI document is generated with this table (server/openapi/generate.ts), so it names the same scope per operation.
 */
export const API_ROUTE_SCOPES: readonly { method: ApiMethod; path: string; scope: ApiScope }[] = [
  { method: 'get', path: '/surveys', scope: 'surveys:read' },
  { method: 'post', path: '/surveys', scope: 'surveys:write' },
  { method: 'get', path: '/surveys/:key', scope: 'surveys:read' },
  { method: 'patch', path: '/surveys/:key', scope: 'surveys:write' },
  { method: 'post', path: '/events', scope: 'events:write' },
  { method: 'post', path: '/events/batch', scope: 'events:write' },
  { method: 'get', path: '/metrics', scope: 'metrics:read' },
  { method: 'get', path: '/responses', scope: 'responses:read' },
  { method: 'get', path: '/customers/:id', scope: 'customers:read' },
  { method: 'get', path: '/customers/:id/timeline', scope: 'customers:read' },
  { method: 'get', path: '/customers/:id/export', scope: 'customers:write' },
  { method: 'post', path: '/customers/:id/erase', scope: 'customers:write' },
  { method: 'post', path: '/webhooks', scope: 'webhooks:write' },
  { method: 'get', path: '/webhooks', scope: 'webhooks:write' },
  { method: 'get', path: '/webhooks/:id', scope: 'webhooks:write' },
  { method: 'patch', path: '/webhooks/:id', scope: 'webhooks:write' },
  { method: 'delete', path: '/webhooks/:id', scope: 'webhooks:write' },
  { method: 'post', path: '/webhooks/:id/test', scope: 'webhooks:write' },
  { method: 'get', path: '/webhooks/:id/messages', scope: 'webhooks:write' },
  { method: 'post', path: '/webhooks/:id/messages/:message/resend', scope: 'webhooks:write' },
];

const unknownApiPath: RequestHandler = (_req, _res, next) =>
  next(new AppError(404, 'unknown-api-path', 'There is no API call at this address', { hint: 'The calls of this API are listed in /api/v1/openapi.json.' }));

const methodNotAllowed =
  (methods: string[]): RequestHandler =>
  (req, res, next) => {
    const allow = methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
    res.set('Allow', allow.join(', '));
    next(new AppError(405, 'method-not-allowed', `${req.method} is not allowed at this address`, { hint: `It answers ${allow.join(', ')}; see /api/v1/openapi.json.` }));
  };

/**
 * The gate between the key and the routes: the call must be in API_ROUTE_SCOPES (else 404, or 405 with
 * Allow), and the key must have its scope (else 403 naming it).
 */
function scopeGate(): Router {
  const gate = Router();
  const paths = new Map<string, Map<ApiMethod, ApiScope>>();
  for (const { method, path, scope } of API_ROUTE_SCOPES) {
    if (!paths.has(path)) paths.set(path, new Map());
    paths.get(path)!.set(method, scope);
  }
  for (const [path, methods] of paths) {
    const route = gate.route(path);
    for (const [method, scope] of methods) {
      const check = checkScope(scope);
      route[method]((req, res, next) => {
        res.locals.apiScope = scope;
        check(req, res, (err?: unknown) => (err ? next(err) : next('route')));
      });
    }
    route.all(methodNotAllowed([...methods.keys()]));
  }
  // Served before the key is checked (GET); any other method lands here.
  gate.route('/openapi.json').all(methodNotAllowed(['get']));
  gate.use((_req, res, next) => (res.locals.apiScope ? next() : unknownApiPath(_req, res, next)));
  return gate;
}

/**
 * /api/v1: JSON in and out, an API key on every call but the OpenAPI document. Without a valid key every
 * address answers 401 (even one with no call: nobody learns more without a key); with one, an unknown
 * address answers 404 problem+json whatever the method, and never reaches the app's pages behind.
 */
export function apiRoutes(deps: Deps): Router {
  const api = Router();
  api.use(openApiRoutes(API_ROUTE_SCOPES));
  // The key first: nobody without one gets a 2 MB body read.
  api.use(requireApiKey(deps), refuseNul);
  // Then the call and its scope, before the body is read.
  api.use(scopeGate());
  api.use(express.json({ limit: '2mb', strict: true, type: ['application/json', 'application/*+json'] }));
  api.use(surveyApiRoutes(deps));
  api.use(eventApiRoutes(deps));
  api.use(metricsApiRoutes(deps));
  api.use(responseApiRoutes(deps));
  api.use(customerApiRoutes(deps));
  api.use(webhookApiRoutes(deps));
  // A call in the table without a route: still the API's 404, never the app's pages.
  api.use(unknownApiPath);
  return api;
}
