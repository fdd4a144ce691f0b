import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { AppError, UnavailableError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { isUniqueViolation, writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint, findTouchpointByKey } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { upsertCustomer, type CustomerRow } from '../customers/queries.ts';
import { customerHistory, touchpointUnsubscribedAt } from '../eligibility/history.ts';
import { decide } from '../eligibility/rules.ts';
import { newInvitationToken } from '../tokens.ts';
import { eventSchema, type EventInput } from './input.ts';
import { retryWhenBusy } from '../db/retry.ts';
import { findEventById, findEventByTransaction, insertEvent, type EventRow } from './queries.ts';
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

const answerFor = (event: EventRow): EventAnswer => ({
  id: event.id,
  status: event.decision,
  ...(event.reason ? { reason: event.reason } : {}),
  ...(event.reason_detail ? { detail: event.reason_detail } : {}),
  ...(event.send_at ? { send_at: event.send_at } : {}),
  ...(event.invitation_id ? { invitation_id: event.invitation_id } : {}),
});

const earliest = Date.parse('2000-01-01T00:00:00Z');
const latestAhead = 366 * DAY;

/** The language the invitation is written in: the customer's when the survey has it. */
function invitationLocale(survey: Survey, customerLocale: string | null): string {
  const base = (customerLocale ?? '').toLowerCase().split(/[-_]/)[0];
  return base && survey.content[base] ? base : survey.default_locale;
}

/** A locale fits the column (8 characters); longer tags keep their language. */
const storableLocale = (locale: string | undefined) => (locale && locale.length > 8 ? locale.split(/[-_]/)[0] : locale);

function occurredAt(input: EventInput, now: Date): Date {
  if (!input.occurred_at) return now;
  const at = new Date(input.occurred_at);
  if (at.getTime() < earliest) throw ValidationError.field('occurred_at', 'must be after 2000-01-01');
  if (at.getTime() > now.getTime() + latestAhead) throw ValidationError.field('occurred_at', 'must be at most a year ahead');
  return at;
}

/** The event's fields, its touchpoint, and its first arrival when it was received before. */
async function readEvent(deps: Deps, body: unknown) {
  const input = parseInput(eventSchema, body);
  const touchpoint = await findTouchpointByKey(deps.db, input.touchpoint);
  if (!touchpoint) throw ValidationError.field('touchpoint', `no touchpoint has the key "${input.touchpoint}"`);
  const first = await findEventByTransaction(deps.db, touchpoint.id, input.transaction_id);
  return { input, touchpoint, first };
}

/**
 * Every check receiveEvent makes before it decides, writing nothing (for an
 * import's --dry-run): throws as receiveEvent would for a bad event, and
 * returns the first answer when the event was received before.
 */
export async function checkEvent(deps: Deps, body: unknown): Promise<{ touchpointId: number; transactionId: string; first: EventAnswer | null }> {
  const { input, touchpoint, first } = await readEvent(deps, body);
  if (!first) occurredAt(input, deps.clock.now());
  return { touchpointId: touchpoint.id, transactionId: input.transaction_id, first: first ? answerFor(first) : null };
}

export interface ReceiveOptions {
  /** Record the decision but survey nobody (an import without --send): suppressed as too_old unless refused earlier. */
  recordOnly?: boolean;
}

/**
 * Receives one event: records it with its decision (scheduled with an
 * invitation, or suppressed with a reason) in one transaction, so it is
 * durable before the caller answers. A repeat of (touchpoint, transaction id)
 * returns the first answer and creates nothing.
 */
export function receiveEvent(deps: Deps, body: unknown, source: 'api' | 'import' = 'api', options: ReceiveOptions = {}): Promise<EventOutcome> {
  // The whole operation is idempotent on (touchpoint, transaction id): tried again from the start while the
  // database fails it transiently (a connection lost even at the commit finds the event the second time).
  return retryWhenBusy(() => receiveEventOnce(deps, body, source, options), eventNotRecorded);
}

/** 503 with Retry-After: the event was not recorded; the caller sends it again. */
const eventNotRecorded = () => new UnavailableError('The database is busy; the event was not recorded', 'Send the same event again in a moment; a repeat is safe.');

async function receiveEventOnce(deps: Deps, body: unknown, source: 'api' | 'import', options: ReceiveOptions): Promise<EventOutcome> {
  const { db } = deps;
  const { input, touchpoint, first } = await readEvent(deps, body);
  if (first) return { answer: answerFor(first), repeated: true };

  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const at = occurredAt(input, now);
  const settings = await getSettings(db);
  const email = input.customer.email;
  const externalId = input.customer.id ?? email!.toLowerCase();
  try {
    return await writeTransaction(db, async (trx) => {
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
      // Decisions for this customer are serialised from here on: look again for a repeat.
      const again = await findEventByTransaction(trx, touchpoint.id, input.transaction_id);
      if (again) return { answer: answerFor(again), repeated: true };
      const survey = await findActiveSurveyForTouchpoint(trx, touchpoint.id);
      const decision = decide({
        now,
        occurredAt: at,
        transactionId: input.transaction_id,
        survey: survey ?? null,
        global: settings.contact_rules,
        reportingTimeZone: settings.reporting_time_zone,
        customer: {
          ...customer,
          unsubscribed_from_touchpoint_at: await touchpointUnsubscribedAt(trx, customer.id, touchpoint.id),
        },
        history: survey ? await customerHistory(trx, customer.id, countingStates) : { invitations: [], responses: [] },
        recordOnly: options.recordOnly,
      });
      const notes = decision.notes.join('; ');
      const eventId = await insertEvent(trx, settings.reporting_time_zone, {
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
      });
      if (decision.status === 'scheduled' && survey) {
        // Salt, key version and hash of the link token (the token itself is made again when sending).
        const { token: _token, ...tokenColumns } = newInvitationToken(deps.config);
        await insertScheduledInvitation(trx, {
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
      // The answer is read back from the row, so a repeat gets exactly the same one.
      return { answer: answerFor((await findEventById(trx, eventId))!), repeated: false };
    });
  } catch (err) {
    // Two requests with one transaction id raced past the first look: the loser answers as a repeat.
    if (isUniqueViolation(err)) {
      const winner = await findEventByTransaction(db, touchpoint.id, input.transaction_id);
      if (winner) return { answer: answerFor(winner), repeated: true };
    }
    throw err;
  }
}

/** One entry of a batch answer: the event's answer, or why it was refused. */
export type BatchResult =
  | ({ index: number; duplicate?: true } & EventAnswer)
  | { index: number; status: 'invalid' | 'error'; errors: { field: string; message: string }[] };

/** Each event on its own: an invalid one gets its own error entry and sinks nothing else. */
export async function receiveBatch(deps: Deps, events: unknown[], source: 'api' | 'import' = 'api'): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const [index, event] of events.entries()) {
    try {
      const { answer, repeated } = await receiveEvent(deps, event, source);
      results.push({ index, ...answer, ...(repeated ? { duplicate: true as const } : {}) });
    } catch (err) {
      if (err instanceof UnavailableError) {
        results.push({ index, status: 'error', errors: [{ field: '(event)', message: 'the database was busy; send it again' }] });
      } else if (err instanceof AppError && err.status < 500) {
        results.push({ index, status: 'invalid', errors: err.errors.length ? err.errors : [{ field: '(event)', message: err.message }] });
      } else {
        deps.log.error({ err, index }, 'batch event failed');
        results.push({ index, status: 'error', errors: [{ field: '(event)', message: 'could not be stored; send it again' }] });
      }
    }
  }
  return results;
}
