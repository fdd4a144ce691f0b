import { z } from 'zod';
import { ValidationError } from './errors.ts';
import { DATE_RANGE_MESSAGE, calendarDateInRange, isCalendarDate } from './dates.ts';

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
 * The bounds of every number and date parameter (issue 10, point 8): a value outside them answers
 * 422 naming the parameter, never 500. Dates and instants: FIRST_DATE to LAST_DATE (server/dates.ts).
 */
export const MAX_PAGE = 10_000;

/**
 * The `page` query parameter of a paged list: a whole number from 1 to MAX_PAGE; missing or
 * empty (as a GET form sends it) means the first page. A page past the last one
 * is valid here; the list says so and links to its last page.
 */
export const pageNumberSchema = z.preprocess(
  blankToUndefined,
  z.coerce
    .number('must be a page number')
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
    .optional(),
);

/** A `limit` query parameter: how many items one call returns, a whole number from 1 to `max`. */
export const limitSchema = (max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number(`must be a whole number from 1 to ${max}`)
      .int(`must be a whole number from 1 to ${max}`)
      .min(1, `must be a whole number from 1 to ${max}`)
      .max(max, `must be a whole number from 1 to ${max}`)
      .default(fallback),
  );

const trimmedOrUndefined = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const trimmed = v.trim();
  return trimmed === '' ? undefined : trimmed;
};

/** The problem with a date parameter (YYYY-MM-DD), or null when it is a date in range. */
function calendarDateProblem(value: string): string | null {
  if (!isCalendarDate(value)) return 'must be a date such as 2026-03-01';
  return calendarDateInRange(value) ? null : DATE_RANGE_MESSAGE;
}

/**
 * An optional date parameter (YYYY-MM-DD, a filter's from or to): blank means not given; a date
 * outside FIRST_DATE…LAST_DATE is refused like a malformed one, naming the parameter.
 */
export const calendarDateParam = z.preprocess(
  trimmedOrUndefined,
  z
    .string('must be a date such as 2026-03-01')
    .superRefine((value, ctx) => {
      const problem = calendarDateProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
);
