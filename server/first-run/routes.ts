import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { fieldErrors, formText, setFlash } from '../http/forms.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { firstRun, type FirstRun } from './checklist.ts';
import { sendTestEvent, testableSurveys } from './test-event.ts';

/**
 * The first run (issue 16): /getting-started lists the five steps to a first answer with what is done,
 * and sends a test event to the signed-in person ("send a test event to me"); the dashboard says how far
 * the checklist is (until the first customer answers) and names the newest test answer, which its figures
 * leave out.
 */
export function firstRunRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  const testAnswerText = async (locale: Locale, state: FirstRun, locals: Record<string, unknown>) => {
    if (!state.testAnswer) return null;
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, locals);
    return t(locale, 'firstrun.test_answer', { score: state.testAnswer.score, survey: state.testAnswer.survey_key, when: formatInstant(state.testAnswer.answered_at, shown) });
  };

  // Before the dashboard's own route (admin.ts mounts this first): its line on the first run.
  router.get('/dashboard', requireRole('viewer'), async (_req, res, next) => {
    if (!res.locals.isEditor) return next();
    const state = await firstRun(deps.db);
    const locale = localeOf(res.locals);
    // Until the first customer answers: a workspace with answers is past its first run.
    if (state.done < state.total && !state.answered) res.locals.firstRunLine = t(locale, 'firstrun.progress', { done: state.done, total: state.total });
    res.locals.firstRunAnswer = await testAnswerText(locale, state, res.locals);
    next();
  });

  const page = async (locale: Locale, locals: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const state = await firstRun(deps.db);
    const surveys = await testableSurveys(deps);
    return {
      title: t(locale, 'firstrun.title'),
      nav: 'dashboard',
      steps: state.steps.map((s, i) => ({ ...s, n: i + 1, text: t(locale, `firstrun.step_${s.key}`), hint: t(locale, `firstrun.hint_${s.key}`) })),
      done: state.done,
      total: state.total,
      surveys: surveys.map((s, i) => ({ value: s.key, label: `${s.touchpoint_name} · ${s.key}`, selected: i === 0 })),
      testState: state.testInvitation ? t(locale, 'firstrun.test_state', { id: state.testInvitation.id, state: state.testInvitation.state }) : null,
      testAnswer: await testAnswerText(locale, state, locals),
      usesMailbox: deps.mail.kind !== 'smtp',
      ...extra,
    };
  };

  router.get('/getting-started', editor, async (_req, res) => {
    res.render('pages/first-run/index', await page(localeOf(res.locals), res.locals));
  });

  router.post('/getting-started/test-event', editor, async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const locale = localeOf(res.locals);
    try {
      const { invitationId, survey } = await sendTestEvent(deps, user, formText(req.body, 'survey') || undefined);
      await audit(deps.db, { actor: requestActor(req, res), action: 'first_run.test_event', target: { type: 'invitation', id: invitationId, label: survey.key } }, deps.clock.now());
      setFlash(req, t(locale, deps.mail.kind === 'smtp' ? 'firstrun.sent_smtp' : 'firstrun.sent_mailbox', { email: user.email, survey: survey.key }));
      res.redirect(303, '/getting-started');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/first-run/index', await page(locale, res.locals, { error: failed.errors.survey ?? failed.message }));
    }
  });

  return router;
}
