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

// "rows" even for one: the wording stays the same for scripts that read it.
const rows = (n: number) => `${n} rows`;

/** The last line of an import: rows taken and refused (and skipped as already imported, for responses); a dry run says so. */
export function summaryLine(report: ImportReport): string {
  let line = `${rows(report.taken)} taken, ${rows(report.refused.length)} refused`;
  if (report.skipped !== undefined) line += `, ${rows(report.skipped)} skipped as already imported`;
  if (report.dryRun) line += ' (dry run: nothing was written)';
  return line;
}
