import path from 'node:path';
import type { Config } from '../config.ts';
import type { Settings } from '../settings/service.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { pickLocale, type Locale } from '../i18n/index.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { formatInstant, formatLocalDate, formatNumber } from '../dates.ts';
import { formatChange, formatPercent, formatScore } from '../dashboards/format.ts';
import type { DigestFigures, DigestTouchpoint } from './figures.ts';
import type { Recipient } from './queries.ts';
import { fromAddress } from '../mail/sender.ts';

const templates = path.join(viewsDir, 'emails');

const wording: Record<Locale, Record<string, string>> = {
  en: {
    subject: 'Touchpoint weekly digest, {from} to {to}',
    greeting: 'Hello {name},',
    greetingAnonymous: 'Hello,',
    intro: 'Here is how customers rated the last 7 days ({from} to {to}, {tz}), compared with the 7 days before.',
    score: 'Score',
    change: 'Change',
    noChange: 'not comparable (no responses in one of the weeks)',
    responses: 'Responses',
    rate: 'Response rate',
    rateDetail: '{answered} of {sent} invitations sent',
    tooSmall: 'Too few responses to read much into.',
    comments: 'Recent comments',
    noComments: 'No comments this week.',
    dashboard: 'Open the dashboard',
    none: 'No touchpoints with a survey yet.',
    footer: 'You get this digest because you asked for it. Stop it at {url}',
    unitNps: ' points',
    unitCsat: ' pp',
  },
  de: {
    subject: 'Touchpoint Wochenübersicht, {from} bis {to}',
    greeting: 'Hallo {name},',
    greetingAnonymous: 'Hallo,',
    intro: 'So haben Kunden die letzten 7 Tage bewertet ({from} bis {to}, {tz}), verglichen mit den 7 Tagen davor.',
    score: 'Wert',
    change: 'Veränderung',
    noChange: 'nicht vergleichbar (keine Antworten in einer der Wochen)',
    responses: 'Antworten',
    rate: 'Antwortquote',
    rateDetail: '{answered} von {sent} versandten Einladungen',
    tooSmall: 'Zu wenige Antworten für eine belastbare Aussage.',
    comments: 'Neueste Kommentare',
    noComments: 'Keine Kommentare in dieser Woche.',
    dashboard: 'Dashboard öffnen',
    none: 'Noch keine Touchpoints mit Umfrage.',
    footer: 'Sie erhalten diese Übersicht, weil Sie sie bestellt haben. Abbestellen unter {url}',
    unitNps: ' Punkte',
    unitCsat: ' Prozentpunkte',
  },
};

const fill = (template: string, vars: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));

/** A touchpoint's figures as the reader's locale writes them: scores, change with its unit, rate, comment times. */
function touchpointText(tp: DigestTouchpoint, locale: Locale, words: Record<string, string>, timeZone: string) {
  const unit = tp.metric === 'nps' ? words.unitNps : tp.metric === 'csat' ? words.unitCsat : '';
  const count = (n: number) => formatNumber(n, locale);
  return {
    ...tp,
    scoreText: formatScore(tp.metric, tp.score, locale),
    previousScoreText: formatScore(tp.metric, tp.previousScore, locale),
    changeText: tp.change === null ? words.noChange : `${formatChange(tp.metric, tp.change, locale)}${unit}`,
    responses: count(tp.responses),
    rateText: tp.sent > 0 ? formatPercent(tp.answered / tp.sent, locale) : '–',
    rateDetail: fill(words.rateDetail, { answered: count(tp.answered), sent: count(tp.sent) }),
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
  const words = wording[locale];
  const range = { from: formatLocalDate(figures.from, locale), to: formatLocalDate(figures.to, locale), tz: figures.timeZone };
  const digestUrl = `${config.baseUrl}/digest`;
  const name = recipient.name.trim();
  const context = {
    locale,
    words,
    subject: fill(words.subject, range),
    greeting: name ? fill(words.greeting, { name }) : words.greetingAnonymous,
    intro: fill(words.intro, range),
    touchpoints: figures.touchpoints.map((tp) => touchpointText(tp, locale, words, figures.timeZone)),
    footer: fill(words.footer, { url: digestUrl }),
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
