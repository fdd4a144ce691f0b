import path from 'node:path';
import type { Config } from '../config.ts';
import type { Settings } from '../settings/service.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { pickLocale, t } from '../i18n/index.ts';
import { formatInstant } from '../dates.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import type { AlertCandidate } from './queries.ts';
import { fromAddress } from '../mail/sender.ts';

const templates = path.join(viewsDir, 'emails');

/** Stable per response, so a resend would be recognisable as the same alert. */
const alertMessageIdFor = (responseId: number, baseUrl: string) => `<followup-alert-${responseId}@${new URL(baseUrl).hostname}>`;

/** The alert to a survey's owner about one detractor comment, in the owner's language (en, de). */
export async function renderFollowUpAlert(
  alert: AlertCandidate,
  settings: Pick<Settings, 'sender_name' | 'sender_address' | 'reporting_time_zone'>,
  config: Pick<Config, 'baseUrl' | 'mailFrom'>,
): Promise<OutgoingMail> {
  const locale = pickLocale(alert.owner_locale);
  const comment = alert.comment.replace(/\s+/g, ' ').trim();
  const snippet = [...comment].length > 60 ? `${[...comment].slice(0, 57).join('')}…` : comment;
  const metric = alert.metric.toUpperCase();
  const customerPath = alert.customer_external_id ? `/customers/${encodeURIComponent(alert.customer_external_id)}` : null;
  const context = {
    locale,
    subject: t(locale, 'alert.subject', { touchpoint: alert.touchpoint_name, metric, score: alert.score, snippet }),
    survey: `${alert.touchpoint_name} · ${alert.survey_key}`,
    metric,
    score: alert.score,
    comment: alert.comment,
    customer: alert.customer_email ?? alert.customer_external_id ?? t(locale, 'alert.unknown'),
    answered: `${formatInstant(alert.answered_at, { timeZone: settings.reporting_time_zone, locale })} (${settings.reporting_time_zone})`,
    listUrl: `${config.baseUrl}/follow-ups?survey=${encodeURIComponent(alert.survey_key)}`,
    customerUrl: customerPath ? `${config.baseUrl}${customerPath}` : null,
  };
  const [html, text] = await Promise.all([
    handlebars.render(path.join(templates, 'followup-alert.html.hbs'), context, { cache: true }),
    handlebars.render(path.join(templates, 'followup-alert.text.hbs'), context, { cache: true }),
  ]);
  return {
    messageId: alertMessageIdFor(alert.response_id, config.baseUrl),
    from: fromAddress(settings, config),
    to: alert.owner_email,
    subject: context.subject,
    html,
    text,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
  };
}
