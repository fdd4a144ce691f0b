import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { getSettings } from '../settings/service.ts';
import { findUnsubscribeLink, undoUnsubscribe, unsubscribe, type UnsubscribeScope } from './unsubscribe.ts';
import type { UnsubscribeTarget } from './unsubscribe-queries.ts';
import { senderName } from '../mail/sender.ts';

const scopeSchema = z.object({ scope: z.enum(['touchpoint', 'all'], 'must be touchpoint or all').optional() });
const undoSchema = z.object({ scope: z.enum(['touchpoint', 'all'], 'must be touchpoint or all') });

/**
 * /u/:token: public, no session, no CSRF (the token is the credential).
 * GET shows the choice and changes nothing (link scanners open it). A POST
 * without a scope is the RFC 8058 one-click (`List-Unsubscribe=One-Click`,
 * url-encoded or multipart, no cookies): all survey email stops and the
 * answer is 200, never a redirect.
 */
export function unsubscribeRoutes(deps: Deps): Router {
  const router = Router();

  const page = async (res: Response, view: string, target: UnsubscribeTarget, token: string, extra: Record<string, unknown> = {}) => {
    const locale = pickLocale(target.locale);
    const settings = await getSettings(deps.db);
    const vars = { sender: senderName(settings, deps.config), touchpoint: target.touchpoint_name };
    res.set('Cache-Control', 'no-store');
    res.render(`pages/unsubscribe/${view}`, {
      layout: 'public',
      locale,
      title: t(locale, 'unsubscribe.title'),
      action: `/u/${encodeURIComponent(token)}`,
      unsubscribedAll: Boolean(target.unsubscribed_at),
      unsubscribedTouchpoint: Boolean(target.touchpoint_unsubscribed_at),
      intro: t(locale, 'unsubscribe.intro', vars),
      touchpointButton: t(locale, 'unsubscribe.touchpoint', vars),
      alreadyAll: t(locale, 'unsubscribe.already_all', vars),
      alreadyTouchpoint: t(locale, 'unsubscribe.already_touchpoint', vars),
      doneAll: t(locale, 'unsubscribe.done_all', vars),
      doneTouchpoint: t(locale, 'unsubscribe.done_touchpoint', vars),
      ...extra,
    });
  };

  /** Unknown tokens get a friendly page in the reader's language that says nothing about anyone. */
  const guarded =
    (handler: (req: Request, res: Response, token: string) => Promise<void>) => async (req: Request, res: Response) => {
      const token = String(req.params.token);
      try {
        await handler(req, res, token);
      } catch (err) {
        if (!(err instanceof NotFoundError) && !(err instanceof GoneError)) throw err;
        const locale: Locale = pickLocale(req.acceptsLanguages('en', 'de') || undefined);
        const gone = err instanceof GoneError;
        res.set('Cache-Control', 'no-store');
        res.status(gone ? 410 : 404).render('pages/unsubscribe/unknown', { layout: 'public', locale, gone, title: t(locale, gone ? 'unsubscribe.gone_title' : 'unsubscribe.unknown_title') });
      }
    };

  router.get(
    '/u/:token',
    guarded(async (_req, res, token) => {
      await page(res, 'choose', await findUnsubscribeLink(deps.db, token), token);
    }),
  );

  router.post(
    '/u/:token',
    guarded(async (req, res, token) => {
      const { scope } = parseInput(scopeSchema, formFields(req.body), '');
      const oneClick = scope === undefined;
      const chosen: UnsubscribeScope = scope ?? 'all';
      const target = await unsubscribe(deps.db, token, chosen, deps.clock.now());
      deps.log.info({ invitationId: target.invitation_id, scope: chosen, oneClick }, 'customer unsubscribed');
      await page(res, 'done', target, token, { scope: chosen, oneClick });
    }),
  );

  router.post(
    '/u/:token/undo',
    guarded(async (req, res, token) => {
      const { scope } = parseInput(undoSchema, formFields(req.body), '');
      const target = await undoUnsubscribe(deps.db, token, scope, deps.clock.now());
      deps.log.info({ invitationId: target.invitation_id, scope }, 'customer took back an unsubscribe');
      await page(res, 'undone', target, token, { scope });
    }),
  );

  return router;
}

/** Only the string fields of a url-encoded form; any other body (multipart, none) has none. */
const formFields = (body: unknown): Record<string, string> =>
  body && typeof body === 'object'
    ? Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>
    : {};
