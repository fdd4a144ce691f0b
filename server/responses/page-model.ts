import type { FieldError } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';
import { formatInstant } from '../dates.ts';
import { scales } from '../surveys/model.ts';
import { COMMENT_MAX_LENGTH, type SurveyPage } from './answer-page.ts';

/** What the customer's survey pages (views/pages/respond/*) are rendered with. */

const surveyScript = '/public/js/survey.js';

/** The survey form: the question, the scale as radio buttons, the comment box. */
export function formModel(page: SurveyPage, opts: { action: string; lang?: string; errors?: FieldError[] }) {
  const { min, max } = scales[page.survey.metric];
  const { wording, locale } = page;
  const errorFor = (field: string) => opts.errors?.find((e) => e.field === field)?.message;
  const options = [];
  for (let value = min; value <= max; value++) {
    options.push({
      value,
      id: `score-${value}`,
      checked: page.selected === value,
      // Screen readers hear what the ends of the scale mean.
      edge: value === min ? wording.low_label : value === max ? wording.high_label : undefined,
    });
  }
  const editableUntil = page.answer?.editableUntil;
  return {
    layout: 'public',
    locale,
    title: t(locale, 'survey.title'),
    scripts: [surveyScript],
    action: opts.action,
    lang: opts.lang,
    question: wording.question,
    lowLabel: wording.low_label,
    highLabel: wording.high_label,
    scaleHint: t(locale, 'survey.scale_hint', { min, max }),
    scaleClass: `scale-${page.survey.metric}`,
    options,
    commentPrompt: wording.comment_prompt || t(locale, 'survey.comment_default'),
    commentHint: t(locale, 'survey.comment_optional', { max: COMMENT_MAX_LENGTH }),
    commentMax: COMMENT_MAX_LENGTH,
    comment: page.comment,
    autosave: page.autosave,
    openId: page.openId,
    savedMessage: t(locale, 'survey.autosaved'),
    answeredEarlier: page.answer && page.answer.score !== page.selected ? t(locale, 'survey.answered_earlier', { score: page.answer.score }) : undefined,
    editUntil: editableUntil ? t(locale, 'survey.edit_until', { until: formatInstant(editableUntil, { timeZone: page.timeZone, locale, style: 'long' }) }) : undefined,
    errorSummary: opts.errors?.length ? t(locale, 'survey.error.summary') : undefined,
    notice: page.notice === 'confirm' ? t(locale, 'survey.confirm') : undefined,
    scoreError: errorFor('score'),
    commentError: errorFor('comment'),
  };
}

/** The thank-you page: the answer, and while the edit window is open, the comment box again. */
export function thanksModel(page: SurveyPage, opts: { action?: string; changeHref?: string }) {
  const { max } = scales[page.survey.metric];
  const { locale, answer } = page;
  const editableUntil = answer?.editableUntil ?? null;
  const canEdit = Boolean(opts.action && editableUntil);
  return {
    layout: 'public',
    locale,
    title: t(locale, 'survey.title'),
    scripts: canEdit ? [surveyScript] : [],
    thankYou: page.wording.thank_you || t(locale, 'survey.thanks_default'),
    closedNote: opts.action && !editableUntil ? t(locale, 'survey.closed') : undefined,
    yourScore: answer ? t(locale, 'survey.your_score', { score: answer.score, max }) : undefined,
    comment: answer?.comment ?? '',
    canEdit,
    action: opts.action,
    score: answer?.score,
    commentPrompt: page.wording.comment_prompt || t(locale, 'survey.comment_default'),
    commentHint: t(locale, 'survey.comment_optional', { max: COMMENT_MAX_LENGTH }),
    commentMax: COMMENT_MAX_LENGTH,
    editUntil: canEdit && editableUntil ? t(locale, 'survey.edit_until', { until: formatInstant(editableUntil, { timeZone: page.timeZone, locale, style: 'long' }) }) : undefined,
    changeHref: canEdit ? opts.changeHref : undefined,
  };
}

/** A page with a heading and a sentence: not found, expired, gone (erased), the trap, too many answers. */
export function messageModel(locale: Locale, name: 'not_found' | 'expired' | 'gone' | 'trap' | 'too_many') {
  return {
    layout: 'public',
    locale,
    title: t(locale, `survey.${name}.title`),
    heading: t(locale, `survey.${name}.title`),
    body: t(locale, `survey.${name}.body`),
  };
}
