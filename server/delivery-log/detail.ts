import { detailIn } from '../eligibility/detail-words.ts';
import { pageInstants } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { answersOfInvitation } from '../responses/answer-queries.ts';
import { NotFoundError } from '../errors.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { type Survey } from '../surveys/model.ts';
import { findSurveyById } from '../surveys/queries.ts';
import { findCustomerById } from '../customers/queries.ts';
import { renderInvitation } from '../sending/render.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { findDelivery, findEvent, findResponse, findTouchpointUnsubscribe, listClicks, type DeliveryRow } from './queries.ts';
import { INERT_TOKEN } from '../tokens.ts';
import { reminderStatus, time } from './reminder-status.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** One invitation in the delivery log: its event, email (links inert), clicks, answers and reminder. */

export const parseId = (idParam: string): number => {
  if (!/^\d{1,12}$/.test(idParam)) throw new NotFoundError('There is no such invitation');
  return Number(idParam);
};

/**
 * The email of an invitation (or its reminder) rendered again from the stored
 * invitation by the sending code (same wording, sender and Message-ID), as
 * staff may see it: every link carries INERT_TOKEN instead of the customer's
 * token, so nothing on a staff page answers or unsubscribes for them.
 */
async function rerenderEmail(
  deps: Pick<Deps, 'config'>,
  invitation: Pick<DeliveryRow, 'id' | 'locale'>,
  customer: { email: string | null; name: string | null },
  survey: Survey,
  settings: Settings,
  reminder: boolean,
): Promise<OutgoingMail | null> {
  if (!customer.email) return null;
  return renderInvitation({
    invitationId: invitation.id,
    token: INERT_TOKEN,
    locale: invitation.locale,
    customer: { email: customer.email, name: customer.name },
    survey,
    settings,
    config: deps.config,
    reminder,
  });
}

/** The email part alone, for the sandboxed frame; 404 when there is none to show. */
export async function deliveryEmail(deps: Deps, id: number, reminder: boolean): Promise<OutgoingMail> {
  const row = await findDelivery(deps.db, id);
  if (!row) throw new NotFoundError('There is no such invitation');
  const [survey, customer, settings] = await Promise.all([findSurveyById(deps.db, row.survey_id), findCustomerById(deps.db, row.customer_id), getSettings(deps.db)]);
  const mail = survey && customer ? await rerenderEmail(deps, row, customer, survey, settings, reminder) : null;
  if (!mail) throw new NotFoundError('This invitation has no email to show');
  return mail;
}

const propertyList = (json: string | null | undefined, locale: Locale): { name: string; value: string }[] => {
  try {
    const parsed = JSON.parse(json || '{}') as Record<string, unknown>;
    return Object.entries(parsed).map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) }));
  } catch {
    return [{ name: t(locale, 'deliveries.unreadable'), value: String(json) }];
  }
};

/** Everything about one invitation, for /deliveries/:id. */
export async function deliveryDetail(deps: Deps, id: number, locals: Record<string, unknown> = {}) {
  const { db } = deps;
  const row = await findDelivery(db, id);
  if (!row) throw new NotFoundError('There is no such invitation');
  const [survey, customer, event, clicks, answers, response, settings, touchpointUnsubscribe] = await Promise.all([
    findSurveyById(db, row.survey_id),
    findCustomerById(db, row.customer_id),
    findEvent(db, row.event_id),
    listClicks(db, row.id),
    answersOfInvitation(db, row.id),
    findResponse(db, row.id),
    getSettings(db),
    findTouchpointUnsubscribe(db, row.customer_id, row.event_id),
  ]);
  const tz = settings.reporting_time_zone;
  const shown = pageInstants(tz, locals);
  const locale = localeOf(locals);
  const at = (iso: string | null | undefined) => time(iso, shown);

  let email = null;
  // A web invitation (the widget on the company's site) was never an email; one emailed after its web window is.
  if (survey && customer && row.channel !== 'web') {
    const mail = await rerenderEmail(deps, row, customer, survey, settings, false);
    const reminderMail = row.reminder_state === 'sent' ? await rerenderEmail(deps, row, customer, survey, settings, true) : null;
    if (mail) {
      const changedAfterSending = row.sent_at !== null && survey.updated_at > row.sent_at;
      email = {
        sent: row.sent_at !== null,
        changedAfterSending,
        surveyUpdated: at(survey.updated_at),
        mail,
        storedMessageId: row.message_id,
        reminder: reminderMail
          ? { mail: reminderMail, changedAfterSending: row.reminder_sent_at !== null && survey.updated_at > row.reminder_sent_at }
          : null,
      };
    }
  }

  // The salt (with the link key) makes the customer's token: it stays on the server.
  const { token_salt: _salt, ...shownRow } = row;
  return {
    invitation: {
      ...shownRow,
      // The rules' detail (recorded in English) in the page's language.
      reason_detail: detailIn(locale, row.reason_detail),
      times: {
        send_at: at(row.send_at),
        sent_at: at(row.sent_at),
        expires_at: at(row.expires_at),
        responded_at: at(row.responded_at),
        next_attempt_at: at(row.next_attempt_at),
        claimed_at: at(row.claimed_at),
        created_at: at(row.created_at),
        updated_at: at(row.updated_at),
      },
    },
    reminder: reminderStatus(row, survey, shown, locale),
    reminderRow: { ...shownRow, sent: at(row.reminder_sent_at), next: at(row.reminder_next_attempt_at) },
    survey,
    customer: customer
      ? {
          ...customer,
          unsubscribed: at(customer.unsubscribed_at),
          touchpointUnsubscribed: at(touchpointUnsubscribe?.created_at),
          bounced: at(customer.bounced_at),
          erased: at(customer.erased_at),
        }
      : null,
    event: event
      ? {
          ...event,
          reason_detail: detailIn(locale, event.reason_detail),
          occurred: at(event.occurred_at),
          received: at(event.received_at),
          planned: at(event.send_at),
          propertyList: propertyList(event.properties, locale),
        }
      : null,
    clicks: clicks.map((c) => ({ ...c, when: at(c.at), automated: c.kind !== 'open' || c.signal !== null })),
    answers: answers.map((a) => ({
      id: a.id,
      score: a.score,
      comment: a.comment,
      state: a.state,
      // The reasons' words as the catalogue has them, in the page's language.
      why: t(locale, 'deliveries.answer_why', { reason: a.reason }),
      how: a.input ? t(locale, 'deliveries.answer_how_input', { trigger: a.trigger, input: a.input }) : t(locale, 'deliveries.answer_how_none', { trigger: a.trigger }),
      when: at(a.answered_at),
      settles: a.state === 'held' ? at(a.settles_at) : null,
      secondsSinceSent: a.seconds_since_sent,
    })),
    response: response ? { ...response, answered: at(response.answered_at), updated: at(response.updated_at) } : null,
    email,
    timeZone: tz,
  };
}
