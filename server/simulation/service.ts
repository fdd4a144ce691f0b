import type { Knex } from 'knex';
import { DAY } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings, type GlobalRules } from '../settings/service.ts';
import { listSurveys } from '../surveys/queries.ts';
import type { PrecisionTarget, Survey, SurveyRules } from '../surveys/model.ts';
import type { History, RuleSurvey } from '../eligibility/model.ts';
import { decide, importedWithoutSendDetail } from '../eligibility/rules.ts';
import { customersWithEvents, replayRecords, touchpointEvents, type ReplayEvent } from './queries.ts';
import { readBases } from '../precision/service.ts';
import { replayTargetRates, TargetTally } from '../precision/simulate.ts';
import { VOLUME_DAYS } from '../precision/queries.ts';
import { suppressionReasons } from '../eligibility/reasons.ts';

/**
 * "What would these rules have done?" Replays the events of the last days
 * (90 by default), in the order they arrived, through the same pure decide
 * function the event service uses, under proposed rules: the global contact
 * rules and/or one survey's rules. Each customer's history starts from what
 * really happened before the window; inside it, only the invitations the
 * replay itself schedules count, and an answer counts only when its
 * invitation would still have gone out. Nothing is written.
 *
 * Not replayed: the re-check at send time (a later unsubscribe or bounce
 * stopping a scheduled invitation) and the worker's retries.
 */

export interface ProposedRules {
  /** Replaces the global contact rules. */
  global?: GlobalRules;
  /** Replaces the survey's sample rate, send delay, its own rules and its precision target (null: none). */
  survey?: { sample_rate?: number; send_delay_minutes?: number; rules?: SurveyRules; precision_target?: PrecisionTarget | null };
}

export interface Tally {
  events: number;
  invitations: number;
  suppressed: Record<string, number>;
}

interface SurveyComparison {
  touchpoint: string;
  /** The survey the touchpoint's events go to in the replay ('' when none). */
  survey: string;
  target: boolean;
  actual: Tally;
  simulated: Tally;
  /** Events decided differently. */
  changed: number;
}

interface ChangedDecision {
  event_id: number;
  customer: string;
  touchpoint: string;
  received_at: string;
  actual: string;
  simulated: string;
  /** Why the replay suppressed it; '' when it scheduled. */
  detail: string;
  /** When the replay would have sent it. */
  send_at: string | null;
}

export interface SimulationReport {
  survey: string;
  from: string;
  to: string;
  days: number;
  events: number;
  customers: number;
  surveys: SurveyComparison[];
  totals: { actual: Tally; simulated: Tally; changed: number };
  /** Up to 50 events decided differently, the target survey's first. */
  examples: ChangedDecision[];
  reasons: readonly string[];
  /** With a precision target: what it would have sent per period and segment, and whom it spares. */
  precision: ReturnType<TargetTally['summary']> | null;
}

const emptyTally = (): Tally => ({ events: 0, invitations: 0, suppressed: {} });
function count(tally: Tally, decision: { status: string; reason?: string | null }) {
  tally.events++;
  if (decision.status === 'scheduled') tally.invitations++;
  else tally.suppressed[decision.reason ?? 'unknown'] = (tally.suppressed[decision.reason ?? 'unknown'] ?? 0) + 1;
}

const customersPerChunk = 500;

function groupBy<T extends { customer_id: number }>(rows: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const id = Number(row.customer_id);
    const list = groups.get(id);
    if (list) list.push(row);
    else groups.set(id, [row]);
  }
  return groups;
}
const maxExamples = 50;

/** A customer state that was true when the event arrived: later unsubscribes and bounces did not exist yet. */
const asOf = (at: string | null, when: string): string | null => (at && at <= when ? at : null);

export async function simulateRules(db: Knex, surveyKey: string, proposed: ProposedRules, now: Date, days = 90): Promise<SimulationReport> {
  const settings = await getSettings(db);
  const surveys = await listSurveys(db);
  const target = surveys.find((s) => s.key === surveyKey);
  if (!target) throw new NotFoundError(`No survey has the key ${surveyKey}`);
  const global = proposed.global ?? settings.contact_rules;
  const proposedTarget: Survey = {
    ...target,
    sample_rate: proposed.survey?.sample_rate ?? target.sample_rate,
    send_delay_minutes: proposed.survey?.send_delay_minutes ?? target.send_delay_minutes,
    rules: proposed.survey?.rules ?? target.rules,
    precision_target: proposed.survey?.precision_target === undefined ? target.precision_target : proposed.survey.precision_target,
  };
  const byId = new Map(surveys.map((s) => [s.id, s]));
  const touchpointKeys = new Map(surveys.map((s) => [s.touchpoint_id, s.touchpoint_key]));
  const asRuleSurvey = (s: Survey): RuleSurvey => ({
    id: s.id,
    key: s.key,
    status: 'active',
    rules: s.rules,
    sample_rate: s.sample_rate,
    send_delay_minutes: s.send_delay_minutes,
    channel: s.channel,
    max_event_age_days: s.max_event_age_days,
  });

  /**
   * The survey an event goes to in the replay: on the target's touchpoint the
   * proposed survey (as if active, so a draft can be tried out), elsewhere the
   * survey that was active when the event arrived, with its rules of today.
   */
  const replaySurvey = (event: ReplayEvent): Survey | null => {
    if (event.touchpoint_id === target.touchpoint_id) return proposedTarget;
    return event.survey_id ? (byId.get(event.survey_id) ?? null) : null;
  };

  const to = now;
  const from = new Date(now.getTime() - days * DAY);
  const fromIso = toDbTime(from);
  const toIso = toDbTime(to);
  const targeted = await targetReplay(db, proposedTarget, from, to, settings.reporting_time_zone);
  const rows = new Map<number, SurveyComparison>();
  const rowFor = (touchpointId: number, survey: Survey | null): SurveyComparison => {
    let row = rows.get(touchpointId);
    if (!row) {
      row = {
        touchpoint: touchpointKeys.get(touchpointId) ?? `#${touchpointId}`,
        survey: survey?.key ?? '',
        target: touchpointId === target.touchpoint_id,
        actual: emptyTally(),
        simulated: emptyTally(),
        changed: 0,
      };
      rows.set(touchpointId, row);
    }
    if (!row.survey && survey) row.survey = survey.key;
    return row;
  };
  const totals = { actual: emptyTally(), simulated: emptyTally(), changed: 0 };
  const examples: ChangedDecision[] = [];
  let customersSeen = 0;

  for (let after = 0; ; ) {
    const ids = await customersWithEvents(db, fromIso, toIso, after, customersPerChunk);
    if (!ids.length) break;
    after = ids[ids.length - 1];
    customersSeen += ids.length;
    const records = await replayRecords(db, ids, fromIso, toIso);
    const customers = new Map(records.customers.map((c) => [c.id, c]));
    const events = groupBy(records.events);
    const invitationsBefore = groupBy(records.invitationsBefore);
    const responses = groupBy(records.responses);
    const touchpointUnsubscribes = groupBy(records.touchpointUnsubscribes);

    for (const customerId of ids) {
      const customer = customers.get(customerId)!;
      const history: History = {
        invitations: (invitationsBefore.get(customerId) ?? []).map((i) => ({ survey_id: i.survey_id, state: 'sent', at: new Date(i.sent_at ?? i.send_at) })),
        responses: [],
      };
      // Answers: those before the window count as they are; inside it, only if their invitation still goes out.
      const pendingResponses = [...(responses.get(customerId) ?? [])].sort((a, b) => (a.answered_at < b.answered_at ? -1 : 1));
      const scheduledEvents = new Set<number>();
      const unsubscribes = touchpointUnsubscribes.get(customerId) ?? [];

      for (const event of events.get(customerId) ?? []) {
        while (pendingResponses.length && pendingResponses[0].answered_at <= event.received_at) {
          const r = pendingResponses.shift()!;
          const kept = r.answered_at < fromIso || !r.event_id || (r.invited_at !== null && r.invited_at < fromIso) || scheduledEvents.has(r.event_id);
          if (kept) history.responses.push({ survey_id: r.survey_id, at: new Date(r.answered_at) });
        }
        const survey = replaySurvey(event);
        const at = event.received_at;
        const ruleSurvey = survey ? asRuleSurvey(survey) : null;
        if (targeted && ruleSurvey && survey === proposedTarget) ruleSurvey.precision = targeted.rates.inForce(at, event.properties);
        const decision = decide({
          now: new Date(at),
          occurredAt: new Date(event.occurred_at),
          transactionId: event.transaction_id,
          survey: ruleSurvey,
          // An import without --send surveyed nobody; replayed, it still does not.
          recordOnly: event.reason_detail === importedWithoutSendDetail,
          global,
          reportingTimeZone: settings.reporting_time_zone,
          customer: {
            // An erased customer's address is gone; before the erasure it was there.
            email: customer.email ?? (customer.erased_at && customer.erased_at > at ? 'erased@example.invalid' : null),
            time_zone: customer.time_zone,
            unsubscribed_at: asOf(customer.unsubscribed_at, at),
            bounced_at: asOf(customer.bounced_at, at),
            erased_at: asOf(customer.erased_at, at),
            unsubscribed_from_touchpoint_at: asOf(unsubscribes.find((u) => u.touchpoint_id === event.touchpoint_id)?.created_at ?? null, at),
          },
          history,
        });
        if (decision.status === 'scheduled') {
          history.invitations.push({ survey_id: survey!.id, state: 'scheduled', at: decision.sendAt });
          scheduledEvents.add(event.id);
        }
        const actual = { status: event.decision, reason: event.reason };
        if (targeted && event.touchpoint_id === target.touchpoint_id) targeted.tally.add(event, actual.status === 'scheduled', decision.status === 'scheduled');
        const row = rowFor(event.touchpoint_id, survey);
        count(row.actual, actual);
        count(row.simulated, decision);
        count(totals.actual, actual);
        count(totals.simulated, decision);
        const differs = actual.status !== decision.status || (actual.reason ?? null) !== (decision.reason ?? null);
        if (differs) {
          row.changed++;
          totals.changed++;
          const example: ChangedDecision = {
            event_id: event.id,
            customer: customer.external_id,
            touchpoint: row.touchpoint,
            received_at: at,
            actual: actual.status === 'scheduled' ? 'scheduled' : `suppressed: ${actual.reason}`,
            simulated: decision.status === 'scheduled' ? 'scheduled' : `suppressed: ${decision.reason}`,
            detail: decision.status === 'suppressed' ? decision.detail : '',
            send_at: decision.status === 'scheduled' ? decision.sendAt.toISOString() : null,
          };
          // Keep the target survey's examples first, then the others, up to the limit.
          if (examples.length < maxExamples) examples.push(example);
          else if (row.target) {
            const other = examples.findIndex((e) => e.touchpoint !== row.touchpoint);
            if (other >= 0) examples.splice(other, 1, example);
          }
        }
      }
    }
  }

  const list = [...rows.values()].sort((a, b) => Number(b.target) - Number(a.target) || a.touchpoint.localeCompare(b.touchpoint));
  if (!list.some((r) => r.target)) list.unshift({ touchpoint: target.touchpoint_key, survey: target.key, target: true, actual: emptyTally(), simulated: emptyTally(), changed: 0 });
  examples.sort((a, b) => Number(b.touchpoint === target.touchpoint_key) - Number(a.touchpoint === target.touchpoint_key) || (a.received_at < b.received_at ? -1 : 1));
  return {
    survey: target.key,
    from: fromIso,
    to: toIso,
    days,
    events: totals.actual.events,
    customers: customersSeen,
    surveys: list,
    totals,
    examples,
    reasons: suppressionReasons,
    precision: targeted ? targeted.tally.summary(targeted.rates.plans) : null,
  };
}

/** For a survey with a precision target: the rates it would have set each day of the window, and the tally of what it sends. */
async function targetReplay(db: Knex, survey: Survey, from: Date, to: Date, timeZone: string) {
  const target = survey.precision_target;
  if (!target) return null;
  const targetSurvey = { ...survey, precision_target: target };
  const [events, bases] = await Promise.all([
    touchpointEvents(db, survey.touchpoint_id, toDbTime(new Date(from.getTime() - VOLUME_DAYS * DAY)), toDbTime(to)),
    // The response rate and spread as they stand now: the best reading of them the window gives.
    readBases(db, survey, target, to, to),
  ]);
  return { rates: replayTargetRates({ survey: targetSurvey, events, bases, from, to, timeZone }), tally: new TargetTally(targetSurvey, bases, timeZone) };
}
