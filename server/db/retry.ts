import { UnavailableError } from '../errors.ts';
import { isTransientDbError } from './dialect.ts';

/**
 * Runs an idempotent operation, again up to `attempts` times in all while the database fails it
 * transiently (isTransientDbError), with growing jittered pauses; then throws `unavailable()` (a 503 with
 * Retry-After). Any other error is thrown at once.
 */
export async function retryWhenBusy<T>(
  fn: () => Promise<T>,
  unavailable: () => UnavailableError = () => new UnavailableError(),
  attempts = 4,
  pauseMs = (n: number) => 20 * 2 ** n,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientDbError(err)) throw err;
      if (attempt >= attempts) throw unavailable();
      await new Promise((resolve) => setTimeout(resolve, pauseMs(attempt) * (0.5 + Math.random())));
    }
  }
}
