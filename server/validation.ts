import { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Parses input with a zod schema; a failure becomes a ValidationError that
 * names each failing field (`customer.email`, `events.3.transaction_id`).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw toValidationError(result.error, prefix);
}

export function toValidationError(error: z.ZodError, prefix = ''): ValidationError {
  const errors = error.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)';
    return { field, message: issue.message };
  });
  return new ValidationError(errors);
}

/** An empty string, as a form sends an empty field, counts as missing. */
export const blankToUndefined = (v: unknown): unknown => (v === '' ? undefined : v);

/**
 * The `page` query parameter of a paged list: a whole number from 1; missing or
 * empty (as a GET form sends it) means the first page. A page past the last one
 * is valid here; the list says so and links to its last page.
 */
export const pageNumberSchema = z.preprocess(
  blankToUndefined,
  z.coerce.number('must be a page number').int('must be a whole number').min(1, 'must be 1 or more').max(1_000_000).optional(),
);
