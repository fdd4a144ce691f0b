import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { metrics, scales, type Survey } from '../surveys/model.ts';
import { insertResponse, type NewResponse } from '../responses/store.ts';
import type { ImportReport } from './report.ts';

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

class Refusal extends Error {}

/**
 * `touchpoint import responses FILE.csv`: every good row becomes a response
 * (channel `import`), every bad one is refused with its line number and
 * reason. Read as a stream and written in batches, each in one transaction.
 */
export async function importResponses(deps: Deps, file: string, progress: (rows: number) => void): Promise<ImportReport> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw ValidationError.field('file', `no such file: ${file}`);
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

  const parser = fs.createReadStream(file).pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  let header: string[] | null = null;
  let read = 0;
  let lastLine = 0;
  let lastEmpty = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = lastLine + 1 + (info.empty_lines - lastEmpty);
      lastLine = info.lines;
      lastEmpty = info.empty_lines;
      if (!header) {
        header = record.map((h) => h.trim());
        const missing = required.filter((c) => !header!.includes(c));
        if (missing.length) throw ValidationError.field('columns', `the file lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
        continue;
      }
      read++;
      try {
        batch.push({ line, ...(await toRow(deps.db, header, record, surveys)) });
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        report.refused.push({ line, reason: err.message });
      }
      if (batch.length >= BATCH) await flush();
      if (read % PROGRESS_EVERY === 0) progress(read);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    report.refused.push({ line: lastLine + 1, reason: `the file is not valid CSV from here on (${err.message}); the rest was not read` });
  }
  await flush();
  progress(read);
  return report;
}

async function toRow(db: Knex, header: string[], record: string[], surveys: Map<string, Survey | null>): Promise<Omit<Row, 'line'>> {
  if (record.length !== header.length) throw new Refusal(`has ${record.length} fields, the header has ${header.length}`);
  const fields = new Map(header.map((name, i) => [name, record[i].trim()]));
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
