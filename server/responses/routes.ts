import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { pickLocale } from '../i18n/index.ts';
import { answerInvitation, openInvitationPage, recordTrapClick, type LinkOutcome } from './email-link.ts';
import { answerWebSurvey, openWebSurveyPage, type WebOutcome } from './web-link.ts';
import { formModel, messageModel, thanksModel } from './page-model.ts';

/**
 * The customer's answer: the email's score links (/r/:token), its trap link, and the public web link
 * (/s/:survey). The token (or the signed web link) is the credential: no session, no CSRF. GET and
 * HEAD never store an answer.
 */
export function publicResponseRoutes(deps: Deps): Router {
  const router = Router();

  // Scanners HEAD links too: say whether the page exists, record nothing.
  router.head('/r/:token', async (req, res) => {
    const outcome = await openInvitationPage(deps, param(req, 'token'), { record: false });
    res.status(statusOf(outcome)).type('html').end();
  });
  router.head('/r/:token/t', (_req, res) => {
    res.status(200).type('html').end();
  });

  router.get('/r/:token/t', async (req, res) => {
    const recorded = await recordTrapClick(deps, param(req, 'token'), userAgent(req));
    noStore(res);
    if (recorded === 'gone') return res.status(410).render('pages/respond/message', messageModel(requestLocale(req), 'gone'));
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
    if (wantsJson(req)) return sendJson(res, outcome);
    renderLink(req, res, token, outcome);
  });

  router.get('/s/:survey', async (req, res) => {
    const key = param(req, 'survey');
    const outcome = await openWebSurveyPage(deps, key, rawQuery(req), webLocale(req));
    renderWeb(req, res, key, outcome);
  });

  router.post('/s/:survey', async (req, res) => {
    const key = param(req, 'survey');
    const outcome = await answerWebSurvey(deps, key, rawQuery(req), body(req), { wantedLocale: webLocale(req), address: req.ip ?? '', userAgent: userAgent(req) });
    if (wantsJson(req)) return sendJson(res, outcome);
    renderWeb(req, res, key, outcome);
  });

  return router;
}

const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const userAgent = (req: Request): string | null => req.get('user-agent') ?? null;
const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? req.body : {});
/** The query string as sent: a signed web link's signature covers it exactly. */
const rawQuery = (req: Request): string => {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
};
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
    case 'gone':
      return 410;
    case 'invalid':
      return 422;
    case 'too_many':
      return 429;
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
    case 'gone':
      return res.render('pages/respond/message', messageModel(outcome.locale, outcome.kind));
    case 'form':
    case 'discarded':
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
  const query = rawQuery(req);
  const action = `/s/${encodeURIComponent(key)}${query ? `?${query}` : ''}`;
  switch (outcome.kind) {
    case 'unknown':
      return res.render('pages/respond/message', messageModel(requestLocale(req), 'not_found'));
    case 'gone':
    case 'too_many':
      return res.render('pages/respond/message', messageModel(outcome.locale, outcome.kind));
    case 'form':
      return res.render('pages/respond/survey', formModel(outcome.page, { action, lang: outcome.page.locale }));
    case 'invalid':
      return res.render('pages/respond/survey', formModel(outcome.page, { action, lang: outcome.page.locale, errors: outcome.errors }));
    case 'saved':
    case 'closed': {
      // A signed link's answer can be changed in its edit window; an anonymous one is done.
      const editable = outcome.page.answer?.editableUntil ? { action, changeHref: action } : {};
      return res.render('pages/respond/thanks', thanksModel(outcome.page, editable));
    }
  }
}

/**
 * The page script's background save: the outcome as JSON. `saved` is true only for an answer that is
 * stored to count (settled, or held until it settles); `state` says which.
 */
function sendJson(res: Response, outcome: LinkOutcome | WebOutcome) {
  noStore(res);
  res.status(statusOf(outcome));
  switch (outcome.kind) {
    case 'unknown':
      return res.json({ saved: false, error: 'not_found' });
    case 'expired':
    case 'gone':
    case 'too_many':
      return res.json({ saved: false, error: outcome.kind });
    case 'invalid':
      return res.json({ saved: false, errors: outcome.errors });
    case 'form':
      return res.json({ saved: false });
    case 'closed':
      return res.json({ saved: false, closed: true, score: outcome.page.answer?.score ?? null });
    case 'discarded':
      return res.json({ saved: false, state: 'discarded', score: outcome.page.answer?.score ?? null });
    case 'saved':
      return res.json({
        saved: true,
        state: outcome.state,
        score: outcome.page.answer?.score ?? null,
        editable_until: outcome.page.answer?.editableUntil?.toISOString() ?? null,
      });
  }
}
