import path from 'node:path';
import type { Config } from '../config.ts';
import { fromAddress, senderName } from '../mail/sender.ts';
import type { Settings } from '../settings/service.ts';
import { scales, wordingFor, type Survey } from '../surveys/model.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { verifiedInvitationToken } from '../tokens.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { readableOn, textOn } from '../settings/contrast.ts';

export interface InvitationEmailInput {
  invitationId: number;
  /** The link token in clear (derived from the secret and the invitation's salt). */
  token: string;
  locale: string | null | undefined;
  customer: { email: string; name: string | null };
  survey: Pick<Survey, 'metric' | 'content' | 'default_locale' | 'touchpoint_name'>;
  settings: Pick<Settings, 'brand_color' | 'logo_url' | 'sender_name' | 'sender_address' | 'reply_to'>;
  config: Pick<Config, 'baseUrl' | 'mailFrom'>;
  /** The reminder of an unanswered invitation: the same links, its own subject, wording and Message-ID. */
  reminder?: boolean;
}

/** Stable per invitation, so a resend after a crash is recognisable as the same message. */
export const messageIdFor = (invitationId: number, baseUrl: string): string =>
  `<invitation-${invitationId}@${new URL(baseUrl).hostname}>`;

/** The reminder's own Message-ID, as stable as the invitation's. */
const reminderMessageIdFor = (invitationId: number, baseUrl: string): string =>
  `<invitation-${invitationId}-reminder@${new URL(baseUrl).hostname}>`;

const scoreUrl = (baseUrl: string, token: string, score: number) => `${baseUrl}/r/${token}?score=${score}`;
const trapUrl = (baseUrl: string, token: string) => `${baseUrl}/r/${token}/t`;
const unsubscribeUrl = (baseUrl: string, token: string) => `${baseUrl}/u/${token}`;

const escapeAttr = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');

const templates = path.join(viewsDir, 'emails');

/**
 * What stands for the personal parts while the email is rendered once per survey, settings, locale and
 * kind (letters and digits only: HTML escaping and URLs leave them as they are).
 */
const TOKEN_MARK = 'tpTokenMark7Qz3xV';
const NAME_MARK = 'tpNameMark7Qz3xV';

interface Shared {
  subject: string;
  html: string;
  text: string;
}

/** Rendered emails by survey and settings (the process's shared, frozen objects: a change brings new ones), then by the rest. */
const rendered = new WeakMap<object, WeakMap<object, Map<string, Promise<Shared>>>>();
/** Kinds of one survey and settings kept at most (locales × reminder or not × named or not, a few base URLs). */
const KEPT_PER_SURVEY = 64;

function sharedFor(input: InvitationEmailInput): Promise<Shared> {
  const named = Boolean(input.customer.name?.trim());
  const key = `${input.config.baseUrl}\n${input.config.mailFrom}\n${input.locale ?? ''}\n${input.reminder ? 1 : 0}\n${named ? 1 : 0}`;
  let bySettings = rendered.get(input.survey);
  if (!bySettings) rendered.set(input.survey, (bySettings = new WeakMap()));
  let byKey = bySettings.get(input.settings);
  if (!byKey) bySettings.set(input.settings, (byKey = new Map()));
  let shared = byKey.get(key);
  if (!shared) {
    shared = renderShared({ ...input, token: TOKEN_MARK, customer: { email: '', name: named ? NAME_MARK : null } });
    // A failed render is not kept.
    shared.catch(() => byKey.delete(key));
    if (byKey.size >= KEPT_PER_SURVEY) byKey.delete(byKey.keys().next().value!);
    byKey.set(key, shared);
  }
  return shared;
}

const fill = (text: string, mark: string, value: string) => text.split(mark).join(value);
/** Escaped as the template's {{greeting}} escapes it. */
const escapeHtml = (value: string) => (handlebars.handlebars.Utils as { escapeExpression(text: string): string }).escapeExpression(value);

/**
 * The invitation email (or its reminder): subject, HTML and text parts and headers, in the invitation's
 * locale. The parts are rendered once per survey, settings, locale and kind, and the customer's link
 * token and name written into them.
 */
export async function renderInvitation(input: InvitationEmailInput): Promise<OutgoingMail> {
  const { settings, config, token } = input;
  const shared = await sharedFor(input);
  const name = input.customer.name?.trim() ?? '';
  const unsubscribe = unsubscribeUrl(config.baseUrl, token);
  return {
    messageId: (input.reminder ? reminderMessageIdFor : messageIdFor)(input.invitationId, config.baseUrl),
    from: fromAddress(settings, config),
    to: input.customer.email,
    replyTo: settings.reply_to.trim() || undefined,
    subject: shared.subject,
    html: fill(fill(shared.html, TOKEN_MARK, token), NAME_MARK, escapeHtml(name)),
    text: fill(fill(shared.text, TOKEN_MARK, token), NAME_MARK, name),
    headers: {
      ...(input.reminder ? { References: messageIdFor(input.invitationId, config.baseUrl) } : {}),
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
    },
  };
}

/** The parts of the email every customer of the survey gets alike, rendered with the marks for token and name. */
async function renderShared(input: InvitationEmailInput): Promise<Shared> {
  const { survey, settings, config, token } = input;
  const { locale: wordingLocale, wording } = wordingFor(survey, input.locale);
  const locale: Locale = pickLocale(wordingLocale);
  const sender = senderName(settings, config);
  const scale = scales[survey.metric];
  const brand = /^#[0-9a-fA-F]{6}$/.test(settings.brand_color) ? settings.brand_color : '#2f5fd0';
  const scores = [];
  for (let score = scale.min; score <= scale.max; score++) {
    const url = scoreUrl(config.baseUrl, token, score);
    scores.push({ score, url, href: escapeAttr(url), label: t(locale, 'email.score_label', { score, max: scale.max }) });
  }
  const lowLabel = wording.low_label || t(locale, `email.low.${survey.metric}`);
  const highLabel = wording.high_label || t(locale, `email.high.${survey.metric}`);
  const unsubscribe = unsubscribeUrl(config.baseUrl, token);
  const name = input.customer.name?.trim();
  const subject = t(locale, 'email.subject', { sender });
  const context = {
    locale,
    subject: input.reminder ? t(locale, 'email.reminder_subject', { subject }) : subject,
    preheader: t(locale, input.reminder ? 'email.reminder_preheader' : 'email.preheader'),
    greeting: name ? t(locale, 'email.greeting', { name }) : t(locale, 'email.greeting_anonymous'),
    intro: t(locale, input.reminder ? 'email.reminder_intro' : 'email.intro'),
    question: wording.question,
    caption: t(locale, 'email.scale_caption', { min: scale.min, max: scale.max }),
    textChoose: t(locale, 'email.text_choose'),
    scores,
    firstScore: scores[0],
    lastScore: scores[scores.length - 1],
    cellWidth: Math.floor(100 / scores.length),
    lowLabel,
    highLabel,
    brand,
    brandText: textOn(brand),
    linkColor: readableOn(brand),
    logoUrl: settings.logo_url?.trim() ?? '',
    sender,
    trapHref: escapeAttr(trapUrl(config.baseUrl, token)),
    unsubscribeHref: escapeAttr(unsubscribe),
    footerReason: t(locale, 'email.footer_reason', { sender }),
    unsubscribeLabel: t(locale, 'email.unsubscribe'),
    unsubscribeText: t(locale, 'email.unsubscribe_text', { url: unsubscribe }),
  };
  const [html, text] = await Promise.all([
    handlebars.render(path.join(templates, 'invitation.html.hbs'), context, { cache: true }),
    handlebars.render(path.join(templates, 'invitation.text.hbs'), context, { cache: true }),
  ]);
  return { subject: context.subject, html, text };
}

/**
 * The email of a stored invitation (or its reminder): the link token is
 * derived again from the invitation's salt, so this is the very email that
 * was, or will be, sent.
 */
export function renderStoredInvitation(
  invitation: { id: number; token_salt: string; token_key_version: number; token_hash: string; locale: string | null },
  customer: { email: string; name: string | null },
  context: Pick<InvitationEmailInput, 'survey' | 'settings'> & { config: Pick<Config, 'baseUrl' | 'mailFrom' | 'sessionSecret' | 'linkSecret'> },
  reminder = false,
): Promise<OutgoingMail> {
  return renderInvitation({
    invitationId: invitation.id,
    // Made with the key the invitation was made with, and checked against its stored hash.
    token: verifiedInvitationToken(context.config, invitation),
    locale: invitation.locale,
    customer,
    survey: context.survey,
    settings: context.settings,
    config: context.config,
    reminder,
  });
}
