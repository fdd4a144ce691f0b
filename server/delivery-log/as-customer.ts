import path from 'node:path';
import type { Deps } from '../deps.ts';
import type { FieldError } from '../errors.ts';
import { NotFoundError } from '../errors.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { findSurveyById } from '../surveys/queries.ts';
import { findCustomerById } from '../customers/queries.ts';
import { getSettings } from '../settings/service.ts';
import { blankSurveyPage, editableUntil, formValues, parseAnswer, type SurveyPage } from '../responses/answer-page.ts';
import { formModel, thanksModel } from '../responses/page-model.ts';
import { findDelivery } from './queries.ts';
import { t, type Locale } from '../i18n/index.ts';

/**
 * "Open as the customer": the survey page the customer of an invitation sees
 * when they open their link (their locale, the survey's wording), rendered by
 * the customer's own views and page models, for an editor. It never touches
 * the customer's link: no open, no click, no answer is recorded; its form
 * posts to a preview action that shows the thanks page and stores nothing.
 */

const respondViews = path.join(viewsDir, 'pages', 'respond');

const asCustomerPath = (invitationId: number) => `/deliveries/${invitationId}/as-customer`;
const asCustomerAnswerPath = (invitationId: number) => `${asCustomerPath(invitationId)}/answer`;

export interface CustomerView {
  invitationId: number;
  page: SurveyPage;
  /** The customer's edit window, in hours: how long the thanks page lets them change their comment. */
  editWindowHours: number;
}

/** The page the customer sees on opening the invitation's link, blank. 404 without the invitation or its survey. */
export async function customerView(deps: Pick<Deps, 'db'>, invitationId: number): Promise<CustomerView> {
  const row = await findDelivery(deps.db, invitationId);
  if (!row) throw new NotFoundError('There is no such invitation');
  const [survey, customer, settings] = await Promise.all([findSurveyById(deps.db, row.survey_id), findCustomerById(deps.db, row.customer_id), getSettings(deps.db)]);
  if (!survey) throw new NotFoundError('The survey of this invitation is gone');
  const page = blankSurveyPage(survey, row.locale, customer?.time_zone || settings.reporting_time_zone);
  return { invitationId: row.id, page, editWindowHours: settings.edit_window_hours };
}

/** A preview page: the customer's view (survey or thanks) rendered alone, inside the preview's own page. */
export interface PreviewPage {
  /** The view under views/pages/deliveries and what it is rendered with (public layout, the customer's locale). */
  view: string;
  model: Record<string, unknown>;
}

async function preview(view: CustomerView, locale: Locale, part: 'survey' | 'thanks', model: Record<string, unknown>, formId: string | null): Promise<PreviewPage> {
  // The customer's page, rendered by its own view without a layout; the preview page wraps it.
  const customerPage = await handlebars.render(path.join(respondViews, `${part}.hbs`), model, { cache: true });
  return {
    view: 'pages/deliveries/as-customer',
    model: {
      layout: 'public',
      locale: model.locale,
      // The page is in the customer's locale; the preview's own words are in the staff user's (`locale`).
      title: t(locale, 'deliveries.preview_page_title', { title: String(model.title) }),
      staffLocale: locale,
      note: {
        title: t(locale, 'deliveries.preview_note', { part, id: String(view.invitationId) }),
        body: t(locale, 'deliveries.preview_body'),
        back: t(locale, 'deliveries.preview_back'),
      },
      scripts: [],
      invitationId: view.invitationId,
      part,
      customerPage,
      // The customer's form carries no CSRF field (their link is the credential); the preview adds one to it.
      formId,
    },
  };
}

/** The survey form as the customer first sees it (or, with errors, as they sent it); it posts to the preview action. */
export function previewForm(view: CustomerView, locale: Locale, errors?: FieldError[], values: Partial<SurveyPage> = {}): Promise<PreviewPage> {
  const page: SurveyPage = { ...view.page, ...values, openId: null, autosave: false };
  const model = { ...formModel(page, { action: asCustomerAnswerPath(view.invitationId), errors }), scripts: [] };
  return preview(view, locale, 'survey', model, 'survey-form');
}

/**
 * What the customer's page shows after they send `body` (score and comment),
 * read as the customer's answer is read: the thanks page, with the comment
 * box while the edit window is open, or the form with its errors. Nothing is
 * stored.
 */
export function previewAnswer(view: CustomerView, locale: Locale, body: Record<string, unknown>, now: Date): Promise<PreviewPage> {
  const parsed = parseAnswer(view.page.survey, view.page.locale, body);
  if (parsed.errors.length) return previewForm(view, locale, parsed.errors, formValues(parsed, body));
  const score = parsed.score!;
  const comment = parsed.comment ?? '';
  // As if answered now: the edit window starts.
  const until = editableUntil({ answered_at: now.toISOString() }, { edit_window_hours: view.editWindowHours });
  const page: SurveyPage = { ...view.page, selected: score, comment, answer: { score, comment: comment || null, editableUntil: until } };
  const model = { ...thanksModel(page, { action: asCustomerAnswerPath(view.invitationId) }), scripts: [] };
  return preview(view, locale, 'thanks', model, 'comment-form');
}
