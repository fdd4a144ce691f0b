import type { Deps } from '../deps.ts';
import { AppError, UnavailableError } from '../errors.ts';
import { retryWhenBusy } from '../db/retry.ts';
import { occurredAt, readInput, receiveEvent } from './service.ts';
import type { CheckedEvent, EventAnswer } from './store.ts';
import { storeTogether } from './group-commit.ts';

/** One entry of a batch answer: the event's answer, or why it was refused. */
export type BatchResult =
  | ({ index: number; duplicate?: true } & EventAnswer)
  | { index: number; status: 'invalid' | 'error'; errors: { field: string; message: string }[] };

/** Events stored in one transaction: large enough that commits are few, small enough that a write lock is short. */
export const BATCH_CHUNK = 250;

const refusal = (index: number, err: unknown): BatchResult => {
  if (err instanceof UnavailableError) return { index, status: 'error', errors: [{ field: '(event)', message: 'the database was busy; send it again' }] };
  if (err instanceof AppError && err.status < 500) return { index, status: 'invalid', errors: err.errors.length ? err.errors : [{ field: '(event)', message: err.message }] };
  return { index, status: 'error', errors: [{ field: '(event)', message: 'could not be stored; send it again' }] };
};

/**
 * A batch, in order: every event checked first (an invalid one gets its entry and sinks nothing else), then
 * stored in chunks of BATCH_CHUNK events per transaction, each decided exactly as it would be alone (in
 * order, so a later event of a customer sees the earlier ones), and committed before the answer. A chunk the
 * database refuses as a whole (a race on a transaction id with another request) is stored again one event
 * at a time.
 */
export async function receiveBatch(deps: Deps, events: unknown[], source: 'api' | 'import' = 'api'): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(events.length);
  const checked: { index: number; body: unknown; event: CheckedEvent }[] = [];
  for (const [index, body] of events.entries()) {
    try {
      const { input, touchpoint } = await readInput(deps, body);
      checked.push({ index, body, event: { input, touchpoint, at: occurredAt(input, deps.clock.now()) } });
    } catch (err) {
      results[index] = refusal(index, err);
    }
  }
  for (let start = 0; start < checked.length; start += BATCH_CHUNK) {
    const chunk = checked.slice(start, start + BATCH_CHUNK);
    try {
      const answers = await retryWhenBusy(() => storeTogether(deps, chunk.map((c) => c.event), { source }));
      chunk.forEach((c, i) => (results[c.index] = { index: c.index, ...answers[i].answer, ...(answers[i].repeated ? { duplicate: true as const } : {}) }));
    } catch (err) {
      deps.log.warn({ err, first: chunk[0].index, events: chunk.length }, 'a batch chunk failed as a whole; storing its events one by one');
      for (const c of chunk) {
        try {
          const { answer, repeated } = await receiveEvent(deps, c.body, source);
          results[c.index] = { index: c.index, ...answer, ...(repeated ? { duplicate: true as const } : {}) };
        } catch (one) {
          if (!(one instanceof AppError)) deps.log.error({ err: one, index: c.index }, 'batch event failed');
          results[c.index] = refusal(c.index, one);
        }
      }
    }
  }
  return results;
}
