import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { ValidationError } from '../errors.ts';

/** A refused row: its message is the reason shown beside the line number. */
export class Refusal extends Error {}

export interface CsvRow {
  /** The line the row starts on, counting the header as line 1. */
  line: number;
  /** Trimmed values by column name; null when the row cannot be read (then `problem` says why). */
  fields: Map<string, string> | null;
  problem?: string;
}

/**
 * Reads an import file as a stream: checks the header has the required
 * columns, then yields each row with its line number (a row with the wrong
 * number of fields comes with a `problem` instead of fields). A file that
 * stops being CSV is reported through `refuse`, and reading ends there.
 */
export async function* csvRows(file: string, required: readonly string[], refuse: (line: number, reason: string) => void): AsyncGenerator<CsvRow> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw ValidationError.field('file', `no such file: ${file}`);
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  let header: string[] | null = null;
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
      if (record.length !== header.length) {
        yield { line, fields: null, problem: `has ${record.length} fields, the header has ${header.length}` };
        continue;
      }
      yield { line, fields: new Map(header.map((name, i) => [name, record[i].trim()])) };
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    refuse(lastLine + 1, `the file is not valid CSV from here on (${err.message}); the rest was not read`);
  }
}
