/** What an import did: rows taken, and each refused row with its line number and reason. */
export interface ImportReport {
  taken: number;
  refused: { line: number; reason: string }[];
}
