import { pageView, type PageView } from '../http/paging.ts';
import { z } from 'zod';
import { addDays, localMidnight, pageInstants, type InstantFormat } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import { blankToUndefined, calendarDateParam, pageNumberSchema, parseInput } from '../validation.ts';
import { getSettings } from '../settings/service.ts';
import { keySchema, type Survey } from '../surveys/model.ts';
import { findSurveyByKey, listSurveys } from '../surveys/queries.ts';
import { countDeliveries, listDeliveries, type DeliveryFilter, type DeliveryListRow } from './queries.ts';
import { invitationStates } from '../invitations/states.ts';
import { reminderStatus, time, type ShownTime } from './reminder-status.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** The delivery log: invitations filtered by survey, state and local dates, a page at a time. */

const PAGE_SIZE = 50;

/** The delivery log's filters, all in the URL (a GET form), so a view can be bookmarked. */
const deliveryQuerySchema = z.object({
  survey: z.preprocess(blankToUndefined, keySchema.optional()),
  state: z.preprocess(blankToUndefined, z.enum(invitationStates, `must be one of ${invitationStates.join(', ')}`).optional()),
  from: calendarDateParam,
  to: calendarDateParam,
  page: pageNumberSchema,
});

interface DeliveryListItem {
  id: number;
  survey_key: string;
  touchpoint_name: string;
  email: string | null;
  state: string;
  channel: string;
  sendTime: ShownTime;
  /** "sent" or "scheduled" (in the page's language): which time the row shows. */
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

function listItem(row: DeliveryListRow, surveysByKey: Map<string, Survey>, shown: InstantFormat, locale: Locale): DeliveryListItem {
  const sent = row.sent_at !== null;
  return {
    id: row.id,
    survey_key: row.survey_key,
    touchpoint_name: row.touchpoint_name,
    email: row.email,
    state: row.state,
    channel: row.channel,
    // The zone is named once above the list, not in every one-line row.
    sendTime: time(row.sent_at ?? row.send_at, { ...shown, zone: false })!,
    sendKind: t(locale, 'deliveries.state', { state: sent ? 'sent' : 'scheduled' }),
    attempts: row.attempts,
    last_error: row.last_error,
    reminder: reminderStatus(row, surveysByKey.get(row.survey_key), shown, locale),
  };
}

/** One page of the delivery log: every invitation, newest send time first, filtered. */
export async function deliveryLog(deps: Deps, rawQuery: unknown, locals: Record<string, unknown> = {}): Promise<DeliveryLog> {
  const query = parseInput(deliveryQuerySchema, rawQuery);
  const { db } = deps;
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const shown = pageInstants(tz, locals);
  const locale = localeOf(locals);
  if (query.from && query.to && query.from > query.to) throw ValidationError.field('to', 'must not be before from');
  const filter: DeliveryFilter = { state: query.state };
  if (query.survey) {
    const survey = await findSurveyByKey(db, query.survey);
    if (!survey) throw ValidationError.field('survey', `no survey has the key "${query.survey}"`);
    filter.surveyId = survey.id;
  }
  if (query.from) filter.fromIso = localMidnight(query.from, tz).toISOString();
  if (query.to) filter.beforeIso = localMidnight(addDays(query.to, 1), tz).toISOString();

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
    items: rows.map((row) => listItem(row, surveysByKey, shown, locale)),
    total,
    timeZone: tz,
    surveys: surveys.map((s) => ({ key: s.key, label: `${s.key} (${s.touchpoint_name})`, selected: s.key === query.survey })),
    states: invitationStates.map((value) => ({ value, selected: value === query.state })),
    totalText: t(locale, 'common.invitations', { count: total }),
    ...pageView(page, PAGE_SIZE, total, rows.length, link),
  };
}
