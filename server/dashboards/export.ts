import type { Knex } from 'knex';
import type { Survey } from '../surveys/model.ts';
import { responsesAfter } from '../metrics/queries.ts';
import type { Period } from '../metrics/range.ts';
import type { PropertyFilter } from '../metrics/property-filter.ts';
import type { ReportBucket } from '../metrics/report.ts';
import { CSV_BOM, csvLine } from '../http/csv.ts';

const PAGE = 2000;

async function eachPage(
  db: Knex,
  surveyId: number,
  period: Period,
  where: PropertyFilter[],
  visit: (rows: Awaited<ReturnType<typeof responsesAfter>>) => void,
): Promise<void> {
  for (let afterId = 0; ; ) {
    const rows = await responsesAfter(db, { surveyId, period, where, afterId, limit: PAGE });
    if (rows.length === 0) return;
    visit(rows);
    afterId = Number(rows[rows.length - 1].id);
    if (rows.length < PAGE) return;
  }
}

const parse = (text: string): Record<string, unknown> => {
  try {
    const value = JSON.parse(text || '{}');
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
};

/**
 * responses.csv: every response of the period, one column per property seen
 * in the period. Two passes in id order: property names first, then the rows,
 * so memory stays flat however long the period.
 */
export async function writeResponsesCsv(db: Knex, survey: Survey, period: Period, where: PropertyFilter[], write: (chunk: string) => void): Promise<void> {
  const names = new Set<string>();
  await eachPage(db, survey.id, period, where, (rows) => {
    for (const r of rows) for (const k of Object.keys(parse(r.properties))) names.add(k);
  });
  const properties = [...names].sort();
  const columns = ['id', 'survey', 'metric', 'score', 'comment', 'channel', 'locale', 'answered_at'];
  // A property named like a column (channel) gets a prefix rather than a second column of the same name.
  const headers = properties.map((k) => (columns.includes(k) ? `property.${k}` : k));
  write(CSV_BOM + csvLine([...columns, ...headers]));
  await eachPage(db, survey.id, period, where, (rows) => {
    let chunk = '';
    for (const r of rows) {
      const props = parse(r.properties);
      chunk += csvLine([Number(r.id), r.survey, survey.metric, Number(r.score), r.comment, r.channel, r.locale, r.answered_at, ...properties.map((k) => props[k])]);
    }
    write(chunk);
  });
}

/** series.csv: the buckets the page shows, with the figures of the metric, the 95 % band and the response rate of the invitations sent in each. */
export function seriesCsv(survey: Survey, buckets: ReportBucket[]): string {
  const trailing = ['low95', 'high95', 'sent', 'responded', 'rate', 'too_small'];
  const figures = Object.keys(buckets[0] ?? {}).filter((k) => k !== 'start' && !trailing.includes(k));
  const fields = figures.length ? figures : ['n', 'score', 'moe95'];
  let text = CSV_BOM + csvLine(['start', 'survey', 'metric', ...fields, 'low95', 'high95', 'sent', 'responded', 'response_rate', 'too_small']);
  for (const b of buckets) {
    const row = b as unknown as Record<string, number | boolean | null>;
    text += csvLine([b.start, survey.key, survey.metric, ...fields.map((k) => row[k]), b.low95, b.high95, b.sent, b.responded, b.rate, b.too_small]);
  }
  return text;
}
