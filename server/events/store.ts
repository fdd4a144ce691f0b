import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import type { Settings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { upsertCustomer, type CustomerRow } from '../customers/queries.ts';
import { eventDecisionReads } from '../eligibility/history.ts';
import { decide } from '../eligibility/rules.ts';
import { newInvitationToken } from '../tokens.ts';
import type { EventInput } from './input.ts';
import { findEventById, insertEvent, type EventRow } from './queries.ts';
import { insertScheduledInvitation } from '../invitations/queries.ts';
import { countingStates } from '../invitations/states.ts';

/** The answer to an event, the same the first time and on every repeat. */
export interface EventAnswer {
  id: number;
  status: 'scheduled' | 'suppressed';
  reason?: string;
  detail?: string;
  send_at?: string;
  invitation_id?: number;
}

export interface EventOutcome {
  answer: EventAnswer;
  /** True when the event had been received before: nothing was created. */
  repeated: boolean;
}


export const answerFor = (event: EventRow): EventAnswer => ({
  id: event.id,
  status: event.decision,
  ...(event.reason ? { reason: event.reason } : {}),
  ...(event.reason_detail ? { detail: event.reason_detail } : {}),
  ...(event.send_at ? { send_at: event.send_at } : {}),
  ...(event.invitation_id ? { invitation_id: event.invitation_id } : {}),
});

/** The language the invitation is written in: the customer's when the survey has it. */
function invitationLocale(survey: Survey, customerLocale: string | null): string {
  const base = (customerLocale ?? '').toLowerCase().split(/[-_]/)[0];
  return base && survey.content[base] ? base : survey.default_locale;
}

/** A locale fits the column (8 characters); longer tags keep their language. */
const storableLocale = (locale: string | undefined) => (locale && locale.length > 8 ? locale.split(/[-_]/)[0] : locale);

/** A checked event: its fields, its touchpoint and when it occurred. */
export interface CheckedEvent {
  input: EventInput;
  touchpoint: { id: number };
  at: Date;
}

/** What the events stored together share: the clock, the settings read once, where they came from. */
export interface StoreScope {
  now: Date;
  settings: Settings;
  source: 'api' | 'import';
  /** Record the decision but survey nobody (an import without --send). */
  recordOnly?: boolean;
  /** The touchpoint's active survey, when the caller keeps them for a batch (else read here). */
  activeSurvey?: (trx: Knex.Transaction, touchpointId: number) => Promise<Survey | undefined>;
}

/**
 * Inside the caller's write transaction: the customer upserted (and locked: decisions for one customer are
 * serialised), a repeat of (touchpoint, transaction id) answered as such, else the decision taken and the
 * event stored with it (and its invitation when scheduled).
 */
export async function storeEvent(trx: Knex.Transaction, deps: Pick<Deps, 'config'>, event: CheckedEvent, scope: StoreScope): Promise<EventOutcome> {
  const { input, touchpoint, at } = event;
  const { now, settings, source } = scope;
  const nowIso = toDbTime(now);
  const options = { recordOnly: scope.recordOnly };
  const email = input.customer.email;
  const externalId = input.customer.id ?? email!.toLowerCase();
  const customer: CustomerRow = await upsertCustomer(
    trx,
    {
      external_id: externalId,
      email,
      name: input.customer.name,
      locale: storableLocale(input.customer.locale),
      time_zone: input.customer.time_zone,
    },
    nowIso,
  );
  // Decisions for this customer are serialised from here on: look again for a repeat, in the statement that
  // reads what the decision needs of the customer.
  const reads = await eventDecisionReads(trx, { customerId: customer.id, touchpointId: touchpoint.id, transactionId: input.transaction_id }, countingStates);
  if (reads.repeatEventId !== null) return { answer: answerFor((await findEventById(trx, reads.repeatEventId))!), repeated: true };
  const survey = await (scope.activeSurvey ?? findActiveSurveyForTouchpoint)(trx, touchpoint.id);
  const decision = decide({
    now,
    occurredAt: at,
    transactionId: input.transaction_id,
    survey: survey ?? null,
    global: settings.contact_rules,
    reportingTimeZone: settings.reporting_time_zone,
    customer: { ...customer, unsubscribed_from_touchpoint_at: reads.unsubscribedFromTouchpointAt },
    history: survey ? reads.history : { invitations: [], responses: [] },
    recordOnly: options.recordOnly,
  });
  const notes = decision.notes.join('; ');
  const stored = {
    touchpoint_id: touchpoint.id,
    transaction_id: input.transaction_id,
    customer_id: customer.id,
    occurred_at: toDbTime(at),
    received_at: nowIso,
    // An erased customer's events keep no data about them.
    properties: JSON.stringify(customer.erased_at ? {} : (input.properties ?? {})),
    source,
    survey_id: survey?.id ?? null,
    decision: decision.status,
    reason: decision.reason ?? null,
    reason_detail: decision.status === 'suppressed' ? decision.detail : notes || null,
    send_at: decision.sendAt ? toDbTime(decision.sendAt) : null,
  };
  const eventId = await insertEvent(trx, settings.reporting_time_zone, stored);
  let invitationId: number | null = null;
  if (decision.status === 'scheduled' && survey) {
    // Salt, key version and hash of the link token (the token itself is made again when sending).
    const { token: _token, ...tokenColumns } = newInvitationToken(deps.config);
    invitationId = await insertScheduledInvitation(trx, {
      survey_id: survey.id,
      event_id: eventId,
      customer_id: customer.id,
      channel: survey.channel,
      locale: invitationLocale(survey, customer.locale),
      send_at: toDbTime(decision.sendAt),
      ...tokenColumns,
      expires_at: toDbTime(new Date(decision.sendAt.getTime() + settings.token_expiry_days * DAY)),
      created_at: nowIso,
    });
  }
  // The answer from the row as written (not read back): a repeat, which reads the row, gets exactly the same one.
  return { answer: answerFor({ ...stored, id: eventId, invitation_id: invitationId }), repeated: false };
}
