import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { surveyMetrics } from './service.ts';
import { intervals } from './series.ts';
import { propertyNameSchema, whereSchema } from './property-filter.ts';
import { channelSchema, sourceSchema } from './sources.ts';
import { periodEndParam } from './range.ts';

const text = (max: number) => z.string().trim().max(max);

export const metricsQuerySchema = z.object({
  survey: z.string({ error: 'is required' }).trim().min(1, 'is required').max(100),
  from: periodEndParam,
  to: periodEndParam,
  interval: z.enum(intervals, 'must be day, week or month').default('week'),
  tz: text(64).optional(),
  segment: propertyNameSchema.optional(),
  where: whereSchema,
  source: sourceSchema,
  channel: channelSchema,
  split: z.enum(['channel'], 'must be channel').optional(),
});

/** GET /api/v1/metrics?survey=KEY&from&to&interval&tz&segment&where=name:value… */
export function metricsApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const query = parseInput(metricsQuerySchema, req.query);
    res.json(await surveyMetrics(deps.db, query));
  });
  return router;
}
