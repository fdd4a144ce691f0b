import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { customerTimeline, findCustomer } from './timeline.ts';
import { eraseCustomer } from './commands.ts';
import { exportCustomer } from './export.ts';
import { requestActor } from '../audit/actor.ts';

/** Customers by their external id (the business's id, or the lower-cased email). */
export function customerApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/customers/:id', async (req, res) => {
    res.json(await findCustomer(deps.db, req.params.id));
  });
  router.get('/customers/:id/timeline', async (req, res) => {
    res.json(await customerTimeline(deps.db, req.params.id));
  });
  router.get('/customers/:id/export', async (req, res) => {
    res.json(await exportCustomer(deps, req.params.id, requestActor(req, res)));
  });
  router.post('/customers/:id/erase', async (req, res) => {
    const key = res.locals.apiKey as { id: number; name: string } | undefined;
    res.json(await eraseCustomer(deps, req.params.id, { userId: null, label: `API key ${key?.name ?? 'unknown'}`, audit: requestActor(req, res) }));
  });
  return router;
}
