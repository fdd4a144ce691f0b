import path from 'node:path';
import type { Config } from '../config.ts';
import type { Settings } from '../settings/service.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { formatInstant, formatLocalDate, formatNumber } from '../dates.ts';
import { formatChange, formatPercent, formatScore } from '../dashboards/format.ts';
import type { DigestFigures, DigestTouchpoint } from './figures.ts';
import type { Recipient } from './queries.ts';
import type { Metric } from '../surveys/model.ts';
import { fromAddress } from '../mail/sender.ts';

const templates = path.join(viewsDir, 'emails');

/** A change with its unit: points of NPS, percentage points of CSAT; CES has none. */
function changeText(metric: Metric, change: string, locale: Locale): string {
  if (metric === 'nps') return t(locale, 'digest.change_nps', { change });
  if (metric === 'csat') return t(locale, 'digest.change_csat', { change });
  return change;
}

/** A touchpoint's figures as the reader's locale writes them: scores, change with its unit, rate, comment times. */
function touchpointText(tp: DigestTouchpoint, locale: Locale, timeZone: string) {
  const count = (n: number) => formatNumber(n, locale);
  return {
    ...tp,
    scoreText: formatScore(tp.metric, tp.score, locale),
    previousScoreText: formatScore(tp.metric, tp.previousScore, locale),
    changeText: tp.change === null ? t(locale, 'digest.no_change') : changeText(tp.metric, formatChange(tp.metric, tp.change, locale), locale),
    responses: count(tp.responses),
    rateText: tp.sent > 0 ? formatPercent(tp.answered / tp.sent, locale) : '–',
    rateDetail: t(locale, 'digest.rate_detail', { answered: count(tp.answered), sent: count(tp.sent) }),
    comments: tp.comments.map((c) => ({ ...c, when: formatInstant(c.at, { timeZone, locale }) })),
  };
}

const digestMessageIdFor = (userId: number, weekStart: string, baseUrl: string) =>
  `<digest-${userId}-${weekStart}@${new URL(baseUrl).hostname}>`;

/** One person's weekly digest, in their language (en, de). */
export async function renderDigest(
  recipient: Pick<Recipient, 'user_id' | 'email' | 'name' | 'locale'>,
  weekStart: string,
  figures: DigestFigures,
  settings: Pick<Settings, 'sender_name' | 'sender_address'>,
  config: Pick<Config, 'baseUrl' | 'mailFrom'>,
): Promise<OutgoingMail> {
  const locale = pickLocale(recipient.locale);
  const range = { from: formatLocalDate(figures.from, locale), to: formatLocalDate(figures.to, locale), tz: figures.timeZone };
  const digestUrl = `${config.baseUrl}/digest`;
  const name = recipient.name.trim();
  const context = {
    locale,
    subject: t(locale, 'digest.subject', range),
    greeting: name ? t(locale, 'digest.greeting', { name }) : t(locale, 'digest.greeting_anonymous'),
    intro: t(locale, 'digest.intro', range),
    touchpoints: figures.touchpoints.map((tp) => touchpointText(tp, locale, figures.timeZone)),
    footer: t(locale, 'digest.footer', { url: digestUrl }),
    digestUrl,
  };
  const [html, text] = await Promise.all([
    handlebars.render(path.join(templates, 'digest.html.hbs'), context, { cache: true }),
    handlebars.render(path.join(templates, 'digest.text.hbs'), context, { cache: true }),
  ]);
  return {
    messageId: digestMessageIdFor(recipient.user_id, weekStart, config.baseUrl),
    from: fromAddress(settings, config),
    to: recipient.email,
    subject: context.subject,
    html,
    text,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
  };
}
