import type { Deps } from '../deps.ts';
import { fieldErrors } from '../http/forms.ts';
import { locales, t, type Locale } from '../i18n/index.ts';
import { metrics, precisionPeriods, surveyStatuses, type Metric, type Survey } from '../surveys/model.ts';
import { listTouchpoints } from '../surveys/queries.ts';
import { formFieldOf, wordingFields, type SurveyForm } from './form.ts';
import { precisionPanel } from './precision-page.ts';

/** The survey form page (new, edit, and back from a preview): its view model. */

const metricNames: Record<Metric, string> = { nps: 'NPS (0–10)', csat: 'CSAT (1–5)', ces: 'CES (1–7)' };
/** A wording field's label and hint in the page's language. */
function wordingLabel(locale: Locale, field: (typeof wordingFields)[number]): { label: string; hint?: string } {
  switch (field) {
    case 'question':
      return { label: t(locale, 'surveys.wording_question'), hint: t(locale, 'surveys.wording_question_hint') };
    case 'low_label':
      return { label: t(locale, 'surveys.wording_low_label') };
    case 'high_label':
      return { label: t(locale, 'surveys.wording_high_label') };
    case 'comment_prompt':
      return { label: t(locale, 'surveys.wording_comment_prompt'), hint: t(locale, 'surveys.wording_comment_prompt_hint') };
    case 'thank_you':
      return { label: t(locale, 'surveys.wording_thank_you') };
  }
}
const options = (values: readonly string[], selected: string, label: (v: string) => string = (v) => v) =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

/** The form's errors beside their fields, the summary above it in the page's language (the messages themselves are the service's). */
export function formErrors(locale: Locale, err: unknown, values: SurveyForm): ReturnType<typeof fieldErrors> {
  const failed = fieldErrors(err, (f) => formFieldOf(f, values.default_locale));
  return Object.keys(failed.errors).length ? { ...failed, message: t(locale, 'surveys.fix_fields') } : failed;
}

/** The survey form's view model: values as typed, errors beside their fields, texts in the page's language. */
export async function formPage(deps: Deps, locale: Locale, values: SurveyForm, extra: { survey?: Survey; errors?: Record<string, string>; formError?: string } = {}) {
  const errors = extra.errors ?? {};
  const survey = extra.survey;
  const languageName = (l: string) => t(locale, 'surveys.language_name', { locale: l });
  return {
    title: survey ? t(locale, 'surveys.survey_key', { key: survey.key }) : t(locale, 'surveys.new'),
    nav: 'surveys',
    values,
    errors,
    formError: extra.formError,
    survey,
    readOnly: survey?.source === 'file',
    webLinkOpen: survey ? survey.channel === 'link' || survey.public_link : false,
    action: survey ? `/surveys/${encodeURIComponent(survey.key)}` : '/surveys',
    touchpoints: await listTouchpoints(deps.db),
    metricOptions: options(metrics, values.metric, (m) => metricNames[m as Metric]),
    templateLinks: metrics.map((m) => ({ metric: m, label: metricNames[m], current: m === values.metric })),
    statusOptions: options(surveyStatuses, values.status, (status) => t(locale, 'surveys.status_name', { status })),
    channelOptions: [
      { value: 'email', label: t(locale, 'surveys.channel_email'), selected: !['web', 'email_or_web', 'link'].includes(String(values.channel)) },
      { value: 'web', label: t(locale, 'surveys.channel_web'), selected: values.channel === 'web' },
      { value: 'email_or_web', label: t(locale, 'surveys.channel_email_or_web'), selected: values.channel === 'email_or_web' },
      { value: 'link', label: t(locale, 'surveys.channel_link'), selected: values.channel === 'link' },
    ],
    publicLinkOptions: [
      { value: 'off', label: t(locale, 'surveys.public_link_off'), selected: values.public_link !== 'on' },
      { value: 'on', label: t(locale, 'surveys.public_link_on'), selected: values.public_link === 'on' },
    ],
    countAnonymousOptions: [
      { value: 'on', label: t(locale, 'surveys.count_anonymous_on'), selected: values.count_anonymous !== 'off' },
      { value: 'off', label: t(locale, 'surveys.count_anonymous_off'), selected: values.count_anonymous === 'off' },
    ],
    localeOptions: options(locales, values.default_locale, languageName),
    quietOptions: quietOptions(locale, values.quiet_hours_mode),
    periodOptions: periodOptions(locale, values.precision_period),
    precision: survey ? await precisionPanel(deps, locale, survey) : null,
    wordings: locales.map((wordingLocale) => ({
      locale: wordingLocale,
      name: languageName(wordingLocale),
      fields: wordingFields.map((f) => ({
        name: `${f}_${wordingLocale}`,
        ...wordingLabel(locale, f),
        value: values[`${f}_${wordingLocale}`],
        error: errors[`${f}_${wordingLocale}`],
      })),
    })),
  };
}

/** The precision target's periods (the survey form's and the simulation's). */
export const periodOptions = (locale: Locale, selected: string | undefined) =>
  options(precisionPeriods, selected || 'month', (period) => t(locale, 'precision.period_name', { period }));

/** The quiet-hours choices (the survey form's and the simulation's). */
export function quietOptions(locale: Locale, mode: string | undefined) {
  return [
    { value: 'global', label: t(locale, 'surveys.quiet_global'), selected: mode === 'global' },
    { value: 'own', label: t(locale, 'surveys.quiet_own'), selected: mode === 'own' },
    { value: 'off', label: t(locale, 'surveys.quiet_off'), selected: mode === 'off' },
  ];
}
