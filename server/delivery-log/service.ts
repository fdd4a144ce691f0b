import { pageView, type PageView } from '../http/paging.ts';
import { z } from 'zod';
import { formatInstant, formatNumber, pageInstants, readerLocale, type InstantFormat } from '../dates.ts';
import { TZDate } from '@date-fns/tz';
import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { answerReasonTexts, answersOfInvitation } from '../responses/answer-queries.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { blankToUndefined, calendarDateParam, pageNumberSchema, parseInput } from '../validation.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { keySchema, type Survey } from '../surveys/model.ts';
import { findSurveyById, findSurveyByKey, listSurveys } from '../surveys/queries.ts';
import { findCustomerById } from '../customers/queries.ts';
import { renderInvitation } from '../sending/render.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import {
  countDeliveries,
  findDelivery,
  findEvent,
  findResponse,
  findTouchpointUnsubscribe,
  listClicks,
  listDeliveries,
  type DeliveryFilter,
  type DeliveryListRow,
  type DeliveryRow,
} from './queries.ts';
import { INERT_TOKEN } from '../tokens.ts';

const PAGE_SIZE = 50;
const invitationStates = ['scheduled', 'sending', 'sent', 'responded', 'suppressed', 'failed', 'expired'] as const;

/** The delivery log's filters, all in the URL (a GET form), so a view can be bookmarked. */
const deliveryQuerySchema = z.object({
  survey: z.preprocess(blankToUndefined, keySchema.optional()),
  state: z.preprocess(blankToUndefined, z.enum(invitationStates, `must be one of ${invitationStates.join(', ')}`).optional()),
  from: calendarDateParam,
  to: calendarDateParam,
  page: pageNumberSchema,
});

/** The first instant of a local calendar date in `timeZone`. */
function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(new TZDate(y, m - 1, d, 0, 0, 0, timeZone).getTime());
}

const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

export interface ShownTime {
  iso: string;
  text: string;
}
const time = (iso: string | null | undefined, shown: InstantFormat): ShownTime | null => (iso ? { iso, text: formatInstant(iso, shown) } : null);

/** Where the reminder of an invitation stands, in a few words; null when its survey sends none. */
function reminderStatus(
  row: Pick<DeliveryRow, 'state' | 'sent_at' | 'expires_at' | 'reminder_state' | 'reminder_sent_at' | 'reminder_next_attempt_at' | 'reminder_detail' | 'reminder_last_error'>,
  survey: Pick<Survey, 'rules'> | undefined,
  shown: InstantFormat,
): { code: string; text: string; at: ShownTime | null; detail: string | null } | null {
  switch (row.reminder_state) {
    case 'sent':
      return { code: 'sent', text: 'sent', at: time(row.reminder_sent_at, shown), detail: null };
    case 'sending':
      return { code: 'sending', text: 'sending', at: null, detail: null };
    case 'suppressed':
      return { code: 'suppressed', text: `not sent (${(row.reminder_detail ?? '').split(':')[0]})`, at: null, detail: row.reminder_detail };
    case 'failed':
      return { code: 'failed', text: 'failed', at: null, detail: row.reminder_last_error };
  }
  const days = survey?.rules.reminder_after_days;
  if (!days) return null;
  if (row.state === 'sent' && row.sent_at) {
    const due = new Date(new Date(row.sent_at).getTime() + days * DAY).toISOString();
    const at = row.reminder_next_attempt_at && row.reminder_next_attempt_at > due ? row.reminder_next_attempt_at : due;
    if (row.expires_at && row.expires_at <= at) return { code: 'expired', text: 'none (the link expires first)', at: null, detail: null };
    return { code: 'due', text: 'due', at: time(at, shown), detail: row.reminder_last_error };
  }
  if (row.state === 'scheduled' || row.state === 'sending') {
    return { code: 'planned', text: `${days} ${days === 1 ? 'day' : 'days'} after sending, if unanswered`, at: null, detail: null };
  }
  return { code: 'none', text: 'none', at: null, detail: null };
}

interface DeliveryListItem {
  id: number;
  survey_key: string;
  touchpoint_name: string;
  email: string | null;
  state: string;
  channel: string;
  sendTime: ShownTime;
  /** "sent" or "scheduled": which time the row shows. */
  sendKind: string;
  attempts: number;
  last_error: string | null;
  reminder: ReturnType<typeof reminderStatus>;
}

export interface DeliveryLog extends PageView {
  filters: { survey: string; state: string; from: string; to: string };
  items: DeliveryListItem[];
  total: number;
  timeZone: string;
  surveys: { key: string; label: string; selected: boolean }[];
  states: { value: string; selected: boolean }[];
  /** "53 invitations", the number in the reader's locale. */
  totalText: string;
}

function listItem(row: DeliveryListRow, surveysByKey: Map<string, Survey>, shown: InstantFormat): DeliveryListItem {
  const sent = row.sent_at !== null;
  return {
    id: row.id,
    survey_key: row.survey_key,
    touchpoint_name: row.touchpoint_name,
    email: row.email,
    state: row.state,
    channel: row.channel,
    sendTime: time(row.sent_at ?? row.send_at, shown)!,
    sendKind: sent ? 'sent' : 'scheduled',
    attempts: row.attempts,
    last_error: row.last_error,
    reminder: reminderStatus(row, surveysByKey.get(row.survey_key), shown),
  };
}

/** One page of the delivery log: every invitation, newest send time first, filtered. */
export async function deliveryLog(deps: Deps, rawQuery: unknown, locals: Record<string, unknown> = {}): Promise<DeliveryLog> {
  const query = parseInput(deliveryQuerySchema, rawQuery);
  const { db } = deps;
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const shown = pageInstants(tz, locals);
  if (query.from && query.to && query.from > query.to) throw ValidationError.field('to', 'must not be before from');
  const filter: DeliveryFilter = { state: query.state };
  if (query.survey) {
    const survey = await findSurveyByKey(db, query.survey);
    if (!survey) throw ValidationError.field('survey', `no survey has the key "${query.survey}"`);
    filter.surveyId = survey.id;
  }
  if (query.from) filter.fromIso = startOfLocalDay(query.from, tz).toISOString();
  if (query.to) filter.beforeIso = startOfLocalDay(nextDay(query.to), tz).toISOString();

  const page = query.page ?? 1;
  const [rows, total, surveys] = await Promise.all([
    listDeliveries(db, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE),
    countDeliveries(db, filter),
    listSurveys(db),
  ]);
  const surveysByKey = new Map(surveys.map((s) => [s.key, s]));
  const filters = { survey: query.survey ?? '', state: query.state ?? '', from: query.from ?? '', to: query.to ?? '' };
  const link = (n: number) => {
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
    if (n > 1) params.set('page', String(n));
    const text = params.toString();
    return text ? `?${text}` : '?';
  };
  return {
    filters,
    items: rows.map((row) => listItem(row, surveysByKey, shown)),
    total,
    timeZone: tz,
    surveys: surveys.map((s) => ({ key: s.key, label: `${s.key} (${s.touchpoint_name})`, selected: s.key === query.survey })),
    states: invitationStates.map((value) => ({ value, selected: value === query.state })),
    totalText: `${formatNumber(total, readerLocale(locals))} ${total === 1 ? 'invitation' : 'invitations'}`,
    ...pageView(page, PAGE_SIZE, total, rows.length, link),
  };
}

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

const propertyList = (json: string | null | undefined): { name: string; value: string }[] => {
  try {
    const parsed = JSON.parse(json || '{}') as Record<string, unknown>;
    return Object.entries(parsed).map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) }));
  } catch {
    return [{ name: '(unreadable)', value: String(json) }];
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
  const at = (iso: string | null | undefined) => time(iso, shown);

  let email = null;
  if (survey && customer) {
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
    reminder: reminderStatus(row, survey, shown),
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
      ? { ...event, occurred: at(event.occurred_at), received: at(event.received_at), planned: at(event.send_at), propertyList: propertyList(event.properties) }
      : null,
    clicks: clicks.map((c) => ({ ...c, when: at(c.at), automated: c.kind !== 'open' || c.signal !== null })),
    answers: answers.map((a) => ({
      id: a.id,
      score: a.score,
      comment: a.comment,
      state: a.state,
      why: answerReasonTexts[a.reason] ?? a.reason,
      how: `${a.trigger}${a.input ? ` after ${a.input} input` : ', no input'}`,
      when: at(a.answered_at),
      settles: a.state === 'held' ? at(a.settles_at) : null,
      secondsSinceSent: a.seconds_since_sent,
    })),
    response: response ? { ...response, answered: at(response.answered_at), updated: at(response.updated_at) } : null,
    email,
    timeZone: tz,
  };
}
