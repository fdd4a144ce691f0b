import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { viewsDir } from '../http/views.ts';
import { withinLimits } from '../db/rate-counters.ts';
import { getSettings } from '../settings/service.ts';
import { signingSecret, signMessage } from '../settings/signing-secrets.ts';
import { answerSurvey, dismissSurvey, showDueSurvey } from './service.ts';

/**
 * The widget's public surface: /widget.js (the one-line snippet's script) and its JSON calls under
 * /widget/v1, for signed customers on the sites listed in the settings only. Any other origin gets no
 * CORS headers (the browser keeps the answer from the page) and a 403; a bad signature and a customer
 * with nothing due both get 204. Each address is limited in the database across processes.
 */

const widgetFile = path.resolve(viewsDir, '../public/widget.js');
/** Requests per address and minute (a page view makes one to three). */
const LIMITS = [{ windowMs: 60_000, max: 60 }];

const identity = {
  customer: z.string('must be the customer id the snippet names').min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  signature: z.string('must be the snippet\u2019s signature').max(200, 'must be at most 200 characters'),
};
const invitationId = z.number('must be the invitation number the widget was given').int('must be a whole number').positive('must be positive');
const askSchema = z.object({ ...identity, locale: z.string().max(35, 'must be at most 35 characters').nullable().optional() });
const dismissSchema = z.object({ ...identity, invitation: invitationId });
const answerSchema = z.object({
  ...identity,
  invitation: invitationId,
  score: z.number('must be a number on the survey\u2019s scale').int('must be a whole number'),
  comment: z.string('must be text').max(10_000, 'must be at most 2000 characters').optional(),
  input: z.enum(['pointer', 'touch', 'key'], 'must be pointer, touch or key').optional(),
});

export function widgetRoutes(deps: Deps): Router {
  const router = Router();

  router.get('/widget.js', (_req, res) => {
    // Loaded by other sites' pages: readable cross-origin, cached briefly (a new version reaches pages within minutes).
    res.set({ 'Cross-Origin-Resource-Policy': 'cross-origin', 'Access-Control-Allow-Origin': '*' });
    res.sendFile(widgetFile, { maxAge: '5m', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
  });

  /** Only the listed sites: their origin is echoed for CORS; any other gets a 403 without CORS headers. */
  const listedOrigin: RequestHandler = async (req, res, next) => {
    const origin = req.get('origin');
    const { widget_origins } = await getSettings(deps.db);
    if (!origin || !widget_origins.includes(origin)) {
      throw new AppError(403, 'widget-origin', 'This site may not show the widget', { hint: 'Add the site\u2019s origin on the Settings page, or with `touchpoint widget allow ORIGIN`.' });
    }
    res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    if (req.method === 'OPTIONS') {
      res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'content-type', 'Access-Control-Max-Age': '600' });
      return void res.sendStatus(204);
    }
    next();
  };

  const limited: RequestHandler = async (req, _res, next) => {
    const secret = await signingSecret(deps.db, 'widget');
    if (!(await withinLimits(deps.db, `widget:${signMessage(secret, req.ip ?? '').slice(0, 32)}`, LIMITS, deps.clock.now()))) {
      throw new AppError(429, 'too-many-requests', 'Too many widget requests from this address; try again in a minute');
    }
    next();
  };

  const api = Router();
  api.use(listedOrigin, limited, express.json({ limit: '16kb', strict: true }));

  api.post('/invitation', async (req, res) => {
    const body = parseInput(askSchema, req.body);
    const question = await showDueSurvey(deps, body, body.locale ?? null);
    if (!question) return void res.sendStatus(204);
    res.json(question);
  });

  api.post('/dismiss', async (req, res) => {
    const body = parseInput(dismissSchema, req.body);
    await dismissSurvey(deps, body, body.invitation);
    res.sendStatus(204);
  });

  api.post('/answer', async (req, res) => {
    const body = parseInput(answerSchema, req.body);
    const outcome = await answerSurvey(deps, body, body.invitation, body, req.get('user-agent') ?? null);
    switch (outcome.state) {
      case 'settled':
        return void res.json({ state: 'settled' });
      case 'invalid':
        throw new AppError(422, 'validation', outcome.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: outcome.errors });
      case 'closed':
        throw new AppError(409, 'answer-closed', 'This answer can no longer be changed');
      case 'unknown':
        throw new AppError(404, 'widget-invitation', 'There is no survey on show for this customer');
    }
  });

  router.use('/widget/v1', api);
  return router;
}
