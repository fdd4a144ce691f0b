import fs from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { ValidationError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { refusedRow, type CatalogueText, type RefusedRow } from './report.ts';

/** A refused row: why, as a catalogue text (a `cli.refused_*` key); its message is the English reason shown beside the line number. */
export class Refusal extends Error {
  readonly text: CatalogueText;
  constructor(key: string, vars: Record<string, string | number> = {}) {
    super(t('en', key, vars));
    this.text = { key, vars };
  }
}

export interface CsvRow {
  /** The line the row starts on, counting the header as line 1. */
  line: number;
  /** Trimmed values by column name; null when the row cannot be read (then `problem` says why). */
  fields: Map<string, string> | null;
  problem?: RefusedRow;
}

/**
 * Reads an import file as a stream: checks the header has the required
 * columns, then yields each row with its line number (a row with the wrong
 * number of fields comes with a `problem` instead of fields). A file that
 * stops being CSV is reported through `refuse`, and reading ends there.
 */
export async function* csvRows(file: string, required: readonly string[], refuse: (row: RefusedRow) => void): AsyncGenerator<CsvRow> {
  // Field errors in the English of the catalogue's cli.known.* texts, which the command line says in its language.
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw ValidationError.field('file', t('en', 'cli.known.no_such_file', { file }));
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
        if (missing.length) {
          throw ValidationError.field('columns', t('en', missing.length > 1 ? 'cli.known.missing_columns' : 'cli.known.missing_column', { columns: missing.join(', ') }));
        }
        continue;
      }
      if (record.length !== header.length) {
        yield { line, fields: null, problem: refusedRow(line, 'cli.refused_field_count', { count: record.length, header: header.length }) };
        continue;
      }
      yield { line, fields: new Map(header.map((name, i) => [name, record[i].trim()])) };
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    refuse(refusedRow(lastLine + 1, 'cli.refused_not_csv', { error: err.message }));
  }
}
