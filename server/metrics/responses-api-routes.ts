import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { limitSchema, parseInput } from '../validation.ts';
import { listResponses } from './response-list.ts';
import { sourceSchema } from './sources.ts';
import { periodEndParam } from './range.ts';

export const responsesQuerySchema = z.object({
  survey: z.string().trim().min(1).max(100).optional(),
  from: periodEndParam,
  to: periodEndParam,
  tz: z.string().trim().max(64).optional(),
  cursor: z.string().trim().max(40).optional(),
  source: sourceSchema,
  limit: limitSchema(1000, 100),
});

/** GET /api/v1/responses?survey&from&to&cursor&limit: responses page by page. */
export function responseApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/responses', async (req, res) => {
    res.json(await listResponses(deps.db, parseInput(responsesQuerySchema, req.query)));
  });
  return router;
}
