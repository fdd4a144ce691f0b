import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { AppError, NotFoundError } from '../errors.ts';
import { localPath, setFlash } from '../http/forms.ts';
import { formModel, thanksModel } from '../responses/page-model.ts';
import type { Survey } from '../surveys/model.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { readSurveyForm, type SurveyForm } from './form.ts';
import { formErrors, formPage } from './form-page.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';
import { draftSurvey, duplicateSurvey, previewEmail, previewLocale, previewPage, sendTestEmail, surveyLocales } from './preview.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';

declare module 'express-session' {
  interface SessionData {
    /** Unsaved drafts being previewed, by preview id: the form as typed and, from the edit form, the survey's key. */
    surveyPreviews?: Record<string, { form: SurveyForm; key?: string }>;
  }
}

/** Drafts kept per session; the oldest goes first. */
const KEPT_DRAFTS = 5;
const surveyPath = (key: string) => `/surveys/${encodeURIComponent(key)}`;
const DRAFT_ID = /^[0-9a-f]{16}$/;

/** The email's HTML part: an opaque origin without scripts or forms; its inline styles and images show. */
const EMAIL_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'";
/** The survey page: no scripts, no forms; it keeps its origin only so its own stylesheets load. */
const PAGE_CSP = "sandbox allow-same-origin; default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'self'";

type Source = { kind: 'draft'; id: string; survey: Survey } | { kind: 'saved'; survey: Survey };



/**
 * /surveys/preview, /surveys/:key/preview, /surveys/:key/test,
 * /surveys/:key/duplicate: a survey's email and page as the customer sees
 * them, from the unsaved form or the saved survey; a test email to oneself;
 * a draft copy. Mount before surveyAdminRoutes (so "preview" is not taken for
 * a survey key).
 */
export function surveyPreviewRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  const savedOr404 = async (key: string, locale: Locale): Promise<Survey> => {
    const survey = await findSurveyByKey(deps.db, key);
    if (!survey) throw new NotFoundError(t(locale, 'surveys.not_found', { key }));
    return survey;
  };

  const draftOr404 = async (req: Request, id: string, locale: Locale): Promise<Source> => {
    const kept = DRAFT_ID.test(id) ? req.session.surveyPreviews?.[id] : undefined;
    if (!kept) throw new NotFoundError(t(locale, 'surveys.preview_gone'));
    const saved = kept.key ? await savedOr404(kept.key, locale) : undefined;
    return { kind: 'draft', id, survey: await draftSurvey(deps.db, kept.form, saved, locale) };
  };

  const keepDraft = (req: Request, form: SurveyForm, key?: string): string => {
    const id = crypto.randomBytes(8).toString('hex');
    const drafts = { ...(req.session.surveyPreviews ?? {}), [id]: { form, ...(key ? { key } : {}) } };
    const ids = Object.keys(drafts);
    for (const old of ids.slice(0, Math.max(0, ids.length - KEPT_DRAFTS))) delete drafts[old];
    req.session.surveyPreviews = drafts;
    return id;
  };

  const base = (source: Source) => (source.kind === 'draft' ? `/surveys/preview/draft/${source.id}` : `${surveyPath(source.survey.key)}/preview`);

  async function renderPreview(res: Response, source: Source, status = 200) {
    const { survey } = source;
    const user = res.locals.user as SignedInUser;
    const locale = localeOf(res.locals);
    const shown = surveyLocales(survey);
    const sections = await Promise.all(
      shown.map(async (shownLocale) => {
        const mail = await previewEmail(deps, survey, shownLocale, { email: 'customer@example.com', name: null });
        const frames = `${base(source)}/${shownLocale}`;
        return {
          locale: shownLocale,
          name: t(locale, 'surveys.language_name', { locale: shownLocale }),
          isDefault: shownLocale === survey.default_locale,
          subject: mail.subject,
          from: mail.from,
          text: mail.text,
          emailSrc: `${frames}/email`,
          pageSrc: `${frames}/page`,
          thanksSrc: `${frames}/thanks`,
        };
      }),
    );
    res.status(status).render('pages/surveys/preview', {
      title: t(locale, 'surveys.preview_title', { key: survey.key }),
      nav: 'surveys',
      survey,
      unsaved: source.kind === 'draft',
      draftId: source.kind === 'draft' ? source.id : undefined,
      // A draft goes back to the form with what was typed; a saved survey to its page.
      editHref: source.kind === 'draft' ? `${base(source)}/edit` : surveyPath(survey.key),
      sections,
      testAction: source.kind === 'draft' ? '/surveys/preview/test' : `${surveyPath(survey.key)}/test`,
      testLocales: sections.map((s) => ({ value: s.locale, label: s.name, selected: s.isDefault })),
      userEmail: user.email,
    });
  }

  /** The form's errors: the survey form again, with what was typed and each error beside its field. */
  async function renderErrors(res: Response, err: unknown, values: SurveyForm, saved?: Survey) {
    const locale = localeOf(res.locals);
    const failed = formErrors(locale, err, values);
    res.status(failed.status).render('pages/surveys/form', await formPage(deps, locale, values, { survey: saved, errors: failed.errors, formError: failed.message }));
  }

  async function previewDraft(req: Request, res: Response, saved?: Survey) {
    const values = readSurveyForm(req.body);
    let survey: Survey;
    try {
      survey = await draftSurvey(deps.db, values, saved, localeOf(res.locals));
    } catch (err) {
      return renderErrors(res, err, saved ? { ...values, key: saved.key, touchpoint: saved.touchpoint_key, metric: saved.metric } : values, saved);
    }
    const id = keepDraft(req, values, saved?.key);
    // The page's frames ask for the draft at once: it must be stored before the page goes out.
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    await renderPreview(res, { kind: 'draft', id, survey });
  }

  async function serveFrame(res: Response, source: Source, localeParam: string, part: string) {
    const { survey } = source;
    const locale = localeOf(res.locals);
    if (!surveyLocales(survey).includes(localeParam as never)) throw new NotFoundError(t(locale, 'surveys.preview_no_wording', { locale: localeParam }));
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'no-store');
    if (part === 'email') {
      const mail = await previewEmail(deps, survey, localeParam, { email: 'customer@example.com', name: null });
      res.set('Content-Security-Policy', EMAIL_CSP);
      return res.type('html').send(mail.html);
    }
    const page = await previewPage(deps.db, survey, localeParam);
    res.set('Content-Security-Policy', PAGE_CSP);
    if (part === 'page') return res.render('pages/respond/survey', { ...formModel(page, { action: '#' }), scripts: [] });
    if (part === 'thanks') return res.render('pages/respond/thanks', { ...thanksModel(page, {}), scripts: [] });
    throw new NotFoundError(t(locale, 'surveys.preview_no_part'));
  }

  async function sendTest(req: Request, res: Response, source: Source): Promise<string> {
    const user = res.locals.user as SignedInUser;
    const locale: Locale = localeOf(res.locals);
    const mailLocale = previewLocale(source.survey, req.body?.locale);
    try {
      await sendTestEmail(deps, source.survey, mailLocale, { email: user.email, name: user.name || null });
      const language = t(locale, 'surveys.language_name', { locale: mailLocale });
      // In the development mailbox when no SMTP_URL is set.
      return deps.mail.kind === 'mailbox'
        ? t(locale, 'surveys.test_sent_mailbox', { language, email: user.email })
        : t(locale, 'surveys.test_sent', { language, email: user.email });
    } catch (err) {
      if (err instanceof AppError) throw err;
      deps.log.warn({ err, survey: source.survey.key }, 'the test email was not sent');
      return t(locale, 'surveys.test_failed', { message: (err as Error).message });
    }
  }

  // The new-survey form's draft (its Preview button posts the whole form here).
  router.post('/surveys/preview', editor, async (req, res, next) => {
    // The new-survey form always sends a key; without one this is the edit form of a survey keyed "preview".
    if (typeof req.body?.key !== 'string') return next();
    await previewDraft(req, res);
  });

  // A test email of a draft being previewed (from the preview page: its id and a locale).
  router.post('/surveys/preview/test', editor, async (req, res) => {
    const id = typeof req.body?.draft === 'string' ? req.body.draft : '';
    const source = await draftOr404(req, id, localeOf(res.locals));
    setFlash(req, await sendTest(req, res, source));
    res.redirect(303, base(source));
  });

  router.get('/surveys/preview/draft/:id', editor, async (req, res) => {
    await renderPreview(res, await draftOr404(req, req.params.id as string, localeOf(res.locals)));
  });

  // Back from a draft's preview to its form, with everything as typed (the browser's Back may have lost it).
  router.get('/surveys/preview/draft/:id/edit', editor, async (req, res) => {
    const id = req.params.id as string;
    const kept = DRAFT_ID.test(id) ? req.session.surveyPreviews?.[id] : undefined;
    const locale = localeOf(res.locals);
    if (!kept) throw new NotFoundError(t(locale, 'surveys.preview_gone'));
    const saved = kept.key ? await savedOr404(kept.key, locale) : undefined;
    const values = saved ? { ...kept.form, key: saved.key, touchpoint: saved.touchpoint_key, metric: saved.metric } : kept.form;
    res.render('pages/surveys/form', await formPage(deps, locale, values, { survey: saved }));
  });

  router.get('/surveys/preview/draft/:id/:locale/:part', editor, async (req, res) => {
    await serveFrame(res, await draftOr404(req, req.params.id as string, localeOf(res.locals)), req.params.locale as string, req.params.part as string);
  });

  // The edit form's draft: key, touchpoint and metric are the saved survey's.
  router.post('/surveys/:key/preview', editor, async (req, res) => {
    await previewDraft(req, res, await savedOr404(req.params.key as string, localeOf(res.locals)));
  });

  router.get('/surveys/:key/preview', editor, async (req, res) => {
    await renderPreview(res, { kind: 'saved', survey: await savedOr404(req.params.key as string, localeOf(res.locals)) });
  });

  router.get('/surveys/:key/preview/:locale/:part', editor, async (req, res) => {
    const survey = await savedOr404(req.params.key as string, localeOf(res.locals));
    await serveFrame(res, { kind: 'saved', survey }, req.params.locale as string, req.params.part as string);
  });

  // A test email of the saved survey; back to `next` (a path on this site), else its preview.
  router.post('/surveys/:key/test', editor, async (req, res) => {
    const source: Source = { kind: 'saved', survey: await savedOr404(req.params.key as string, localeOf(res.locals)) };
    setFlash(req, await sendTest(req, res, source));
    res.redirect(303, localPath(req.body?.next, base(source)));
  });

  router.post('/surveys/:key/duplicate', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const original = await savedOr404(req.params.key as string, locale);
    const copy = await duplicateSurvey(deps.db, original.key, deps.clock.now());
    setFlash(req, t(locale, 'surveys.duplicated', { key: original.key, copy: copy.key }));
    res.redirect(303, surveyPath(copy.key));
  });

  return router;
}
