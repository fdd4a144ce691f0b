import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { DAY, MINUTE } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { createSurvey } from '../surveys/service.ts';
import { scales, type Metric, type Survey } from '../surveys/model.ts';
import { decide } from '../eligibility/rules.ts';
import type { History } from '../eligibility/model.ts';
import { hashToken, invitationToken, newTokenSalt } from '../tokens.ts';
import { insertSendRollups, invitationValueRows, sendRollupRowsOf } from '../rollups/sends.ts';
import { eventRollupRowsOf, eventValueRowsOf, insertEventRollup } from '../rollups/events.ts';
import { addenda, agents, comments, firstNames, lastNames, plans, products, regions } from './content.ts';
import { rollupRowsOf } from '../rollups/responses.ts';
import { responseValueRows } from '../rollups/response-values.ts';
import { t, type Locale } from '../i18n/index.ts';

const HISTORY_DAYS = 182;
const CUSTOMERS = 3000;
const CHUNK = 400;

interface DemoTouchpoint {
  key: string;
  name: string;
  survey: string;
  metric: Metric;
  eventsPerDay: number;
  delayMinutes: number;
  responseRate: number;
  /** Mean and spread of the score, before region and trend. */
  mean: number;
  spread: number;
  properties: (pick: <T>(list: readonly T[]) => T) => Record<string, string>;
}

const demoTouchpoints: DemoTouchpoint[] = [
  {
    key: 'delivery', name: 'Delivery', survey: 'delivery-nps', metric: 'nps', eventsPerDay: 30, delayMinutes: 120, responseRate: 0.27, mean: 7.4, spread: 2.4,
    properties: (pick) => ({ channel: pick(['web', 'app', 'store']), product: pick(products) }),
  },
  {
    key: 'support-ticket-closed', name: 'Support ticket closed', survey: 'support-csat', metric: 'csat', eventsPerDay: 18, delayMinutes: 30, responseRate: 0.33, mean: 3.9, spread: 1.1,
    properties: (pick) => ({ channel: pick(['email', 'phone', 'chat']), agent: pick(agents) }),
  },
  {
    key: 'onboarding-call', name: 'Onboarding call', survey: 'onboarding-ces', metric: 'ces', eventsPerDay: 6, delayMinutes: 60, responseRate: 0.45, mean: 5.1, spread: 1.4,
    properties: (pick) => ({ channel: pick(['video', 'phone']), agent: pick(agents), plan: pick(plans) }),
  },
];

const regionEffect: Record<string, number> = { north: 0.3, south: 0.1, east: -0.1, west: -0.4 };

/** mulberry32: the same demo every time. */
function randomSource(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, pick, normal };
}

function moodOf(metric: Metric, score: number): 'good' | 'fair' | 'poor' {
  if (metric === 'nps') return score >= 9 ? 'good' : score >= 7 ? 'fair' : 'poor';
  if (metric === 'csat') return score >= 4 ? 'good' : score === 3 ? 'fair' : 'poor';
  return score >= 6 ? 'good' : score >= 4 ? 'fair' : 'poor';
}

async function insertReturning<T extends Record<string, unknown>>(trx: Knex.Transaction, table: string, rows: T[], key: keyof T & string): Promise<Map<unknown, number>> {
  const ids = new Map<unknown, number>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const inserted: Record<string, unknown>[] = await trx(table).insert(rows.slice(i, i + CHUNK)).returning(['id', key]);
    for (const row of inserted) ids.set(row[key], Number(row.id));
  }
  return ids;
}

async function insertAll(trx: Knex.Transaction, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await trx(table).insert(rows.slice(i, i + CHUNK));
}

/** What loading the demo did: loaded, with what it wrote; or nothing, as a touchpoint or survey of the demo is there already. */
type DemoOutcome =
  | { loaded: true; touchpoints: number; customers: number; events: number; invitations: number; responses: number; days: number }
  | { loaded: false; kind: 'touchpoint' | 'survey'; key: string };

/** What loading the demo did, as a sentence in `locale` (English: the one line `touchpoint demo` ends with). */
export function demoSummary(outcome: DemoOutcome, locale: Locale = 'en'): string {
  if (!outcome.loaded) return t(locale, 'cli.demo_already_loaded', { kind: outcome.kind, key: outcome.key });
  const { loaded: _loaded, ...counts } = outcome;
  return t(locale, 'cli.demo_loaded', counts);
}

/** `touchpoint demo` (and the first-run page's choice): loads the demo, and says what it did in `locale`. */
export async function loadDemo(deps: Deps, locale: Locale = 'en'): Promise<string> {
  return demoSummary(await seedDemo(deps), locale);
}

/**
 * The demo workspace: three touchpoints with active surveys (English and
 * German) and six months of customers, events, invitations and answers up to
 * now, written in bulk. Refuses politely when the demo is already there.
 */
export async function seedDemo(deps: Deps): Promise<DemoOutcome> {
  const { db, clock } = deps;
  const taken = await db('touchpoints').whereIn('key', demoTouchpoints.map((tp) => tp.key)).first('key');
  const takenSurvey = await db('surveys').whereIn('key', demoTouchpoints.map((tp) => tp.survey)).first('key');
  if (taken) return { loaded: false, kind: 'touchpoint', key: String(taken.key) };
  if (takenSurvey) return { loaded: false, kind: 'survey', key: String(takenSurvey.key) };
  const now = clock.now();
  const start = new Date(now.getTime() - HISTORY_DAYS * DAY);
  const { reporting_time_zone: reportingTz } = await getSettings(db);
  const rnd = randomSource(20261123);

  const surveys = new Map<string, Survey>();
  for (const tp of demoTouchpoints) {
    surveys.set(tp.key, await createSurvey(db, { key: tp.survey, touchpoint: tp.key, touchpoint_name: tp.name, metric: tp.metric, status: 'active', send_delay_minutes: tp.delayMinutes }, start));
  }

  const counts = { customers: 0, events: 0, invitations: 0, responses: 0 };
  await writeTransaction(db, async (trx) => {
    const at = toDbTime(start);
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => {
      const first = rnd.pick(firstNames);
      const last = rnd.pick(lastNames);
      const german = rnd.next() < 0.3;
      return {
        external_id: `demo-${String(i + 1).padStart(5, '0')}`,
        email: `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
        name: `${first} ${last}`,
        locale: german ? 'de' : 'en',
        time_zone: german ? 'Europe/Berlin' : rnd.pick(['Europe/London', 'Europe/Dublin', 'America/New_York']),
        properties: JSON.stringify({ region: rnd.pick(regions) }),
        created_at: at,
        updated_at: at,
      };
    });
    const customerIds = await insertReturning(trx, 'customers', customers, 'external_id');
    counts.customers = customers.length;

    type Planned = { event: Record<string, unknown>; invitation?: Record<string, unknown>; response?: Record<string, unknown> };
    // Every event of the half year first (each with its chances drawn), then decided in the order they
    // arrive by the contact rules in force (eligibility/rules.ts decide, as the API and the rule simulation
    // decide them), so the history obeys the workspace's own rules: the simulation with no change finds no
    // difference.
    type Candidate = { tp: DemoTouchpoint; customer: (typeof customers)[number]; occurred: Date; day: number; e: number; properties: Record<string, unknown>; answers: number; delay: number; noise: number; commentRoll: number; pickComment: number; pickAddendum: number };
    const candidates: Candidate[] = [];
    for (let day = 0; day < HISTORY_DAYS; day++) {
      const dayStart = start.getTime() + day * DAY;
      const weekend = [0, 6].includes(new Date(dayStart).getUTCDay());
      for (const tp of demoTouchpoints) {
        const events = Math.round(tp.eventsPerDay * (weekend ? 0.4 : 1) * (0.7 + 0.6 * rnd.next()));
        for (let e = 0; e < events; e++) {
          const customer = customers[Math.floor(rnd.next() * customers.length)];
          const occurred = new Date(dayStart + (7 + 12 * rnd.next()) * 60 * MINUTE);
          const region = JSON.parse(customer.properties).region as string;
          const properties = { region, ...tp.properties(rnd.pick) };
          candidates.push({ tp, customer, occurred, day, e, properties, answers: rnd.next(), delay: rnd.next(), noise: rnd.normal(), commentRoll: rnd.next(), pickComment: rnd.next(), pickAddendum: rnd.next() });
        }
      }
    }
    candidates.sort((a, b) => a.occurred.getTime() - b.occurred.getTime() || a.day - b.day || a.e - b.e);

    const { contact_rules: global } = await getSettings(trx);
    const histories = new Map<string, { history: History; pending: { survey_id: number; at: Date }[] }>();
    const planned: Planned[] = [];
    for (const c of candidates) {
      const { tp, customer, occurred, properties } = c;
      const survey = surveys.get(tp.key)!;
      const kept = histories.get(customer.external_id) ?? histories.set(customer.external_id, { history: { invitations: [], responses: [] }, pending: [] }).get(customer.external_id)!;
      // Answers given before this event count for it (as the simulation replays them).
      while (kept.pending.length && kept.pending[0].at <= occurred) kept.history.responses.push(kept.pending.shift()!);
      const transactionId = `demo-${tp.key}-${c.day}-${c.e}`;
      const decision = decide({
        now: occurred,
        occurredAt: occurred,
        transactionId,
        survey,
        global,
        reportingTimeZone: reportingTz,
        customer: { email: customer.email, time_zone: customer.time_zone, unsubscribed_at: null, bounced_at: null, erased_at: null, unsubscribed_from_touchpoint_at: null },
        history: kept.history,
      });
      // An invitation whose send time has not come yet would be sent at once by the worker: such events are left out.
      if (decision.status === 'scheduled' && decision.sendAt > now) continue;
      const sendAt = decision.sendAt ?? null;
      const item: Planned = {
        event: {
          touchpoint_id: survey.touchpoint_id,
          transaction_id: transactionId,
          customer_id: customerIds.get(customer.external_id),
          occurred_at: toDbTime(occurred),
          received_at: toDbTime(occurred),
          properties: JSON.stringify(properties),
          source: 'demo',
          survey_id: survey.id,
          decision: decision.status,
          reason: decision.reason ?? null,
          reason_detail: decision.status === 'suppressed' ? decision.detail : decision.notes.join('; ') || null,
          send_at: sendAt ? toDbTime(sendAt) : null,
        },
      };
      planned.push(item);
      if (!sendAt) continue;
      kept.history.invitations.push({ survey_id: survey.id, state: 'scheduled', at: sendAt });
      const salt = newTokenSalt();
      const answeredAt = new Date(sendAt.getTime() + Math.min(2 * DAY, (3 + c.delay ** 3 * 2880) * MINUTE));
      const answers = c.answers < tp.responseRate && answeredAt <= now;
      item.invitation = {
        survey_id: survey.id,
        customer_id: customerIds.get(customer.external_id),
        channel: 'email',
        locale: customer.locale,
        state: answers ? 'responded' : 'sent',
        send_at: toDbTime(sendAt),
        token_salt: salt,
        token_hash: hashToken(invitationToken(deps.config.sessionSecret, salt)),
        expires_at: toDbTime(new Date(sendAt.getTime() + 30 * DAY)),
        attempts: 1,
        message_id: `<demo-${transactionId}@touchpoint.local>`,
        sent_at: toDbTime(sendAt),
        responded_at: answers ? toDbTime(answeredAt) : null,
        created_at: toDbTime(occurred),
        updated_at: toDbTime(answers ? answeredAt : sendAt),
      };
      if (!answers) continue;
      kept.pending.push({ survey_id: survey.id, at: answeredAt });
      kept.pending.sort((a, b) => a.at.getTime() - b.at.getTime());
      const progress = c.day / HISTORY_DAYS; // scores improve slowly over the half year
      const region = String(properties.region);
      const { min, max } = scales[tp.metric];
      const lift = (max - min) * 0.06 * (progress - 0.5) + (regionEffect[region] ?? 0) * (max - min) / 10;
      const score = Math.max(min, Math.min(max, Math.round(tp.mean + lift + tp.spread * c.noise)));
      const locale = customer.locale as 'en' | 'de';
      const withComment = c.commentRoll < (moodOf(tp.metric, score) === 'fair' ? 0.25 : 0.45);
      const list = comments[tp.key][locale][moodOf(tp.metric, score)];
      item.response = {
        survey_id: survey.id,
        customer_id: customerIds.get(customer.external_id),
        score,
        comment: withComment ? list[Math.floor(c.pickComment * list.length)] + addenda[locale][Math.floor(c.pickAddendum * addenda[locale].length)] : null,
        channel: 'email',
        locale,
        answered_at: toDbTime(answeredAt),
        updated_at: toDbTime(answeredAt),
        properties: JSON.stringify(properties),
      };
    }

    const eventIds = await insertReturning(trx, 'events', planned.map((p) => p.event), 'transaction_id');
    const invited = planned.filter((p) => p.invitation);
    for (const p of invited) p.invitation!.event_id = eventIds.get(p.event.transaction_id);
    const invitationIds = await insertReturning(trx, 'invitations', invited.map((p) => p.invitation!), 'event_id');
    // Each event points at its invitation: one UPDATE … CASE per chunk rather than one per row.
    const links = invited.map((p) => [eventIds.get(p.event.transaction_id)!, invitationIds.get(p.invitation!.event_id)!]);
    for (let i = 0; i < links.length; i += CHUNK) {
      const chunk = links.slice(i, i + CHUNK);
      await trx.raw(
        `UPDATE events SET invitation_id = CASE id ${chunk.map(() => 'WHEN ? THEN CAST(? AS INTEGER)').join(' ')} END WHERE id IN (${chunk.map(() => '?').join(',')})`,
        [...chunk.flat(), ...chunk.map(([eventId]) => eventId)],
      );
    }
    const answered = invited.filter((p) => p.response);
    for (const p of answered) p.response!.invitation_id = invitationIds.get(p.invitation!.event_id);
    const responses = answered.map((p) => p.response!);
    const responseIds = await insertReturning(trx, 'responses', responses, 'invitation_id');
    // Each response's property values, as insertResponse writes them (filters on several properties).
    await insertAll(
      trx,
      'response_values',
      responses.flatMap((r) =>
        responseValueRows(responseIds.get(r.invitation_id)!, {
          survey_id: Number(r.survey_id),
          answered_at: String(r.answered_at),
          score: Number(r.score),
          properties: String(r.properties),
        }),
      ),
    );

    // Both rollups of these new surveys (daily, and by property for segments), counted as insertResponse would have.
    const rollup = rollupRowsOf(responses as Parameters<typeof rollupRowsOf>[0], reportingTz);
    await insertAll(trx, 'response_daily', rollup.daily);
    await insertAll(trx, 'response_quarter_hours', rollup.quarters);
    await insertAll(trx, 'response_segment_daily', rollup.segments);
    // And the invitations by the day they were sent, as the worker and insertResponse would have counted them.
    const sends = invited.map((p) => ({ survey_id: Number(p.invitation!.survey_id), sent_at: String(p.invitation!.sent_at), properties: String(p.event.properties), responded: Boolean(p.response) }));
    await insertSendRollups(trx, sendRollupRowsOf(sends, reportingTz));
    await insertEventRollup(trx, eventRollupRowsOf(planned.map((p) => ({ touchpoint_id: Number(p.event.touchpoint_id), received_at: String(p.event.received_at), properties: String(p.event.properties) })), reportingTz));
    // Each event's and sent invitation's property values, as storing the event and the worker write them.
    await insertAll(
      trx,
      'event_values',
      eventValueRowsOf(planned.map((p) => ({ id: eventIds.get(p.event.transaction_id)!, touchpoint_id: Number(p.event.touchpoint_id), received_at: String(p.event.received_at), properties: String(p.event.properties) }))),
    );
    await insertAll(trx, 'invitation_values', invited.flatMap((p, k) => invitationValueRows({ ...sends[k], id: invitationIds.get(p.invitation!.event_id)! })));
    counts.events = planned.length;
    counts.invitations = invited.length;
    counts.responses = responses.length;
  });
  return { loaded: true, touchpoints: demoTouchpoints.length, ...counts, days: HISTORY_DAYS };
}
