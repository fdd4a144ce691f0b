import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { addDays, formatInstant, localDate, localMidnight, pageInstants, type InstantFormat } from '../dates.ts';
import { ValidationError } from '../errors.ts';
import { pageView, type PageView } from '../http/paging.ts';
import { blankToUndefined, calendarDateParam, pageNumberSchema, parseInput } from '../validation.ts';
import { getSettings } from '../settings/service.ts';
import { erasedExternalId } from '../customers/queries.ts';
import { CSV_BOM, csvLine } from '../http/csv.ts';
import { auditActions, countAudit, eachAuditPage, listAudit, type AuditFilter, type AuditRow } from './queries.ts';
import { actionSentence, actorText, parseDetail, valueText } from './sentences.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** The Audit page (/audit, admins) and its CSV (/audit.csv): the same filters, all in the URL. */

const AUDIT_PAGE_SIZE = 50;

const text = (what: string) =>
  z.preprocess(blankToUndefined, z.string(`must be text: part of ${what}`).trim().max(254, 'must be at most 254 characters').optional());

/** The filters: action (one, or a prefix ending in a dot such as auth.), actor and target (part of), from and to (dates in the reporting time zone), page. */
const auditQuerySchema = z.object({
  action: z.preprocess(
    blankToUndefined,
    z
      .string('must be an action such as settings.changed')
      .trim()
      .max(64, 'must be at most 64 characters')
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.|\.\*)?$/, 'must be an action such as settings.changed, or a prefix such as auth.')
      .transform((v) => v.replace(/\.\*$/, '.'))
      .optional(),
  ),
  actor: text("a user's email or an API key's name"),
  target: text('an email, a survey key or a customer id'),
  from: calendarDateParam,
  to: calendarDateParam,
  page: pageNumberSchema,
});
type AuditQuery = z.infer<typeof auditQuerySchema>;


/** The query as a database filter; dates are days in the reporting time zone. */
function auditFilter(query: AuditQuery, timeZone: string): AuditFilter {
  if (query.from && query.to && query.from > query.to) throw ValidationError.field('to', 'must not be before from');
  const filter: AuditFilter = {};
  if (query.action) filter.action = query.action;
  if (query.actor) filter.actor = query.actor;
  if (query.target) {
    // A customer whose id is an email is named in the log by the id's erased form, never by the email.
    filter.target = query.target.includes('@') ? [query.target, erasedExternalId(query.target.toLowerCase())] : [query.target];
  }
  if (query.from) filter.fromIso = localMidnight(query.from, timeZone).toISOString();
  if (query.to) filter.beforeIso = localMidnight(addDays(query.to, 1), timeZone).toISOString();
  return filter;
}

interface AuditItem {
  id: number;
  when: { iso: string; text: string };
  who: string;
  actorType: string;
  /** The client address, or null (the command line, the worker). */
  where: string | null;
  sentence: string;
  action: string;
  detail: { name: string; value: string }[];
}

/** The detail of a line as name/value pairs; changes read "from → to". */
function detailItems(row: AuditRow, locale: Locale): { name: string; value: string }[] {
  const detail = parseDetail(row.detail);
  const items: { name: string; value: string }[] = [];
  if (row.target_type) items.push({ name: row.target_type, value: [row.target_label, row.target_id && row.target_id !== row.target_label ? `#${row.target_id}` : null].filter(Boolean).join(' ') || '–' });
  for (const [name, value] of Object.entries(detail)) {
    if (row.target_type === name && value === row.target_label) continue;
    if (name === 'changes' && value && typeof value === 'object') {
      for (const [key, change] of Object.entries(value as Record<string, { from?: unknown; to?: unknown }>)) {
        items.push({ name: key, value: `${valueText(change?.from, locale)} → ${valueText(change?.to, locale)}` });
      }
    } else {
      items.push({ name, value: typeof value === 'string' ? value : value === null ? '–' : valueText(value, locale) });
    }
  }
  return items;
}

/** One line as the page shows it, in the reader's language (the CSV keeps English). */
function item(row: AuditRow, shown: InstantFormat, locale: Locale): AuditItem {
  return {
    id: row.id,
    when: { iso: row.at, text: formatInstant(row.at, shown) },
    who: actorText(row, locale),
    actorType: row.actor_type,
    where: row.ip,
    sentence: actionSentence(row, parseDetail(row.detail), locale),
    action: row.action,
    detail: detailItems(row, locale),
  };
}

interface Option {
  value: string;
  label: string;
  selected: boolean;
}

/** The action filter's choices: every action present, and each area's prefix (auth. …). */
async function actionOptions(deps: Deps, selected: string, locale: Locale): Promise<Option[]> {
  const actions = await auditActions(deps.db);
  const areas = [...new Set(actions.map((a) => a.split('.')[0]))];
  const options: Option[] = [{ value: '', label: t(locale, 'audit.all_actions'), selected: selected === '' }];
  for (const area of areas) {
    options.push({ value: `${area}.`, label: t(locale, 'audit.every_action', { area }), selected: selected === `${area}.` });
    for (const action of actions.filter((a) => a.split('.')[0] === area)) options.push({ value: action, label: action, selected: selected === action });
  }
  if (selected && !options.some((o) => o.value === selected)) options.push({ value: selected, label: selected, selected: true });
  return options;
}

type Filters = { action: string; actor: string; target: string; from: string; to: string };

const queryString = (filters: Filters, page = 1): string => {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  if (page > 1) params.set('page', String(page));
  return params.toString();
};

export interface AuditPage extends PageView {
  filters: Filters;
  items: AuditItem[];
  total: number;
  totalText: string;
  timeZone: string;
  retentionDays: number;
  actions: Option[];
  csvLink: string;
}

/** One page of the audit log, newest first, filtered. */
export async function auditPage(deps: Deps, rawQuery: unknown, locals: Record<string, unknown> = {}): Promise<AuditPage> {
  const query = parseInput(auditQuerySchema, rawQuery);
  const settings = await getSettings(deps.db);
  const tz = settings.reporting_time_zone;
  const filter = auditFilter(query, tz);
  const page = query.page ?? 1;
  const [rows, total, actions] = await Promise.all([
    listAudit(deps.db, filter, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE),
    countAudit(deps.db, filter),
    actionOptions(deps, query.action ?? '', localeOf(locals)),
  ]);
  const shown = pageInstants(tz, locals);
  const locale = localeOf(locals);
  const filters: Filters = { action: query.action ?? '', actor: query.actor ?? '', target: query.target ?? '', from: query.from ?? '', to: query.to ?? '' };
  const csvQuery = queryString(filters);
  return {
    filters,
    items: rows.map((row) => item(row, shown, locale)),
    total,
    totalText: t(locale, 'audit.lines', { count: total }),
    timeZone: tz,
    retentionDays: settings.audit_retention_days,
    actions,
    csvLink: `/audit.csv${csvQuery ? `?${csvQuery}` : ''}`,
    ...pageView(page, AUDIT_PAGE_SIZE, total, rows.length, (n) => `?${queryString(filters, n)}`),
  };
}

/** The page when the filters were refused: the form with the values as typed and each error beside its field. */
export async function refusedAuditPage(deps: Deps, rawQuery: unknown, err: ValidationError, locale: Locale = 'en') {
  const raw = (rawQuery && typeof rawQuery === 'object' ? rawQuery : {}) as Record<string, unknown>;
  const typed = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : '');
  const errors: Record<string, string> = {};
  for (const e of err.errors) errors[e.field] ??= e.message;
  const settings = await getSettings(deps.db);
  return {
    filters: { action: typed('action'), actor: typed('actor'), target: typed('target'), from: typed('from'), to: typed('to') },
    errors,
    formError: t(locale, 'audit.refused', { message: err.message }),
    refused: true,
    timeZone: settings.reporting_time_zone,
    retentionDays: settings.audit_retention_days,
    actions: await actionOptions(deps, /^[a-z0-9_.]{1,64}$/.test(typed('action')) ? typed('action') : '', locale),
  };
}

const AUDIT_CSV_COLUMNS = ['id', 'at', 'local_time', 'actor_type', 'actor_id', 'actor', 'ip', 'action', 'what', 'target_type', 'target_id', 'target', 'detail'];

/** The CSV's file name: audit-log-2026-11-23.csv (the reporting time zone's date). */
export async function auditCsvName(deps: Deps): Promise<string> {
  const { reporting_time_zone: tz } = await getSettings(deps.db);
  return `audit-log-${localDate(deps.clock.now(), tz)}.csv`;
}

/**
 * Checks the filters (a ValidationError before anything is written) and returns the writer of every
 * matching line, newest first, in pages: memory stays flat however long the log.
 */
export async function auditCsv(deps: Deps, rawQuery: unknown, locals: Record<string, unknown> = {}): Promise<(write: (chunk: string) => Promise<void>) => Promise<void>> {
  const { page: _page, ...query } = parseInput(auditQuerySchema, rawQuery);
  const { reporting_time_zone: tz } = await getSettings(deps.db);
  const filter = auditFilter(query, tz);
  const shown: InstantFormat = { ...pageInstants(tz, locals), style: 'datetime' };
  return async (write) => {
    await write(CSV_BOM + csvLine(AUDIT_CSV_COLUMNS));
    for await (const rows of eachAuditPage(deps.db, filter)) {
      let chunk = '';
      for (const row of rows) {
        chunk += csvLine([
          row.id,
          row.at,
          formatInstant(row.at, shown),
          row.actor_type,
          row.actor_id,
          actorText(row),
          row.ip,
          row.action,
          actionSentence(row),
          row.target_type,
          row.target_id,
          row.target_label,
          row.detail,
        ]);
      }
      await write(chunk);
    }
  };
}
