import type { Survey, Wording } from './model.ts';

const perLocale = (survey: Survey, field: keyof Wording): Record<string, string> =>
  Object.fromEntries(
    Object.entries(survey.content)
      .filter(([, wording]) => wording[field] !== undefined)
      .map(([locale, wording]) => [locale, wording[field] as string]),
  );

/** A survey as the API answers it (and as a survey file holds it, without the bookkeeping). */
export function presentSurvey(survey: Survey, baseUrl: string) {
  return {
    key: survey.key,
    touchpoint: survey.touchpoint_key,
    touchpoint_name: survey.touchpoint_name,
    metric: survey.metric,
    status: survey.status,
    default_locale: survey.default_locale,
    question: perLocale(survey, 'question'),
    low_label: perLocale(survey, 'low_label'),
    high_label: perLocale(survey, 'high_label'),
    comment_prompt: perLocale(survey, 'comment_prompt'),
    thank_you: perLocale(survey, 'thank_you'),
    channel: survey.channel,
    web_window_days: survey.web_window_days,
    public_link: survey.public_link,
    count_anonymous: survey.count_anonymous,
    max_event_age_days: survey.max_event_age_days,
    send_delay_minutes: survey.send_delay_minutes,
    sample_rate: survey.sample_rate,
    precision_target: survey.precision_target,
    quiet_hours: survey.rules.quiet_hours ?? null,
    rules: survey.rules,
    source: survey.source,
    ...(survey.source_file ? { source_file: survey.source_file } : {}),
    created_at: survey.created_at,
    updated_at: survey.updated_at,
    // The public web link, when it takes answers (link-only surveys, or public_link on).
    links: { web: survey.channel === 'link' || survey.public_link ? `${baseUrl}/s/${encodeURIComponent(survey.key)}` : null },
  };
}

/** The survey as a file in surveys/: the same input the API takes. */
export function surveyFileContent(survey: Survey) {
  const { rules, ...shown } = presentSurvey(survey, '');
  const { quiet_hours, ...otherRules } = rules;
  return {
    key: shown.key,
    touchpoint: shown.touchpoint,
    touchpoint_name: shown.touchpoint_name,
    metric: shown.metric,
    status: shown.status,
    default_locale: shown.default_locale,
    question: shown.question,
    low_label: shown.low_label,
    high_label: shown.high_label,
    comment_prompt: shown.comment_prompt,
    thank_you: shown.thank_you,
    channel: shown.channel,
    web_window_days: shown.web_window_days,
    public_link: shown.public_link,
    count_anonymous: shown.count_anonymous,
    max_event_age_days: shown.max_event_age_days,
    send_delay_minutes: shown.send_delay_minutes,
    sample_rate: shown.sample_rate,
    ...(shown.precision_target ? { precision_target: shown.precision_target } : {}),
    ...(quiet_hours !== undefined ? { quiet_hours } : {}),
    rules: otherRules,
  };
}
