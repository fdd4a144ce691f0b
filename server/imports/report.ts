import type { Deps } from '../deps.ts';
import { audit, cliActor } from '../audit/record.ts';
import type { FieldError } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';

/** A text of the message catalogue with its values (server/i18n/cli.ts): said in any language. */
export interface CatalogueText {
  key: string;
  vars: Record<string, string | number>;
}

/**
 * A refused row: its line, why in English (the reason the tests and the audit read), and the same as the
 * command line says it in its language: a catalogue text, or the service's refused fields.
 */
export interface RefusedRow {
  line: number;
  reason: string;
  text?: CatalogueText;
  errors?: FieldError[];
}

/** A row refused for a reason of the catalogue (a `cli.refused_*` key), its English the reason. */
export const refusedRow = (line: number, key: string, vars: Record<string, string | number> = {}): RefusedRow => ({
  line,
  reason: t('en', key, vars),
  text: { key, vars },
});

/** What an import did: rows taken, and each refused row with its line number and reason. */
export interface ImportReport {
  taken: number;
  refused: RefusedRow[];
  /** Responses: rows not taken because they were imported before (or came earlier in the file). */
  skipped?: number;
  /** Events: how many of the rows taken scheduled an invitation. */
  scheduled?: number;
  /** Nothing was written: the counts say what the import would have done. */
  dryRun?: boolean;
}

/**
 * The last line of an import: rows taken and refused (and skipped as already imported, for responses); a
 * dry run says so. In English (the default) it is the line scripts read; the command line says it in its
 * language too.
 */
export function summaryLine(report: ImportReport, locale: Locale = 'en'): string {
  return t(locale, 'cli.import_summary', {
    taken: report.taken,
    refused: report.refused.length,
    withSkipped: report.skipped === undefined ? 'no' : 'yes',
    skipped: report.skipped ?? 0,
    dryRun: report.dryRun ? 'yes' : 'no',
  });
}

/**
 * The audit line of an import (`import.responses`, `import.events`; only the command line imports):
 * the file, the flags and the counts, or what stopped it. Written when the import ends: an import
 * writes in many transactions, and one line says what the whole run did.
 */
export async function auditImport(
  deps: Pick<Deps, 'db' | 'clock'>,
  action: 'import.responses' | 'import.events',
  file: string,
  flags: { dry_run: boolean; send?: boolean },
  outcome: { report: ImportReport } | { error: unknown; report: ImportReport },
): Promise<void> {
  const { report } = outcome;
  const detail: Record<string, unknown> = {
    file,
    ...flags,
    taken: report.taken,
    refused: report.refused.length,
    ...(report.skipped !== undefined ? { skipped: report.skipped } : {}),
    ...(report.scheduled !== undefined ? { scheduled: report.scheduled } : {}),
  };
  if ('error' in outcome) detail.error = outcome.error instanceof Error ? outcome.error.message.slice(0, 500) : String(outcome.error).slice(0, 500);
  await audit(deps.db, { actor: cliActor, action, target: { type: 'file', id: file.slice(-200), label: file }, detail }, deps.clock.now());
}
