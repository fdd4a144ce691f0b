import { Router } from 'express';
import { openApiDocument } from './document.ts';

const body = JSON.stringify(openApiDocument, null, 2);

/** GET /api/v1/openapi.json: the API's description, readable without a key. */
export function openApiRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  });
  return router;
}
