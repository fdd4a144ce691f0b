import type { Deps } from '../deps.ts';

// STUB: replaced by the feature's owner.
export async function loadSurveyFiles(_deps: Deps): Promise<void> {}
export async function exportSurveyFile(_deps: Deps, key: string): Promise<string> {
  throw new Error(`not built yet: ${key}`);
}
