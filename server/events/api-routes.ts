import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { batchSchema } from './input.ts';
import { receiveEvent } from './service.ts';
import { receiveBatch } from './batch.ts';

/** POST /events (202 new, 200 repeat) and POST /events/batch (one result per event, in order). */
export function eventApiRoutes(deps: Deps): Router {
  const router = Router();
  // Busy (503): nothing was recorded; the problem+json says so, Retry-After says when (http/problem.ts).
  router.post('/events', async (req, res) => {
    const { answer, repeated } = await receiveEvent(deps, req.body);
    res.status(repeated ? 200 : 202).json(answer);
  });
  router.post('/events/batch', async (req, res) => {
    const { events } = parseInput(batchSchema, req.body);
    res.status(200).json({ results: await receiveBatch(deps, events) });
  });
  return router;
}
