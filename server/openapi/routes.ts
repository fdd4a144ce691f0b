import { Router } from 'express';
import { openApiDocument, type RouteScope } from './generate.ts';

/** The document as served, generated once per table of calls (every app built in one process shares it). */
const served = new WeakMap<readonly RouteScope[], string>();

/** GET /api/v1/openapi.json: the API's description, readable without a key; `routeScopes` is API_ROUTE_SCOPES. */
export function openApiRoutes(routeScopes: readonly RouteScope[]): Router {
  const body = served.get(routeScopes) ?? JSON.stringify(openApiDocument(routeScopes), null, 2);
  served.set(routeScopes, body);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  });
  return router;
}
