import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { checkEvent, receiveEvent } from '../events/service.ts';
import { auditImport, refusedRow, type ImportReport } from './report.ts';
import { csvRows } from './csv-rows.ts';

const required = ['touchpoint', 'transaction_id', 'email'] as const;
const customerColumns = { customer_id: 'id', email: 'email', name: 'name', locale: 'locale', time_zone: 'time_zone' } as const;
const known = new Set<string>(['touchpoint', 'transaction_id', 'occurred_at', ...Object.keys(customerColumns)]);
const PROGRESS_EVERY = 100;

/** A row the event service refused: its fields and why in English, and the fields themselves for the command line to say in its language. */
const refusedBy = (line: number, err: AppError) =>
  err.errors.length ? { line, reason: err.errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors: err.errors } : { line, reason: err.message };

/** One CSV row as the event API takes it; the other columns become the event's properties. */
function toEvent(fields: Map<string, string>): Record<string, unknown> {
  const customer: Record<string, string> = {};
  for (const [column, field] of Object.entries(customerColumns)) {
    const value = fields.get(column);
    if (value) customer[field] = value;
  }
  const properties: Record<string, string> = {};
  for (const [name, value] of fields) if (!known.has(name) && name && value !== '') properties[name] = value;
  return {
    touchpoint: fields.get('touchpoint'),
    transaction_id: fields.get('transaction_id'),
    customer,
    ...(fields.get('occurred_at') ? { occurred_at: fields.get('occurred_at') } : {}),
    ...(Object.keys(properties).length ? { properties } : {}),
  };
}

export interface ImportEventsOptions {
  /**
   * Decide each event as the API does (events within a survey's maximum age
   * are surveyed). Without it, history is recorded and nobody is emailed:
   * every event is suppressed as too_old, unless refused earlier
   * (duplicate_event, no_active_survey).
   */
  send?: boolean;
  /** Check every row (fields, touchpoint, repeats) and decide and write nothing. */
  dryRun?: boolean;
}

/**
 * `touchpoint import events FILE.csv [--send] [--dry-run]`: each row goes
 * through the same event service as the API (contact rules, idempotency),
 * its decision recorded. A row the service refuses, or a repeat of an event
 * already received, is reported with its line number and reason.
 */
export async function importEvents(deps: Deps, file: string, progress: (rows: number) => void, options: ImportEventsOptions = {}): Promise<ImportReport> {
  const report: ImportReport = { taken: 0, refused: [], scheduled: 0, ...(options.dryRun ? { dryRun: true } : {}) };
  const flags = { dry_run: !!options.dryRun, send: !!options.send };
  try {
    await readEvents(deps, file, progress, options, report);
  } catch (error) {
    await auditImport(deps, 'import.events', file, flags, { error, report }).catch(() => {});
    throw error;
  }
  await auditImport(deps, 'import.events', file, flags, { report });
  return report;
}

async function readEvents(deps: Deps, file: string, progress: (rows: number) => void, options: ImportEventsOptions, report: ImportReport): Promise<void> {
  // A dry run receives nothing, so a transaction repeated within the file is found here.
  const seenInRun = new Map<string, number>();
  let read = 0;
  for await (const { line, fields, problem } of csvRows(file, required, (row) => report.refused.push(row))) {
    read++;
    if (!fields) {
      report.refused.push(problem!);
      continue;
    }
    try {
      if (options.dryRun) {
        const { touchpointId, transactionId, first } = await checkEvent(deps, toEvent(fields));
        const key = JSON.stringify([touchpointId, transactionId]);
        const earlier = seenInRun.get(key);
        if (first) report.refused.push(refusedRow(line, 'cli.refused_duplicate_before', { id: first.id, status: first.status }));
        else if (earlier) report.refused.push(refusedRow(line, 'cli.refused_duplicate_in_file', { line: earlier }));
        else {
          seenInRun.set(key, line);
          report.taken++;
        }
      } else {
        const { answer, repeated } = await receiveEvent(deps, toEvent(fields), 'import', { recordOnly: !options.send });
        if (repeated) report.refused.push(refusedRow(line, 'cli.refused_duplicate_before', { id: answer.id, status: answer.status }));
        else {
          report.taken++;
          if (answer.status === 'scheduled') report.scheduled!++;
        }
      }
    } catch (err) {
      if (err instanceof AppError && err.status < 500) report.refused.push(refusedBy(line, err));
      else throw err;
    }
    if (read % PROGRESS_EVERY === 0) progress(read);
  }
  progress(read);
}
