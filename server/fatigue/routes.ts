import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { readerLocale } from '../dates.ts';
import { blankToUndefined, parseInput } from '../validation.ts';
import { propertyNameSchema } from '../metrics/property-filter.ts';
import { keySchema } from '../surveys/model.ts';
import { requireRole } from '../auth/middleware.ts';
import { localeOf } from '../i18n/index.ts';
import { buildFatiguePage, periodChoices } from './service.ts';

const querySchema = z.object({
  days: z.preprocess(blankToUndefined, z.enum(periodChoices, 'must be 90, 180 or 365').optional()),
  segment: z.preprocess(blankToUndefined, propertyNameSchema.optional()),
});
const touchpointSchema = z.object({ touchpoint: keySchema });

/**
 * GET /fatigue (every touchpoint) and /fatigue/:touchpoint: where surveys tire customers. Editors and
 * admins, who set the contact rules the page's advice is about and whose simulation it links to.
 */
export function fatigueRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/fatigue', editor, async (req, res) => {
    const page = await buildFatiguePage(deps.db, null, parseInput(querySchema, req.query), deps.clock.now(), readerLocale(res.locals), localeOf(res.locals));
    res.render('pages/fatigue/index', { nav: 'fatigue', ...page });
  });

  router.get('/fatigue/:touchpoint', editor, async (req, res) => {
    const { touchpoint } = parseInput(touchpointSchema, req.params);
    const page = await buildFatiguePage(deps.db, touchpoint, parseInput(querySchema, req.query), deps.clock.now(), readerLocale(res.locals), localeOf(res.locals));
    res.render('pages/fatigue/index', { nav: 'fatigue', ...page });
  });

  return router;
}
