import type { Deps } from '../deps.ts';
import type { Statements } from '../db/statements.ts';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import type { Settings } from '../settings/service.ts';
import { usesWidget, type Survey } from '../surveys/model.ts';
import { factFields, findCustomersByExternalIds, upsertCustomers, type CustomerFacts, type CustomerRow } from '../customers/queries.ts';
import { decisionReads, unsubscribeKey } from '../eligibility/history.ts';
import { decide } from '../eligibility/rules.ts';
import type { RuleSurvey } from '../eligibility/model.ts';
import { inForceFor, type RateInForce } from '../precision/service.ts';
import { newInvitationToken } from '../tokens.ts';
import type { EventInput } from './input.ts';
import { findEventsByTransactions, insertEvents, type EventRow, type NewEvent } from './queries.ts';
import { insertScheduledInvitations } from '../invitations/queries.ts';
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

/**
 * What the events stored together share: the clock, where they came from, and what was read before the
 * transaction (from the process's cache): the settings and each touchpoint's active survey.
 */
export interface StoreScope {
  now: Date;
  settings: Settings;
  source: 'api' | 'import';
  /** Record the decision but survey nobody (an import without --send). */
  recordOnly?: boolean;
  /** The active survey of each touchpoint of the events (undefined: none). */
  surveys: ReadonlyMap<number, Survey | undefined>;
  /** Today's rates of the surveys with a precision target, by survey id. */
  rates: ReadonlyMap<number, readonly RateInForce[]>;
}

/** The survey as the rules see it for one event: with a precision target, the rate in force for the event's segment. */
function ruleSurvey(survey: Survey | undefined, scope: StoreScope, input: EventInput): RuleSurvey | null {
  if (!survey) return null;
  if (!survey.precision_target) return survey;
  return { ...survey, precision: inForceFor(survey, scope.rates.get(survey.id) ?? [], input.properties) };
}

/** The customer facts an event gives (absent fields: not given). */
function factsOf(input: EventInput): CustomerFacts {
  return {
    external_id: input.customer.id ?? input.customer.email!.toLowerCase(),
    email: input.customer.email,
    name: input.customer.name,
    locale: storableLocale(input.customer.locale),
    time_zone: input.customer.time_zone,
  };
}

/**
 * The customer as each event of theirs sees them, in order: the row as locked, with every fact field that
 * event or an earlier one of the same customer gave as the last of them gave it, and the others as they were
 * before the first (`before`: read ahead when a later event gives a field an earlier one did not).
 */
function customerAsOf(locked: CustomerRow, before: CustomerRow | null | undefined, given: CustomerFacts[]): CustomerRow[] {
  if (locked.erased_at) return given.map(() => locked);
  const seen: Partial<CustomerRow> = {};
  return given.map((facts) => {
    for (const field of factFields) if (facts[field] !== undefined) seen[field] = facts[field];
    const row = { ...locked };
    // before: undefined when not read (no field needs it), null when read and the customer is new.
    for (const field of factFields) row[field] = field in seen ? seen[field]! : before === undefined ? locked[field] : (before?.[field] ?? null);
    return row;
  });
}

/** Each customer's facts merged over their events in order (the last given wins), one entry per customer. */
function mergedFacts(inputs: EventInput[]): { merged: CustomerFacts[]; byCustomer: Map<string, CustomerFacts[]> } {
  const byCustomer = new Map<string, CustomerFacts[]>();
  for (const input of inputs) {
    const facts = factsOf(input);
    (byCustomer.get(facts.external_id) ?? byCustomer.set(facts.external_id, []).get(facts.external_id)!).push(facts);
  }
  const merged = [...byCustomer.values()].map((list) => {
    const out: CustomerFacts = { external_id: list[0].external_id };
    for (const facts of list) for (const field of factFields) if (facts[field] !== undefined) out[field] = facts[field];
    return out;
  });
  return { merged, byCustomer };
}

/** Whether some later event of a customer gives a field their first one did not (then the stored value before is read ahead). */
const needsBefore = (list: CustomerFacts[]) => factFields.some((field) => list[0][field] === undefined && list.some((facts) => facts[field] !== undefined));

/**
 * The customers of the events upserted and locked at once (read ahead only when needed: customerAsOf),
 * and each event's customer as it sees them, in the order of `inputs`.
 */
async function lockCustomers(sql: Statements, inputs: EventInput[], nowIso: string): Promise<CustomerRow[]> {
  const { merged, byCustomer } = mergedFacts(inputs);
  const aheadIds = [...byCustomer.entries()].filter(([, list]) => needsBefore(list)).map(([id]) => id);
  const before = new Map((await findCustomersByExternalIds(sql, aheadIds)).map((row) => [row.external_id, row]));
  const locked = await upsertCustomers(sql, merged, nowIso);
  const views = new Map([...byCustomer.entries()].map(([id, list]) => [id, customerAsOf(locked.get(id)!, aheadIds.includes(id) ? (before.get(id) ?? null) : undefined, list)]));
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const externalId = factsOf(input).external_id;
    const n = seen.get(externalId) ?? 0;
    seen.set(externalId, n + 1);
    return views.get(externalId)![n];
  });
}

/** An event decided, ready to be written: its row, and what its invitation needs when it is scheduled. */
interface Decided {
  /** Its place among the events stored together. */
  index: number;
  event: NewEvent;
  survey: Survey | undefined;
  customer: CustomerRow;
  sendAt: Date | null;
}

/** The decided events written (with their rollup counts) and their invitations: the events' ids in order, and each scheduled event's invitation. */
async function writeDecided(sql: Statements, deps: Pick<Deps, 'config'>, decided: Decided[], settings: Settings, nowIso: string) {
  const eventIds = await insertEvents(sql, settings.reporting_time_zone, decided.map((d) => d.event));
  const scheduled = decided.map((d, k) => ({ ...d, id: eventIds[k] })).filter((d) => d.sendAt && d.survey);
  const invitationIds = await insertScheduledInvitations(
    sql,
    scheduled.map(({ id, survey, customer, sendAt }) => {
      // Salt, key version and hash of the link token (the token itself is made again when sending).
      const { token: _token, ...tokenColumns } = newInvitationToken(deps.config);
      return {
        survey_id: survey!.id,
        event_id: id,
        customer_id: customer.id,
        // A widget survey's invitation waits for the customer's page view (email_or_web: emailed after the window).
        ...(usesWidget(survey!)
          ? { channel: 'web', state: 'waiting' as const, web_until: toDbTime(new Date(sendAt!.getTime() + survey!.web_window_days * DAY)) }
          : { channel: survey!.channel, state: 'scheduled' as const, web_until: null }),
        locale: invitationLocale(survey!, customer.locale),
        send_at: toDbTime(sendAt!),
        ...tokenColumns,
        expires_at: toDbTime(new Date(sendAt!.getTime() + settings.token_expiry_days * DAY)),
        is_test: 0 as const,
        created_at: nowIso,
      };
    }),
  );
  return { eventIds, invitationOf: new Map(scheduled.map((d, k) => [d.id, invitationIds[k]])) };
}

/**
 * Events stored together inside the caller's write transaction (its prepared statements), in a fixed
 * number of statements however many they are: the repeats answered as such (a repeat changes nothing,
 * not even the customer's name), the customers upserted and locked (decisions for one customer are
 * serialised), what the decisions read of them read at once, then every event decided in order exactly as
 * it would be alone (a customer's later event sees the invitation an earlier one scheduled), and the
 * events, their rollup counts and their invitations written. The answers come in the order of `events`.
 */
export async function storeEvents(sql: Statements, deps: Pick<Deps, 'config'>, events: readonly CheckedEvent[], scope: StoreScope): Promise<EventOutcome[]> {
  const { now, settings, source } = scope;
  const nowIso = toDbTime(now);
  const outcomes: (EventOutcome | undefined)[] = new Array(events.length);
  const key = (touchpointId: number, transactionId: string) => `${touchpointId}\n${transactionId}`;

  // Repeats: of an event stored before, or of an earlier one here.
  const earlier = new Map((await findEventsByTransactions(sql, events.map((e) => ({ touchpointId: e.touchpoint.id, transactionId: e.input.transaction_id })))).map((row) => [key(row.touchpoint_id, row.transaction_id), row]));
  const firstHere = new Map<string, number>();
  const fresh: number[] = [];
  events.forEach((event, i) => {
    const k = key(event.touchpoint.id, event.input.transaction_id);
    const stored = earlier.get(k);
    if (stored) outcomes[i] = { answer: answerFor(stored), repeated: true };
    else if (firstHere.has(k)) return;
    else {
      firstHere.set(k, i);
      fresh.push(i);
    }
  });

  const customers = await lockCustomers(sql, fresh.map((i) => events[i].input), nowIso);
  const reads = await decisionReads(
    sql,
    [...new Set(customers.map((c) => c.id))],
    [...new Set(fresh.map((i) => events[i].touchpoint.id))],
    countingStates,
  );

  // Every event decided in order; what it schedules is part of the next one's history.
  const stored: Decided[] = [];
  for (const [k, i] of fresh.entries()) {
    const { input, touchpoint, at } = events[i];
    const customer = customers[k];
    const survey = scope.surveys.get(touchpoint.id);
    const history = reads.histories.get(customer.id) ?? { invitations: [], responses: [] };
    reads.histories.set(customer.id, history);
    const decision = decide({
      now,
      occurredAt: at,
      transactionId: input.transaction_id,
      survey: ruleSurvey(survey, scope, input),
      global: settings.contact_rules,
      reportingTimeZone: settings.reporting_time_zone,
      customer: { ...customer, unsubscribed_from_touchpoint_at: reads.touchpointUnsubscribes.get(unsubscribeKey(customer.id, touchpoint.id)) ?? null },
      history: survey ? history : { invitations: [], responses: [] },
      recordOnly: scope.recordOnly,
    });
    const notes = decision.notes.join('; ');
    if (decision.status === 'scheduled' && survey) history.invitations.push({ survey_id: survey.id, state: 'scheduled', at: decision.sendAt });
    stored.push({
      index: i,
      survey,
      customer,
      sendAt: decision.status === 'scheduled' ? decision.sendAt : null,
      event: {
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
        send_at: decision.status === 'scheduled' ? toDbTime(decision.sendAt) : null,
      },
    });
  }

  const { eventIds, invitationOf } = await writeDecided(sql, deps, stored, settings, nowIso);
  // The answers from the rows as written (not read back): a repeat, which reads the row, gets exactly the same one.
  stored.forEach((s, k) => (outcomes[s.index] = { answer: answerFor({ ...s.event, id: eventIds[k], invitation_id: invitationOf.get(eventIds[k]) ?? null }), repeated: false }));
  // A repeat of an event stored here answers as it.
  events.forEach((event, i) => {
    if (!outcomes[i]) outcomes[i] = { answer: outcomes[firstHere.get(key(event.touchpoint.id, event.input.transaction_id))!]!.answer, repeated: true };
  });
  return outcomes as EventOutcome[];
}
