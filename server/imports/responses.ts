import type { Deps } from '../deps.ts';
import type { ImportReport } from './report.ts';

// STUB: replaced by the feature's owner.
export async function importResponses(_deps: Deps, _file: string, _progress: (rows: number) => void): Promise<ImportReport> {
  throw new Error('not built yet');
}
