import type { Deps } from '../deps.ts';
import { locales } from '../i18n/index.ts';
import { metrics, surveyStatuses, type Metric, type Survey } from '../surveys/model.ts';
import { listTouchpoints } from '../surveys/queries.ts';
import { wordingFields, type SurveyForm } from './form.ts';

/** The survey form page (new, edit, and back from a preview): its view model. */

const metricNames: Record<Metric, string> = { nps: 'NPS (0–10)', csat: 'CSAT (1–5)', ces: 'CES (1–7)' };
const localeNames: Record<string, string> = { en: 'English', de: 'Deutsch' };
const wordingLabels: Record<(typeof wordingFields)[number], { label: string; hint?: string }> = {
  question: { label: 'Question', hint: 'Leave it blank to offer no survey in this language.' },
  low_label: { label: 'Label at the low end of the scale' },
  high_label: { label: 'Label at the high end of the scale' },
  comment_prompt: { label: 'Comment prompt', hint: 'Asked after the score.' },
  thank_you: { label: 'Thank-you message' },
};
const options = (values: readonly string[], selected: string, label: (v: string) => string = (v) => v) =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

/** The survey form's view model: values as typed, errors beside their fields. */
export async function formPage(deps: Deps, values: SurveyForm, extra: { survey?: Survey; errors?: Record<string, string>; formError?: string } = {}) {
  const errors = extra.errors ?? {};
  const survey = extra.survey;
  return {
    title: survey ? `Survey ${survey.key}` : 'New survey',
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
    statusOptions: options(surveyStatuses, values.status),
    channelOptions: [
      { value: 'email', label: 'Email: each event can send an invitation', selected: !['web', 'email_or_web', 'link'].includes(String(values.channel)) },
      { value: 'web', label: 'Website: shown by the widget on your site (Settings)', selected: values.channel === 'web' },
      { value: 'email_or_web', label: 'Website, else email: the widget if the customer visits within the web window, else an email', selected: values.channel === 'email_or_web' },
      { value: 'link', label: 'Web link only: events send no email', selected: values.channel === 'link' },
    ],
    publicLinkOptions: [
      { value: 'off', label: 'Off: only the people the survey emails can answer', selected: values.public_link !== 'on' },
      { value: 'on', label: 'On: anyone with the web link can answer', selected: values.public_link === 'on' },
    ],
    countAnonymousOptions: [
      { value: 'on', label: 'Count them in the scores (shown as their own source too)', selected: values.count_anonymous !== 'off' },
      { value: 'off', label: 'Leave them out of the scores unless a filter asks for them', selected: values.count_anonymous === 'off' },
    ],
    localeOptions: options(locales, values.default_locale, (l) => localeNames[l] ?? l),
    quietOptions: [
      { value: 'global', label: 'Follow the global quiet hours', selected: values.quiet_hours_mode === 'global' },
      { value: 'own', label: 'Use the times below', selected: values.quiet_hours_mode === 'own' },
      { value: 'off', label: 'None: send at any hour', selected: values.quiet_hours_mode === 'off' },
    ],
    wordings: locales.map((locale) => ({
      locale,
      name: localeNames[locale] ?? locale,
      fields: wordingFields.map((f) => ({
        name: `${f}_${locale}`,
        label: wordingLabels[f].label,
        hint: wordingLabels[f].hint,
        value: values[`${f}_${locale}`],
        error: errors[`${f}_${locale}`],
      })),
    })),
  };
}
