import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Deps } from '../deps.ts';
import { pickLocale } from '../i18n/index.ts';
import {
  answerInvitation,
  answerWebSurvey,
  openInvitationPage,
  openWebSurveyPage,
  recordTrapClick,
  type LinkOutcome,
  type WebOutcome,
} from './service.ts';
import { formModel, messageModel, thanksModel } from './page-model.ts';

/**
 * The customer's answer: the email's score links (/r/:token), its trap link,
 * and the public web link (/s/:survey). The token in the link is the
 * credential: no session, no CSRF. GET and HEAD never store an answer.
 */
export function publicResponseRoutes(deps: Deps): Router {
  const router = Router();
  const webAnswerLimit = webAnswerRateLimit();

  // Scanners HEAD links too: say whether the page exists, record nothing.
  router.head('/r/:token', async (req, res) => {
    const outcome = await openInvitationPage(deps, param(req, 'token'), { record: false });
    res.status(statusOf(outcome)).type('html').end();
  });
  router.head('/r/:token/t', (_req, res) => {
    res.status(200).type('html').end();
  });

  router.get('/r/:token/t', async (req, res) => {
    await recordTrapClick(deps, param(req, 'token'), userAgent(req));
    noStore(res);
    res.render('pages/respond/message', messageModel(requestLocale(req), 'trap'));
  });

  router.get('/r/:token', async (req, res) => {
    const token = param(req, 'token');
    const outcome = await openInvitationPage(deps, token, { score: req.query.score, userAgent: userAgent(req) });
    renderLink(req, res, token, outcome);
  });

  router.post('/r/:token', async (req, res) => {
    const token = param(req, 'token');
    const outcome = await answerInvitation(deps, token, body(req), userAgent(req));
    if (wantsJson(req)) return sendLinkJson(res, outcome);
    renderLink(req, res, token, outcome);
  });

  router.get('/s/:survey', async (req, res) => {
    const key = param(req, 'survey');
    const outcome = await openWebSurveyPage(deps, key, webLocale(req));
    renderWeb(req, res, key, outcome);
  });

  router.post('/s/:survey', webAnswerLimit, async (req, res) => {
    const key = param(req, 'survey');
    const outcome = await answerWebSurvey(deps, key, body(req), webLocale(req));
    if (wantsJson(req)) return sendWebJson(res, outcome);
    renderWeb(req, res, key, outcome);
  });

  return router;
}

/** At most 20 web-link answers per address per minute; one counter per app. */
function webAnswerRateLimit() {
  return rateLimit({
    windowMs: 60_000,
    limit: 20,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler(req, res) {
      res.status(429);
      if (wantsJson(req)) return void res.json({ saved: false, error: 'too_many' });
      res.render('pages/respond/message', messageModel(requestLocale(req), 'too_many'));
    },
  });
}

const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const userAgent = (req: Request): string | null => req.get('user-agent') ?? null;
const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? req.body : {});
const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';
const firstString = (value: unknown) => (typeof value === 'string' ? value : undefined);
/** The browser's preferred language among ours; null when it names none of them (or sends no header). */
const browserLocale = (req: Request): string | null => (req.get('accept-language') ? req.acceptsLanguages('en', 'de') || null : null);
const requestLocale = (req: Request) => pickLocale(browserLocale(req));
/** ?lang= first, then the browser's languages; the survey's default when neither is offered. */
const webLocale = (req: Request) => firstString(req.query.lang) ?? browserLocale(req);

// Answers and personal pages must not be cached by browsers or proxies.
const noStore = (res: Response) => res.set('Cache-Control', 'no-store');

function statusOf(outcome: LinkOutcome | WebOutcome): number {
  switch (outcome.kind) {
    case 'unknown':
      return 404;
    case 'expired':
      return 410;
    case 'invalid':
      return 422;
    default:
      return 200;
  }
}

function renderLink(req: Request, res: Response, token: string, outcome: LinkOutcome) {
  noStore(res);
  res.status(statusOf(outcome));
  const action = `/r/${encodeURIComponent(token)}`;
  switch (outcome.kind) {
    case 'unknown':
      return res.render('pages/respond/message', messageModel(requestLocale(req), 'not_found'));
    case 'expired':
      return res.render('pages/respond/message', messageModel(outcome.locale, 'expired'));
    case 'form':
      return res.render('pages/respond/survey', formModel(outcome.page, { action }));
    case 'invalid':
      return res.render('pages/respond/survey', formModel(outcome.page, { action, errors: outcome.errors }));
    case 'saved':
    case 'closed':
      return res.render('pages/respond/thanks', thanksModel(outcome.page, { action, changeHref: action }));
  }
}

function renderWeb(req: Request, res: Response, key: string, outcome: WebOutcome) {
  noStore(res);
  res.status(statusOf(outcome));
  const action = `/s/${encodeURIComponent(key)}`;
  switch (outcome.kind) {
    case 'unknown':
      return res.render('pages/respond/message', messageModel(requestLocale(req), 'not_found'));
    case 'form':
      return res.render('pages/respond/survey', formModel(outcome.page, { action, lang: outcome.page.locale }));
    case 'invalid':
      return res.render('pages/respond/survey', formModel(outcome.page, { action, lang: outcome.page.locale, errors: outcome.errors }));
    case 'saved':
      return res.render('pages/respond/thanks', thanksModel(outcome.page, {}));
  }
}

/** The page script's background save: the same outcome, as JSON. An automated answer looks saved too. */
function sendLinkJson(res: Response, outcome: LinkOutcome) {
  noStore(res);
  res.status(statusOf(outcome));
  switch (outcome.kind) {
    case 'unknown':
    case 'expired':
      return res.json({ saved: false, error: outcome.kind === 'unknown' ? 'not_found' : 'expired' });
    case 'invalid':
      return res.json({ saved: false, errors: outcome.errors });
    case 'closed':
      return res.json({ saved: false, closed: true, score: outcome.page.answer?.score ?? null });
    case 'saved':
      return res.json({
        saved: true,
        score: outcome.page.answer?.score ?? null,
        editable_until: outcome.page.answer?.editableUntil?.toISOString() ?? null,
      });
  }
}

function sendWebJson(res: Response, outcome: WebOutcome) {
  noStore(res);
  res.status(statusOf(outcome));
  if (outcome.kind === 'unknown') return res.json({ saved: false, error: 'not_found' });
  if (outcome.kind === 'invalid') return res.json({ saved: false, errors: outcome.errors });
  return res.json({ saved: outcome.kind === 'saved', score: outcome.page.answer?.score ?? null });
}
