import type { Deps } from '../deps.ts';

// STUB: replaced by the feature's owner.
export function startWorker(_deps: Deps): { stop(): Promise<void> } {
  return { stop: async () => {} };
}
