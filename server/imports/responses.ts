import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { metrics, scales, type Survey } from '../surveys/model.ts';
import { insertResponse, type NewResponse } from '../responses/store.ts';
import type { ImportReport } from './report.ts';
import { csvRows, Refusal } from './csv-rows.ts';

const required = ['survey', 'score', 'answered_at'] as const;
const known = new Set<string>([...required, 'comment', 'email', 'customer_id', 'metric']);
const BATCH = 500;
const PROGRESS_EVERY = 500;
const MAX_COMMENT = 5000;

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Row {
  line: number;
  response: NewResponse;
  customer: { externalId: string; email: string | null } | null;
}

/**
 * `touchpoint import responses FILE.csv`: every good row becomes a response
 * (channel `import`), every bad one is refused with its line number and
 * reason. Read as a stream and written in batches, each in one transaction.
 */
export async function importResponses(deps: Deps, file: string, progress: (rows: number) => void): Promise<ImportReport> {
  const { reporting_time_zone: reportingTz } = await getSettings(deps.db);
  const surveys = new Map<string, Survey | null>();
  const report: ImportReport = { taken: 0, refused: [] };
  let batch: Row[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    await writeTransaction(deps.db, async (trx) => {
      const customers = new Map<string, number>();
      for (const row of rows) {
        if (row.customer) row.response.customer_id = await customerId(trx, row.customer, customers, deps.clock.now());
        await insertResponse(trx, row.response, reportingTz);
      }
    });
    report.taken += rows.length;
  };

  let read = 0;
  for await (const { line, fields, problem } of csvRows(file, required, (line, reason) => report.refused.push({ line, reason }))) {
    read++;
    if (!fields) {
      report.refused.push({ line, reason: problem! });
      continue;
    }
    try {
      batch.push({ line, ...(await toRow(deps.db, fields, surveys)) });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      report.refused.push({ line, reason: err.message });
    }
    if (batch.length >= BATCH) await flush();
    if (read % PROGRESS_EVERY === 0) progress(read);
  }
  await flush();
  progress(read);
  return report;
}

async function toRow(db: Knex, fields: Map<string, string>, surveys: Map<string, Survey | null>): Promise<Omit<Row, 'line'>> {
  const key = fields.get('survey') ?? '';
  if (!key) throw new Refusal('survey is empty');
  if (!surveys.has(key)) surveys.set(key, (await findSurveyByKey(db, key)) ?? null);
  const survey = surveys.get(key);
  if (!survey) throw new Refusal(`unknown survey "${key}"`);

  const metric = fields.get('metric');
  if (metric && metric.toLowerCase() !== survey.metric) {
    const what = (metrics as readonly string[]).includes(metric.toLowerCase()) ? `metric ${metric}` : `unknown metric "${metric}"`;
    throw new Refusal(`${what} does not match survey ${survey.key}, which asks ${survey.metric}`);
  }
  const rawScore = fields.get('score') ?? '';
  const scale = scales[survey.metric];
  if (!/^-?\d+$/.test(rawScore)) throw new Refusal(`score "${rawScore}" is not a whole number`);
  const score = Number(rawScore);
  if (score < scale.min || score > scale.max) {
    throw new Refusal(`score ${score} is outside the ${survey.metric.toUpperCase()} scale ${scale.min}–${scale.max}`);
  }
  const rawAt = fields.get('answered_at') ?? '';
  const answeredAt = new Date(rawAt);
  if (!isoInstant.test(rawAt) || Number.isNaN(answeredAt.getTime())) {
    throw new Refusal(`answered_at "${rawAt}" is not an ISO 8601 instant with an offset, such as 2026-03-01T09:30:00Z`);
  }
  const comment = fields.get('comment') || null;
  if (comment && comment.length > MAX_COMMENT) throw new Refusal(`comment is longer than ${MAX_COMMENT} characters`);
  const email = fields.get('email')?.toLowerCase() || null;
  if (email && !emailPattern.test(email)) throw new Refusal(`email "${email}" is not an email address`);
  const externalId = fields.get('customer_id') || email;

  const properties: Record<string, string> = {};
  for (const [name, value] of fields) if (!known.has(name) && name && value !== '') properties[name] = value;
  return {
    response: { survey_id: survey.id, score, comment, channel: 'import', answered_at: answeredAt, properties },
    customer: externalId ? { externalId, email } : null,
  };
}

/** The customer a row names (customer_id, else email), created when new. */
async function customerId(
  trx: Knex.Transaction,
  customer: { externalId: string; email: string | null },
  cache: Map<string, number>,
  now: Date,
): Promise<number> {
  const cached = cache.get(customer.externalId);
  if (cached) return cached;
  let row = await trx('customers').where({ external_id: customer.externalId }).first('id');
  if (!row) {
    const at = toDbTime(now);
    [row] = await trx('customers')
      .insert({ external_id: customer.externalId, email: customer.email, created_at: at, updated_at: at })
      .returning('id');
  }
  const id = Number(typeof row === 'object' ? row.id : row);
  cache.set(customer.externalId, id);
  return id;
}
