import type { Deps } from '../deps.ts';

// STUB: replaced by the feature's owner.
export async function loadDemo(_deps: Deps): Promise<string> {
  throw new Error('not built yet');
}
