import { AppError } from '../errors.ts';
import { isTransientDbError } from '../db/dialect.ts';

/** 503 with Retry-After: the event was not recorded; the caller sends it again. */
export class BusyError extends AppError {
  readonly retryAfterSeconds = 1;
  constructor() {
    super(503, 'busy', 'The database is busy; the event was not recorded', { hint: 'Send the same event again in a moment; a repeat is safe.' });
  }
}

/** Runs fn, again up to `attempts` times in all while the database answers busy; then a BusyError. */
export async function retryWhenBusy<T>(fn: () => Promise<T>, attempts = 4, pauseMs = (n: number) => 20 * 2 ** n): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientDbError(err)) throw err;
      if (attempt >= attempts) throw new BusyError();
      await new Promise((resolve) => setTimeout(resolve, pauseMs(attempt) * (0.5 + Math.random())));
    }
  }
}
