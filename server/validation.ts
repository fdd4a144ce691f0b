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
