import type { Knex } from 'knex';
import type { FieldError } from '../errors.ts';
import type { Settings } from '../settings/service.ts';
import { wordingFor, type Survey } from '../surveys/model.ts';
import { asLocale, parseAnswer, parseProperties } from './answer-page.ts';
import { discardOtherHeld, insertAnswer } from './answer-queries.ts';
import { applyAnswer, type AnswerTarget } from './settle.ts';
import { lockInvitation } from '../invitations/queries.ts';
import type { WebInvitation } from '../invitations/web.ts';

/**
 * An answer given in the widget on the company's site (widget/): the signed customer pressed a score (and
 * perhaps then sent a comment) in the card the page showed them, so it is a person's answer and settles
 * at once through the same path as an email answer (settle.ts applyAnswer): a new response, or its change
 * while the edit window is open. Every answer is written to the ledger of answers.
 */
export type WidgetAnswer = { state: 'settled' } | { state: 'closed' } | { state: 'invalid'; errors: FieldError[] };

export async function storeWidgetAnswer(
  trx: Knex.Transaction,
  invitation: WebInvitation,
  survey: Survey,
  settings: Settings,
  body: { score: unknown; comment?: unknown; input?: unknown },
  at: { now: Date; userAgent: string | null },
): Promise<WidgetAnswer> {
  const { locale } = wordingFor(survey, invitation.locale);
  const parsed = parseAnswer(survey, asLocale(locale), { score: String(body.score), comment: body.comment, trigger: 'click', input: body.input ?? 'pointer' });
  if (parsed.errors.length) return { state: 'invalid', errors: parsed.errors };
  const { now } = at;
  await lockInvitation(trx, invitation.id, now);
  // What the answer is about: the response's target and the ledger row's same columns.
  const of = {
    survey_id: invitation.survey_id,
    invitation_id: invitation.id,
    customer_id: invitation.customer_id,
    channel: 'web' as const,
    source: 'invitation' as const,
    locale,
    link_key: null,
    properties: parseProperties(invitation.event_properties),
  };
  const target: AnswerTarget = of;
  const score = parsed.score!;
  const sent = invitation.sent_at ? { survey_id: invitation.survey_id, sent_at: invitation.sent_at, properties: invitation.event_properties ?? '{}' } : undefined;
  const applied = await applyAnswer(trx, target, { score, comment: parsed.comment, answeredAt: now }, settings, { sent });
  const ledger = {
    ...of,
    score,
    comment: parsed.comment ?? null,
    trigger: parsed.evidence.trigger,
    input: parsed.evidence.input,
    open_id: null,
    opened_at: null,
    seconds_since_sent: invitation.sent_at ? Math.max(0, Math.round((now.getTime() - Date.parse(invitation.sent_at)) / 1000)) : null,
    user_agent: at.userAgent,
    answered_at: now,
    settles_at: null,
  };
  if (!applied) {
    await insertAnswer(trx, { ...ledger, state: 'discarded', reason: 'closed' });
    return { state: 'closed' };
  }
  const id = await insertAnswer(trx, { ...ledger, state: 'settled', reason: 'person', response_id: applied.responseId });
  await discardOtherHeld(trx, { invitationId: invitation.id }, id, 'replaced', now);
  return { state: 'settled' };
}
