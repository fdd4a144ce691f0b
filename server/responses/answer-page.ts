import type { FieldError } from '../errors.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { scales, wordingFor, type Survey, type Wording } from '../surveys/model.ts';
import type { Settings } from '../settings/service.ts';
import { inputs, triggers, type Evidence, type Input, type Trigger } from './scanner.ts';

/** What the customer's survey pages (email link and web link) share: the page's state, and reading an answer. */

export const COMMENT_MAX_LENGTH = 2000;

/** What the customer's page shows: the survey in one locale, and the answer so far. */
export interface SurveyPage {
  locale: Locale;
  survey: Survey;
  wording: Wording;
  /** The score to show selected, or none. */
  selected: number | null;
  comment: string;
  /** The page was opened from a score link: its script saves the score once the page has been looked at. */
  autosave: boolean;
  /** The open this page was rendered for; the page sends it back with the answer. */
  openId: number | null;
  /** The stored answer (settled, else held), when there is one. */
  answer: { score: number; comment: string | null; editableUntil: Date | null } | null;
  /** Where the customer's time is shown. */
  timeZone: string;
  /** Shown above the form: the answer was not taken and needs a Send. */
  notice?: 'confirm';
}

export const asLocale = (locale: string): Locale => pickLocale(locale);

/** The survey page as someone who has just opened it sees it: nothing chosen, nothing typed. */
export function blankSurveyPage(survey: Survey, wantedLocale: string, timeZone: string): SurveyPage {
  const { locale, wording } = wordingFor(survey, wantedLocale);
  return { locale: asLocale(locale), survey, wording, selected: null, comment: '', autosave: false, openId: null, answer: null, timeZone };
}

/** Until when an answer may be changed: the edit window runs from the first answer. */
export const editableUntil = (response: { answered_at: string }, settings: Pick<Settings, 'edit_window_hours'>): Date =>
  new Date(new Date(response.answered_at).getTime() + settings.edit_window_hours * 3_600_000);

/** A score from a link or a form: an integer on the survey's scale, else null. */
export function scoreOnScale(survey: Pick<Survey, 'metric'>, value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,2}$/.test(value.trim())) return null;
  const score = Number(value.trim());
  const { min, max } = scales[survey.metric];
  return score >= min && score <= max ? score : null;
}

/** Any Unicode a person types is kept, normalised; control characters (NUL breaks PostgreSQL) are not. */
function cleanComment(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.normalize('NFC').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\r\n?/g, '\n').trim();
}

export interface ParsedAnswer {
  score: number | null;
  /** undefined: not sent (the background save), keep the stored comment. */
  comment: string | undefined;
  evidence: Evidence;
  openId: number | null;
  errors: FieldError[];
}

const oneOf = <T extends string>(list: readonly T[], value: unknown): T | null => (list as readonly unknown[]).includes(value) ? (value as T) : null;

/** The answer a page posted: score, comment, and what the page saw (its trigger and first input). */
export function parseAnswer(survey: Survey, locale: Locale, body: Record<string, unknown>): ParsedAnswer {
  const errors: FieldError[] = [];
  const { min, max } = scales[survey.metric];
  const score = scoreOnScale(survey, body.score);
  if (score === null) errors.push({ field: 'score', message: t(locale, 'survey.error.score', { min, max }) });
  let comment: string | undefined;
  if (typeof body.comment === 'string') {
    comment = cleanComment(body.comment);
    if ([...comment].length > COMMENT_MAX_LENGTH) {
      errors.push({ field: 'comment', message: t(locale, 'survey.error.comment_long', { max: COMMENT_MAX_LENGTH }) });
    }
  } else if (body.comment !== undefined) {
    errors.push({ field: 'comment', message: t(locale, 'survey.error.comment_text') });
  }
  // A post that names no trigger was not sent by our page's form: it proves nothing.
  const trigger: Trigger = oneOf(triggers, body.trigger) ?? 'script';
  const input: Input | null = oneOf(inputs, body.input);
  const openId = typeof body.view === 'string' && /^\d{1,12}$/.test(body.view) ? Number(body.view) : null;
  return { score, comment, evidence: { trigger, input }, openId, errors };
}

/** The form as it was sent, to show again beside its errors. */
export const formValues = (parsed: ParsedAnswer, body: Record<string, unknown>) => ({
  selected: parsed.score,
  // The typed comment comes back as typed, even when too long.
  comment: typeof body.comment === 'string' ? body.comment : '',
  openId: parsed.openId,
});

/** An event's stored properties (JSON text), copied onto its answer; {} for anything else. */
export function parseProperties(text: string | null): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
