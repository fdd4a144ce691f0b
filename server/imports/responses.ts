import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { MINUTE } from '../clock.ts';
import { isIsoInstant } from '../dates.ts';
import { toDbTime } from '../db/time.ts';
import { isUniqueViolation, writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { metrics, scales, type Survey } from '../surveys/model.ts';
import { insertResponse, type NewResponse } from '../responses/store.ts';
import { auditImport, type ImportReport } from './report.ts';
import { csvRows, Refusal } from './csv-rows.ts';

const required = ['survey', 'score', 'answered_at'] as const;
const known = new Set<string>([...required, 'comment', 'email', 'customer_id', 'metric', 'response_id']);
const BATCH = 500;
const PROGRESS_EVERY = 500;
const MAX_COMMENT = 5000;
const MAX_RESPONSE_ID = 200;
/** Clocks differ a little: an answer up to this far ahead of now is still taken. */
const FUTURE_SKEW = 5 * MINUTE;
/** Tries of a batch that met another import writing the same keys at the same time. */
const MAX_TRIES = 3;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

interface Row {
  line: number;
  response: NewResponse;
  customer: { externalId: string; email: string | null } | null;
  /** responses.import_key: the same answer always has the same key. */
  key: string;
}

export interface ImportResponsesOptions {
  /** Check every row, the already-imported check included, and write nothing. */
  dryRun?: boolean;
}

/**
 * The key that makes an import idempotent. With the file's own response_id:
 * `id:SURVEY_ID:VALUE` (per survey; the colons keep it apart from derived
 * keys). Without one: a SHA-256 hex of the survey, the customer
 * (customer_id, else the lower-cased email) and the UTC instant answered;
 * a row naming no customer adds its score, comment and properties, so two
 * different anonymous answers given in the same second (or minute, as some
 * exports write it) are not taken for one.
 */
function responseImportKey(row: {
  surveyId: number;
  responseId: string | null;
  customer: string | null;
  answeredAt: Date;
  score: number;
  comment: string | null;
  properties: Record<string, string>;
}): string {
  if (row.responseId) return `id:${row.surveyId}:${row.responseId}`;
  const parts: unknown[] = [row.surveyId, row.customer ?? '', row.answeredAt.toISOString()];
  if (!row.customer) parts.push(row.score, row.comment ?? '', Object.entries(row.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * `touchpoint import responses FILE.csv`: every good row becomes a response
 * (channel `import`), every bad one is refused with its line number and
 * reason. A row whose key (see responseImportKey) was imported before, or
 * came earlier in the same file, is skipped: importing a file again adds
 * nothing. Read as a stream and written in batches, each in one transaction.
 * With `dryRun`, every check runs and nothing is written.
 */
export async function importResponses(
  deps: Deps,
  file: string,
  progress: (rows: number) => void,
  options: ImportResponsesOptions = {},
): Promise<ImportReport> {
  const report: ImportReport = { taken: 0, refused: [], skipped: 0, ...(options.dryRun ? { dryRun: true } : {}) };
  const flags = { dry_run: !!options.dryRun };
  try {
    await readResponses(deps, file, progress, options, report);
  } catch (error) {
    await auditImport(deps, 'import.responses', file, flags, { error, report }).catch(() => {});
    throw error;
  }
  await auditImport(deps, 'import.responses', file, flags, { report });
  return report;
}

async function readResponses(deps: Deps, file: string, progress: (rows: number) => void, options: ImportResponsesOptions, report: ImportReport): Promise<void> {
  const dryRun = !!options.dryRun;
  const { reporting_time_zone: reportingTz } = await getSettings(deps.db);
  const now = deps.clock.now();
  const surveys = new Map<string, Survey | null>();
  // A dry run writes nothing, so it remembers every key it would have taken; an import finds them in the table.
  const takenInRun = new Set<string>();
  let batch: Row[] = [];

  /** The batch's rows not imported before (nor earlier in the batch, or in a dry run earlier in the file). */
  const fresh = async (db: Knex, rows: Row[]): Promise<Row[]> => {
    const existing = new Set<string>(
      (await db('responses').whereIn('import_key', [...new Set(rows.map((r) => r.key))]).pluck('import_key')) as string[],
    );
    const seen = new Set<string>();
    return rows.filter((row) => {
      if (existing.has(row.key) || seen.has(row.key) || takenInRun.has(row.key)) return false;
      seen.add(row.key);
      return true;
    });
  };

  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    let taken: Row[];
    if (dryRun) {
      taken = await fresh(deps.db, rows);
      for (const row of taken) takenInRun.add(row.key);
    } else {
      for (let tries = 1; ; tries++) {
        try {
          taken = await writeTransaction(deps.db, async (trx) => {
            const take = await fresh(trx, rows);
            const customers = new Map<string, number>();
            for (const row of take) {
              if (row.customer) row.response.customer_id = await customerId(trx, row.customer, customers, now);
              await insertResponse(trx, { ...row.response, import_key: row.key }, reportingTz);
            }
            return take;
          });
          break;
        } catch (err) {
          // Another import took one of these keys meanwhile (PostgreSQL): the batch rolled back; look again.
          if (!isUniqueViolation(err) || tries >= MAX_TRIES) throw err;
        }
      }
    }
    report.taken += taken.length;
    report.skipped! += rows.length - taken.length;
  };

  let read = 0;
  for await (const { line, fields, problem } of csvRows(file, required, (row) => report.refused.push(row))) {
    read++;
    if (!fields) {
      report.refused.push(problem!);
      continue;
    }
    try {
      batch.push({ line, ...(await toRow(deps.db, fields, surveys, now)) });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      report.refused.push({ line, reason: err.message, text: err.text });
    }
    if (batch.length >= BATCH) await flush();
    if (read % PROGRESS_EVERY === 0) progress(read);
  }
  await flush();
  progress(read);
}

async function toRow(db: Knex, fields: Map<string, string>, surveys: Map<string, Survey | null>, now: Date): Promise<Omit<Row, 'line'>> {
  const key = fields.get('survey') ?? '';
  if (!key) throw new Refusal('cli.refused_survey_empty');
  if (!surveys.has(key)) surveys.set(key, (await findSurveyByKey(db, key)) ?? null);
  const survey = surveys.get(key);
  if (!survey) throw new Refusal('cli.refused_unknown_survey', { key });

  const metric = fields.get('metric');
  if (metric && metric.toLowerCase() !== survey.metric) {
    const known = (metrics as readonly string[]).includes(metric.toLowerCase());
    throw new Refusal(known ? 'cli.refused_metric_mismatch' : 'cli.refused_unknown_metric', { metric, survey: survey.key, asks: survey.metric });
  }
  const rawScore = fields.get('score') ?? '';
  const scale = scales[survey.metric];
  if (!/^-?\d+$/.test(rawScore)) throw new Refusal('cli.refused_score_not_whole', { score: rawScore });
  const score = Number(rawScore);
  if (score < scale.min || score > scale.max) {
    throw new Refusal('cli.refused_score_outside', { score, scale: survey.metric.toUpperCase(), min: scale.min, max: scale.max });
  }
  const rawAt = fields.get('answered_at') ?? '';
  const answeredAt = new Date(rawAt);
  if (!isIsoInstant(rawAt)) {
    throw new Refusal('cli.refused_answered_at_format', { value: rawAt });
  }
  if (answeredAt.getTime() > now.getTime() + FUTURE_SKEW) {
    throw new Refusal('cli.refused_answered_at_future', { value: rawAt, now: now.toISOString() });
  }
  const responseId = fields.get('response_id') || null;
  if (responseId && responseId.length > MAX_RESPONSE_ID) throw new Refusal('cli.refused_response_id_long', { max: MAX_RESPONSE_ID });
  if (responseId && CONTROL.test(responseId)) throw new Refusal('cli.refused_response_id_control');
  const comment = fields.get('comment') || null;
  if (comment && comment.length > MAX_COMMENT) throw new Refusal('cli.refused_comment_long', { max: MAX_COMMENT });
  const email = fields.get('email')?.toLowerCase() || null;
  if (email && !emailPattern.test(email)) throw new Refusal('cli.refused_email', { email });
  const externalId = fields.get('customer_id') || email;

  const properties: Record<string, string> = {};
  for (const [name, value] of fields) if (!known.has(name) && name && value !== '') properties[name] = value;
  return {
    response: { survey_id: survey.id, score, comment, channel: 'import', answered_at: answeredAt, properties },
    customer: externalId ? { externalId, email } : null,
    key: responseImportKey({ surveyId: survey.id, responseId, customer: externalId, answeredAt, score, comment, properties }),
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
