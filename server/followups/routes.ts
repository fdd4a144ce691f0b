import { Router, type Request } from 'express';
import type { Deps } from '../deps.ts';
import { readerLocale } from '../dates.ts';
import { parseInput } from '../validation.ts';
import { fieldErrors, setFlash } from '../http/forms.ts';
import { listSurveys } from '../surveys/queries.ts';
import {
  assignOwner,
  followUpList,
  followUpQuerySchema,
  listLink,
  markFollowedUp,
  NOTE_MAX_LENGTH,
  ownerChoices,
  reopenFollowUp,
  type FollowUpQuery,
} from './service.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

const responseIdOf = (req: Request) => {
  const id = Number(req.params.responseId);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
};

/** Where to go back to after a form: the list (and page) the person came from. */
const backTo = (body: unknown) => {
  const b = (body ?? {}) as Record<string, unknown>;
  const params = new URLSearchParams();
  if (b.status === 'done') params.set('status', 'done');
  if (typeof b.survey_filter === 'string' && /^[a-z0-9-]{1,100}$/.test(b.survey_filter)) params.set('survey', b.survey_filter);
  if (typeof b.page_filter === 'string' && /^[1-9]\d{0,5}$/.test(b.page_filter) && b.page_filter !== '1') params.set('page', b.page_filter);
  const query = params.toString();
  return `/follow-ups${query ? `?${query}` : ''}`;
};

/** /follow-ups: editors close the loop with detractors who left a comment, and choose who gets alert emails. */
export function followUpRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  const page = async (locals: Record<string, unknown>, query: FollowUpQuery, extra: Record<string, unknown> = {}) => {
    const locale = localeOf(locals);
    const [list, surveys, owners] = await Promise.all([followUpList(deps.db, query, readerLocale(locals), locale), listSurveys(deps.db), ownerChoices(deps.db, locale)]);
    const survey = list.survey ?? undefined;
    return {
      title: t(locale, 'followups.title'),
      nav: 'follow-ups',
      ...list,
      open: list.status === 'open',
      paged: list.pages > 1 || list.page > 1,
      tabs: [
        { label: t(locale, 'followups.tab_open'), href: `/follow-ups${listLink({ status: 'open', survey }, 1)}`, current: list.status === 'open' },
        { label: t(locale, 'followups.tab_done'), href: `/follow-ups${listLink({ status: 'done', survey }, 1)}`, current: list.status === 'done' },
      ],
      surveyOptions: [
        { value: '', label: t(locale, 'followups.all_surveys'), selected: !list.survey },
        ...surveys.map((s) => ({ value: s.key, label: `${s.touchpoint_name} · ${s.key}`, selected: s.key === list.survey })),
      ],
      noteMax: NOTE_MAX_LENGTH,
      owners,
      ...extra,
    };
  };

  router.get('/follow-ups', editor, async (req, res) => {
    const query = parseInput(followUpQuerySchema, req.query);
    res.render('pages/followups/index', await page(res.locals, query));
  });

  router.post('/follow-ups/owners', editor, async (req, res) => {
    try {
      const { survey, owner } = await assignOwner(deps.db, req.body, deps.clock.now());
      deps.log.info({ survey, owner }, 'survey owner set');
      const locale = localeOf(res.locals);
      setFlash(req, owner ? t(locale, 'followups.owner_set', { owner, survey }) : t(locale, 'followups.owner_removed', { survey }));
      res.redirect(303, '/follow-ups#owners');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/followups/index', await page(res.locals, { status: 'open' }, { ownerError: Object.values(failed.errors)[0] ?? failed.message }));
    }
  });

  router.post('/follow-ups/:responseId/done', editor, async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const responseId = responseIdOf(req);
    try {
      const marked = await markFollowedUp(deps.db, { responseId, userId: user.id, note: (req.body as Record<string, unknown>)?.note }, deps.clock.now());
      const locale = localeOf(res.locals);
      setFlash(req, marked ? t(locale, 'followups.marked') : t(locale, 'followups.marked_already'));
      res.redirect(303, backTo(req.body));
    } catch (err) {
      const failed = fieldErrors(err);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const query = parseInput(followUpQuerySchema, { status: 'open', survey: body.survey_filter, page: body.page_filter });
      res.status(failed.status).render('pages/followups/index', await page(res.locals, query, { noteError: { responseId, message: failed.errors.note ?? failed.message } }));
    }
  });

  router.post('/follow-ups/:responseId/reopen', editor, async (req, res) => {
    await reopenFollowUp(deps.db, responseIdOf(req));
    const locale = localeOf(res.locals);
    setFlash(req, t(locale, 'followups.reopened'));
    res.redirect(303, backTo({ ...req.body, status: 'done' }));
  });

  return router;
}
