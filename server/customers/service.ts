import type { Knex } from 'knex';
import { formatInstant as shownAt, type InstantFormat } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { lockCustomer, writeTransaction } from '../db/dialect.ts';
import { getSettings, type GlobalRules } from '../settings/service.ts';
import { customerHistory } from '../eligibility/history.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { checkCustomer, type History } from '../eligibility/rules.ts';
import {
  clearCustomerBounce,
  customerActions,
  customerExportRows,
  customerRecords,
  erasedExternalId,
  eraseCustomerData,
  externalIdIsPersonal,
  findCustomerByExternalId,
  insertCustomerAction,
  searchCustomers,
  type CustomerRow,
} from './queries.ts';
import { countingStates } from '../invitations/states.ts';

export type TimelineEntry = { kind: string; at: string } & Record<string, unknown>;

/** The customer as the API shows it. */
export const presentCustomer = (c: CustomerRow) => ({
  id: c.external_id,
  email: c.email,
  name: c.name,
  locale: c.locale,
  time_zone: c.time_zone,
  unsubscribed_at: c.unsubscribed_at,
  bounced_at: c.bounced_at,
  erased_at: c.erased_at,
  created_at: c.created_at,
});

// Entries at the same instant read in the order things happen.
const kindOrder = ['event', 'invitation', 'sent', 'response', 'unsubscribe', 'bounce', 'bounce_cleared', 'erased'];

const parseJson = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
};

/**
 * "Why did this customer get no survey?": every event with its decision,
 * every invitation with its state and times, responses, unsubscribes, bounces
 * and erasure, in time order.
 */
export async function customerTimeline(db: Knex, externalId: string): Promise<{ customer: ReturnType<typeof presentCustomer>; timeline: TimelineEntry[] }> {
  const customer = await findCustomerByExternalId(db, externalId);
  if (!customer) throw new NotFoundError(`No customer has the id ${externalId}`);
  const [records, actions] = await Promise.all([customerRecords(db, customer.id), customerActions(db, customer.id)]);
  const timeline: TimelineEntry[] = [];
  for (const e of records.events) {
    timeline.push({
      kind: 'event',
      at: e.received_at,
      event_id: e.id,
      touchpoint: e.touchpoint,
      survey: e.survey,
      transaction_id: e.transaction_id,
      occurred_at: e.occurred_at,
      source: e.source,
      properties: parseJson(e.properties),
      decision: e.decision,
      reason: e.reason,
      detail: e.reason_detail,
      send_at: e.send_at,
      invitation_id: e.invitation_id,
    });
  }
  for (const i of records.invitations) {
    timeline.push({
      kind: 'invitation',
      at: i.created_at,
      invitation_id: i.id,
      event_id: i.event_id,
      survey: i.survey,
      channel: i.channel,
      locale: i.locale,
      state: i.state,
      send_at: i.send_at,
      sent_at: i.sent_at,
      responded_at: i.responded_at,
      attempts: i.attempts,
      last_error: i.last_error,
      reason: i.reason,
      detail: i.reason_detail,
      updated_at: i.updated_at,
    });
    if (i.sent_at) timeline.push({ kind: 'sent', at: i.sent_at, invitation_id: i.id, survey: i.survey });
  }
  for (const r of records.responses) {
    timeline.push({
      kind: 'response',
      at: r.answered_at,
      response_id: r.id,
      invitation_id: r.invitation_id,
      survey: r.survey,
      metric: r.metric,
      score: r.score,
      comment: r.comment,
      channel: r.channel,
      updated_at: r.updated_at,
    });
  }
  if (customer.unsubscribed_at) timeline.push({ kind: 'unsubscribe', at: customer.unsubscribed_at, scope: 'all' });
  for (const u of records.touchpointUnsubscribes) timeline.push({ kind: 'unsubscribe', at: u.created_at, scope: 'touchpoint', touchpoint: u.touchpoint });
  if (customer.bounced_at) timeline.push({ kind: 'bounce', at: customer.bounced_at, reason: customer.bounce_reason });
  let erasedBy: string | undefined;
  for (const a of actions) {
    if (a.kind === 'erased') erasedBy = a.by;
    if (a.kind !== 'bounce_cleared') continue;
    // The bounce that was cleared, then who cleared it.
    const before = parseJson(a.detail) as { bounced_at?: string; reason?: string | null };
    if (before.bounced_at) timeline.push({ kind: 'bounce', at: before.bounced_at, reason: before.reason ?? null, cleared_at: a.at });
    timeline.push({ kind: 'bounce_cleared', at: a.at, by: a.by, bounced_at: before.bounced_at ?? null });
  }
  if (customer.erased_at) timeline.push({ kind: 'erased', at: customer.erased_at, ...(erasedBy ? { by: erasedBy } : {}) });
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind)));
  return { customer: presentCustomer(customer), timeline };
}

export async function findCustomer(db: Knex, externalId: string) {
  const customer = await findCustomerByExternalId(db, externalId);
  if (!customer) throw new NotFoundError(`No customer has the id ${externalId}`);
  return presentCustomer(customer);
}

// ---------------------------------------------------------------------------
// The customer pages: search, and the timeline as a CX manager reads it.

const reasonExplanations: Record<string, string> = {
  duplicate_event: 'the same transaction had been received before',
  no_active_survey: 'the touchpoint had no active survey',
  too_old: "the event was older than the survey's maximum event age, or came from an import run without --send",
  invalid_contact: 'there is no usable email address',
  erased: 'the customer was erased',
  unsubscribed: 'the customer unsubscribed',
  bounced: 'email to the customer hard-bounced',
  sampled_out: "the survey's sample rate did not pick this transaction",
  cooldown_global: 'the customer was invited or answered recently (global cooldown)',
  cooldown_survey: 'the customer was invited or answered this survey recently (survey cooldown)',
  cap_window: 'the customer reached the most invitations allowed in the rolling window (cap)',
};

const stateNames: Record<string, string> = {
  scheduled: 'scheduled, waiting for its send time',
  sending: 'being sent',
  sent: 'sent',
  responded: 'answered',
  suppressed: 'stopped before sending',
  failed: 'failed',
  expired: 'expired',
};

export interface Fact {
  label: string;
  value: string;
  href?: string;
  /** The value cut where a line may break (the page puts <wbr> between): long ids and addresses fit 320 px. */
  parts?: string[];
}

/** Cuts text after - _ . / @ : and within runs longer than 16 characters, so the page may wrap it there. */
function breakable(text: string): string[] {
  const parts: string[] = [];
  for (const piece of text.split(/(?<=[-_./@:,;])/)) {
    for (let i = 0; i < piece.length; i += 16) parts.push(piece.slice(i, i + 16));
  }
  return parts.length ? parts : [''];
}
export interface TimelineItem {
  kind: string;
  at: string;
  when: string;
  title: string;
  /** Short outcome: "Scheduled", "No survey: cooldown_global" … */
  outcome?: string;
  tone: 'ok' | 'stop' | 'info';
  explanation?: string;
  facts: Fact[];
}

const surveyLink = (key: unknown): Fact | null => (key ? { label: 'Survey', value: String(key), href: `/surveys/${encodeURIComponent(String(key))}` } : null);
const facts = (...list: (Fact | null | false | undefined)[]): Fact[] =>
  list.filter((f): f is Fact => !!f && f.value !== '').map((f) => ({ ...f, parts: breakable(f.value) }));

/** One timeline entry as the page shows it, times in the reporting zone. */
function timelineItem(entry: TimelineEntry, shown: InstantFormat): TimelineItem {
  const when = shownAt(entry.at, shown);
  const time = (label: string, value: unknown): Fact | null => (value ? { label, value: shownAt(String(value), shown) } : null);
  const text = (label: string, value: unknown): Fact | null => (value === null || value === undefined || value === '' ? null : { label, value: String(value) });
  switch (entry.kind) {
    case 'event': {
      const scheduled = entry.decision === 'scheduled';
      const props = entry.properties && typeof entry.properties === 'object' ? Object.entries(entry.properties as Record<string, unknown>) : [];
      return {
        kind: 'event',
        at: entry.at,
        when,
        title: `Event on ${entry.touchpoint}`,
        outcome: scheduled ? 'Invitation scheduled' : `No survey: ${entry.reason}`,
        tone: scheduled ? 'ok' : 'stop',
        explanation: scheduled ? undefined : `No survey because ${reasonExplanations[String(entry.reason)] ?? entry.reason}.`,
        facts: facts(
          text('Transaction', entry.transaction_id),
          time('Occurred', entry.occurred_at),
          surveyLink(entry.survey),
          time('Send time', entry.send_at),
          text(scheduled ? 'Notes' : 'Detail', entry.detail),
          text('Source', entry.source),
          props.length ? { label: 'Properties', value: props.map(([k, v]) => `${k}: ${String(v)}`).join(', ') } : null,
        ),
      };
    }
    case 'invitation': {
      const state = String(entry.state);
      const stopped = state === 'suppressed' || state === 'failed' || state === 'expired';
      return {
        kind: 'invitation',
        at: entry.at,
        when,
        title: `Invitation #${entry.invitation_id}`,
        outcome: stateNames[state] ?? state,
        tone: stopped ? 'stop' : state === 'scheduled' || state === 'sending' ? 'info' : 'ok',
        explanation: state === 'suppressed' && entry.reason ? `Stopped at send time because ${reasonExplanations[String(entry.reason)] ?? entry.reason}.` : undefined,
        facts: facts(
          surveyLink(entry.survey),
          text('Channel', entry.channel),
          text('Language', entry.locale),
          time('Planned for', entry.send_at),
          time('Sent', entry.sent_at),
          time('Answered', entry.responded_at),
          Number(entry.attempts) > 0 ? text('Attempts', entry.attempts) : null,
          text('Last error', entry.last_error),
          text('Detail', entry.detail),
        ),
      };
    }
    case 'sent':
      return { kind: 'sent', at: entry.at, when, title: `Invitation #${entry.invitation_id} sent`, tone: 'ok', facts: facts(surveyLink(entry.survey)) };
    case 'response':
      return {
        kind: 'response',
        at: entry.at,
        when,
        title: `Answer: ${entry.score} (${String(entry.metric).toUpperCase()})`,
        outcome: 'Answered',
        tone: 'ok',
        facts: facts(surveyLink(entry.survey), text('Comment', entry.comment), text('Channel', entry.channel), entry.invitation_id ? text('Invitation', `#${entry.invitation_id}`) : null, time('Last changed', entry.updated_at !== entry.at ? entry.updated_at : null)),
      };
    case 'unsubscribe':
      return {
        kind: 'unsubscribe',
        at: entry.at,
        when,
        title: entry.scope === 'all' ? 'Unsubscribed from all surveys' : `Unsubscribed from the touchpoint ${entry.touchpoint}`,
        outcome: 'Unsubscribed',
        tone: 'stop',
        facts: [],
      };
    case 'bounce':
      return { kind: 'bounce', at: entry.at, when, title: 'Email hard-bounced', outcome: 'Bounced', tone: 'stop', facts: facts(text('Server answer', entry.reason), time('Cleared', entry.cleared_at)) };
    case 'bounce_cleared':
      return {
        kind: 'bounce_cleared',
        at: entry.at,
        when,
        title: 'Hard bounce cleared',
        outcome: 'Email may be sent again',
        tone: 'ok',
        facts: facts(text('Cleared by', entry.by), time('Bounce of', entry.bounced_at)),
      };
    case 'erased':
      return { kind: 'erased', at: entry.at, when, title: 'Customer erased', outcome: 'Erased', tone: 'stop', facts: facts(text('Erased by', entry.by)) };
    default:
      return { kind: entry.kind, at: entry.at, when, title: entry.kind, tone: 'info', facts: [] };
  }
}

/** Now, under the global rules: may this customer get a survey, and if not, until when not and why. */
export interface ContactStatus {
  canBeSurveyed: boolean;
  headline: string;
  reasons: string[];
}

function contactStatus(customer: CustomerRow, history: History, rules: GlobalRules, now: Date, shown: InstantFormat): ContactStatus {
  const refusal = checkCustomer({ ...customer, unsubscribed_from_touchpoint_at: null });
  if (refusal) {
    return { canBeSurveyed: false, headline: `Gets no survey: ${reasonExplanations[refusal.reason]}.`, reasons: [refusal.detail] };
  }
  const reasons: string[] = [];
  let until = 0;
  const latestAt = (list: { at: Date }[]) => list.reduce<Date | null>((best, i) => (!best || i.at > best ? i.at : best), null);
  const lastInvitation = latestAt(history.invitations);
  if (rules.cooldown_after_invitation_days && lastInvitation) {
    const end = lastInvitation.getTime() + rules.cooldown_after_invitation_days * DAY;
    if (end > now.getTime()) {
      until = Math.max(until, end);
      reasons.push(`Global cooldown: last invitation ${shownAt(lastInvitation, shown)}, ${rules.cooldown_after_invitation_days} days.`);
    }
  }
  const lastResponse = latestAt(history.responses);
  if (rules.cooldown_after_response_days && lastResponse) {
    const end = lastResponse.getTime() + rules.cooldown_after_response_days * DAY;
    if (end > now.getTime()) {
      until = Math.max(until, end);
      reasons.push(`Global cooldown after a response: last answer ${shownAt(lastResponse, shown)}, ${rules.cooldown_after_response_days} days.`);
    }
  }
  if (rules.cap) {
    const windowStart = now.getTime() - rules.cap.window_days * DAY;
    const inWindow = history.invitations.map((i) => i.at.getTime()).filter((t) => t > windowStart).sort((a, b) => b - a);
    if (inWindow.length >= rules.cap.count) {
      // Room again once the oldest of the newest `count` leaves the window.
      const end = inWindow[rules.cap.count - 1] + rules.cap.window_days * DAY;
      until = Math.max(until, end);
      reasons.push(`Cap: ${inWindow.length} invitations in the last ${rules.cap.window_days} days; at most ${rules.cap.count}.`);
    }
  }
  if (until > now.getTime()) {
    return { canBeSurveyed: false, headline: `No survey before ${shownAt(new Date(until), shown)}.`, reasons };
  }
  return {
    canBeSurveyed: true,
    headline: 'Can get a survey now under the global rules.',
    reasons: ["Each survey's own cooldowns, its sample rate and touchpoint unsubscribes still apply."],
  };
}

/** Everything the customer page shows, times in the reporting time zone. */
export async function customerPage(db: Knex, externalId: string, now: Date, locale = 'en') {
  const row = await findCustomerByExternalId(db, externalId);
  if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const [{ timeline }, history] = await Promise.all([customerTimeline(db, externalId), customerHistory(db, row.id, countingStates)]);
  const shown: InstantFormat = { timeZone: tz, locale, zone: true };
  const items = timeline.map((entry) => timelineItem(entry, shown));
  const lastEvent = [...items].reverse().find((i) => i.kind === 'event');
  return {
    customer: presentCustomer(row),
    idParts: breakable(row.external_id),
    facts: facts(
      { label: 'Customer id', value: row.external_id },
      { label: 'Email', value: row.email ?? '' },
      { label: 'Name', value: row.name ?? '' },
      { label: 'Language', value: row.locale ?? '' },
      { label: 'Time zone', value: row.time_zone ?? '' },
      { label: 'First seen', value: shownAt(row.created_at, shown) },
    ),
    status: contactStatus(row, history, settings.contact_rules, now, shown),
    bounce: row.bounced_at && !row.erased_at ? { at: row.bounced_at, when: shownAt(row.bounced_at, shown), reason: row.bounce_reason ?? '' } : null,
    unsubscribed: row.unsubscribed_at && !row.erased_at ? { at: row.unsubscribed_at, when: shownAt(row.unsubscribed_at, shown) } : null,
    href: `/customers/${encodeURIComponent(row.external_id)}`,
    lastEvent,
    items,
    timeZone: tz,
  };
}

/** The customers page: a search by external id or email, or the latest seen. */
export async function findCustomers(db: Knex, text: string, now: Date, locale = 'en') {
  const limit = 50;
  const tz = (await getSettings(db)).reporting_time_zone;
  const rows = await searchCustomers(db, text.trim().slice(0, 254), limit + 1);
  return {
    more: rows.length > limit,
    timeZone: tz,
    customers: rows.slice(0, limit).map((c) => ({
      external_id: c.external_id,
      idParts: breakable(c.external_id),
      emailParts: c.email ? breakable(c.email) : [],
      href: `/customers/${encodeURIComponent(c.external_id)}`,
      email: c.email,
      name: c.name,
      state: c.erased_at ? 'erased' : c.unsubscribed_at ? 'unsubscribed' : c.bounced_at ? 'bounced' : '',
      seen: shownAt(c.updated_at, { timeZone: tz, locale, zone: true }),
      seenAt: c.updated_at,
    })),
    now,
  };
}

// ---------------------------------------------------------------------------
// Changes to a customer's record: an editor clears a hard bounce; the API erases.

/** Who did it, as the timeline says it; `audit`: as the audit log says it (with the client address). */
export interface Actor {
  userId: number | null;
  label: string;
  audit?: AuditActor;
}

/**
 * A customer as the audit log names them: by the internal id and an external id that is not personal
 * (an id that is an email is written in its erased form, as erasure would leave it, since audit lines
 * are never changed afterwards).
 */
const customerTarget = (row: Pick<CustomerRow, 'id' | 'external_id'>) => ({
  type: 'customer',
  id: row.id,
  label: externalIdIsPersonal(row.external_id) ? erasedExternalId(row.external_id) : row.external_id,
});

/**
 * An editor says the address works again: the bounce is forgotten (it no
 * longer stops surveys), and the timeline keeps the bounce, who cleared it and when.
 */
export async function clearBounce(deps: Deps, externalId: string, actor: Actor): Promise<{ cleared: boolean }> {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  return writeTransaction(deps.db, async (trx) => {
    const row = await findCustomerByExternalId(trx, externalId);
    if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
    if (row.erased_at) throw new ConflictError('This customer was erased; there is no address to write to');
    await lockCustomer(trx, row.id, nowIso);
    const fresh = (await findCustomerByExternalId(trx, externalId))!;
    if (!fresh.bounced_at) return { cleared: false };
    await insertCustomerAction(trx, {
      customer_id: row.id,
      kind: 'bounce_cleared',
      at: nowIso,
      user_id: actor.userId,
      by: actor.label,
      detail: JSON.stringify({ bounced_at: fresh.bounced_at, reason: fresh.bounce_reason }),
    });
    await clearCustomerBounce(trx, row.id, nowIso);
    if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.bounce_cleared', target: customerTarget(row), detail: { bounced_at: fresh.bounced_at } }, now);
    return { cleared: true };
  });
}

/**
 * Erases the customer's personal data (see eraseCustomerData) and marks them
 * erased: later events for them are recorded as suppressed `erased`, with no
 * properties. Scores stay, so metrics do not change. Erasing twice is a no-op.
 */
export async function eraseCustomer(deps: Deps, externalId: string, actor: Actor) {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const row = await writeTransaction(deps.db, async (trx) => {
    const found = await findCustomerByExternalId(trx, externalId);
    if (!found) throw new NotFoundError(`No customer has the id ${externalId}`);
    await lockCustomer(trx, found.id, nowIso);
    const current = (await findCustomerByExternalId(trx, externalId))!;
    if (current.erased_at) {
      if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.erased', target: customerTarget(current), detail: { already_erased: true } }, now);
      return { ...current, already: true };
    }
    await eraseCustomerData(trx, current, nowIso);
    await insertCustomerAction(trx, { customer_id: current.id, kind: 'erased', at: nowIso, user_id: actor.userId, by: actor.label, detail: '{}' });
    if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.erased', target: customerTarget(current) }, now);
    return { ...(await findCustomerByExternalId(trx, externalId))!, already: false };
  });
  return { customer: presentCustomer(row), already_erased: row.already };
}

const parseJsonColumns = <T extends Record<string, unknown>>(row: T, columns: string[]): T => {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) if (typeof out[c] === 'string') out[c] = parseJson(out[c] as string);
  return out as T;
};

/** Everything stored about one customer (the right of access): the record, events, invitations, responses, unsubscribes, link clicks and actions on the record. */
export async function exportCustomer(deps: Deps, externalId: string, auditActor?: AuditActor) {
  const row = await findCustomerByExternalId(deps.db, externalId);
  if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
  const rows = await customerExportRows(deps.db, row.id);
  // Nothing changes; the line is written before the data leaves.
  if (auditActor) await audit(deps.db, { actor: auditActor, action: 'customer.exported', target: customerTarget(row) }, deps.clock.now());
  const omit = <T extends Record<string, unknown>>(r: T, keys: string[]) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));
  const c = rows.customer;
  return {
    exported_at: toDbTime(deps.clock.now()),
    customer: { ...presentCustomer(c), properties: parseJson(c.properties), bounce_reason: c.bounce_reason, updated_at: c.updated_at },
    events: rows.events.map((e) => omit(parseJsonColumns(e, ['properties']), ['touchpoint_id', 'survey_id', 'customer_id'])),
    invitations: rows.invitations.map((i) => omit(i, ['token_salt', 'token_hash', 'survey_id', 'customer_id', 'claimed_at', 'claimed_by', 'reminder_claimed_at'])),
    responses: rows.responses.map((r) => omit(parseJsonColumns(r, ['properties']), ['survey_id', 'customer_id'])),
    unsubscribes: [
      ...(c.unsubscribed_at ? [{ scope: 'all', touchpoint: null, at: c.unsubscribed_at }] : []),
      ...rows.touchpointUnsubscribes.map((u: { touchpoint: string; created_at: string }) => ({ scope: 'touchpoint', touchpoint: u.touchpoint, at: u.created_at })),
    ],
    link_clicks: rows.linkClicks,
    actions: rows.actions.map((a) => ({ kind: a.kind, at: a.at, by: a.by, detail: parseJson(a.detail) })),
  };
}
