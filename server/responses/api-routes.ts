import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { listResponses } from '../metrics/responses.ts';
import { sourceSchema } from '../metrics/sources.ts';

const responsesQuerySchema = z.object({
  survey: z.string().trim().min(1).max(100).optional(),
  from: z.string().trim().max(40).optional(),
  to: z.string().trim().max(40).optional(),
  tz: z.string().trim().max(64).optional(),
  cursor: z.string().trim().max(40).optional(),
  source: sourceSchema,
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(100),
});

/** GET /api/v1/responses?survey&from&to&cursor&limit: responses page by page. */
export function responseApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/responses', async (req, res) => {
    res.json(await listResponses(deps.db, parseInput(responsesQuerySchema, req.query)));
  });
  return router;
}
