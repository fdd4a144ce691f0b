import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { surveyMetrics } from './service.ts';
import { intervals } from './series.ts';
import { PROPERTY_NAME, propertyNameSchema, whereSchema } from './property-filter.ts';
import { channelSchema, sourceSchema } from './sources.ts';
import { periodEndParam } from './range.ts';

const text = (max: number) => z.string().trim().max(max);

/** At most this many properties to reweight by: their cells multiply. */
const MAX_WEIGHT_BY = 3;
const WEIGHT_BY_MESSAGE = `must be 1 to ${MAX_WEIGHT_BY} different property names, comma-separated`;
/** A property name (PROPERTY_NAME) inside the list. */
const NAME = PROPERTY_NAME.source.replace(/^\^|\$$/g, '');

/**
 * `weight_by=region` or `weight_by=region,plan`: the event properties to reweight the score by for
 * non-response (metrics/weighting.ts); blank (a form's "not reweighted") means none.
 */
export const weightBySchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim() || undefined : v),
  z
    .string(WEIGHT_BY_MESSAGE)
    .regex(new RegExp(`^${NAME}(,${NAME}){0,${MAX_WEIGHT_BY - 1}}$`), WEIGHT_BY_MESSAGE)
    .transform((value, ctx) => {
      const names = value.split(',');
      if (new Set(names).size !== names.length) {
        ctx.addIssue({ code: 'custom', message: WEIGHT_BY_MESSAGE });
        return z.NEVER;
      }
      return names;
    })
    .optional(),
);

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
  weight_by: weightBySchema,
});

/** GET /api/v1/metrics?survey=KEY&from&to&interval&tz&segment&where=name:value…&weight_by=region */
export function metricsApiRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const query = parseInput(metricsQuerySchema, req.query);
    res.json(await surveyMetrics(deps.db, query));
  });
  return router;
}
