import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import type { Deps } from '../deps.ts';
import { AppError, ValidationError } from '../errors.ts';
import { receiveEvent } from '../events/service.ts';
import type { ImportReport } from './report.ts';

const required = ['touchpoint', 'transaction_id', 'email'] as const;
const customerColumns = { customer_id: 'id', email: 'email', name: 'name', locale: 'locale', time_zone: 'time_zone' } as const;
const known = new Set<string>(['touchpoint', 'transaction_id', 'occurred_at', ...Object.keys(customerColumns)]);
const PROGRESS_EVERY = 100;

class Refusal extends Error {}

const reasonOf = (err: AppError) => (err.errors.length ? err.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : err.message);

/** One CSV row as the event API takes it; the other columns become the event's properties. */
function toEvent(header: string[], record: string[]): Record<string, unknown> {
  if (record.length !== header.length) throw new Refusal(`has ${record.length} fields, the header has ${header.length}`);
  const fields = new Map(header.map((name, i) => [name, record[i].trim()]));
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

/**
 * `touchpoint import events FILE.csv`: each row goes through the same event
 * service as the API (contact rules, idempotency), its decision recorded. A
 * row the service refuses, or a repeat of an event already received, is
 * reported with its line number and reason.
 */
export async function importEvents(deps: Deps, file: string, progress: (rows: number) => void): Promise<ImportReport> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw ValidationError.field('file', `no such file: ${file}`);
  const report: ImportReport = { taken: 0, refused: [] };
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
        const { answer, repeated } = await receiveEvent(deps, toEvent(header, record), 'import');
        if (repeated) report.refused.push({ line, reason: `duplicate_event: this transaction was received before (event ${answer.id}, ${answer.status})` });
        else report.taken++;
      } catch (err) {
        if (err instanceof Refusal) report.refused.push({ line, reason: err.message });
        else if (err instanceof AppError && err.status < 500) report.refused.push({ line, reason: reasonOf(err) });
        else throw err;
      }
      if (read % PROGRESS_EVERY === 0) progress(read);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    report.refused.push({ line: lastLine + 1, reason: `the file is not valid CSV from here on (${err.message}); the rest was not read` });
  }
  progress(read);
  return report;
}
