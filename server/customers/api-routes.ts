import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { customerTimeline, findCustomer } from './service.ts';

/** Customers by their external id (the business's id, or the lower-cased email). */
export function customerApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/customers/:id', async (req, res) => {
    res.json(await findCustomer(deps.db, req.params.id));
  });
  router.get('/customers/:id/timeline', async (req, res) => {
    res.json(await customerTimeline(deps.db, req.params.id));
  });
  return router;
}
