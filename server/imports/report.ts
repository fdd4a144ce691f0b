import type { Deps } from '../deps.ts';
import { audit, cliActor } from '../audit/record.ts';
import { plural } from '../i18n/index.ts';

/** What an import did: rows taken, and each refused row with its line number and reason. */
export interface ImportReport {
  taken: number;
  refused: { line: number; reason: string }[];
  /** Responses: rows not taken because they were imported before (or came earlier in the file). */
  skipped?: number;
  /** Events: how many of the rows taken scheduled an invitation. */
  scheduled?: number;
  /** Nothing was written: the counts say what the import would have done. */
  dryRun?: boolean;
}

const rows = (n: number) => plural(n, 'row');

/** The last line of an import: rows taken and refused (and skipped as already imported, for responses); a dry run says so. */
export function summaryLine(report: ImportReport): string {
  let line = `${rows(report.taken)} taken, ${rows(report.refused.length)} refused`;
  if (report.skipped !== undefined) line += `, ${rows(report.skipped)} skipped as already imported`;
  if (report.dryRun) line += ' (dry run: nothing was written)';
  return line;
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
