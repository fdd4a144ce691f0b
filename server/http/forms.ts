import type { Request } from 'express';
import { z } from 'zod';
import { AppError, type FieldError } from '../errors.ts';
import { blankToUndefined } from '../validation.ts';
import { ensureSession } from './session.ts';

/** A form field's value as a trimmed string ('' when absent or not a string). */
export const formText = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
};

/** A field's raw value (passwords are not trimmed). */
export const formRaw = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/** A checkbox is on when the form sent it at all. */
export const formChecked = (body: unknown, name: string): boolean => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return value !== undefined && value !== '' && value !== 'off';
};

const typedNumbers = {
  whole: { pattern: /^\d+$/, message: 'must be a whole number' },
  decimal: { pattern: /^\d+(\.\d+)?$/, message: 'must be a number such as 25 or 12.5' },
};

/**
 * A number typed into a form field, kept to `schema`: the field of the API's own schema, so a form
 * and the JSON API share every limit (and its message). The text must be digits (`decimal`: with
 * a point and more digits), and the number it says is the schema's to check. Blank means not set:
 * undefined when `optional`, else 'is required'.
 */
export function formNumber<S extends z.ZodType>(
  schema: S & (number extends z.input<S> ? unknown : never),
  opts: { decimal?: boolean; optional?: boolean } = {},
): z.ZodType<z.output<S> | undefined> {
  const { pattern, message } = opts.decimal ? typedNumbers.decimal : typedNumbers.whole;
  // Number() rather than z.coerce.number(): digits too many for a double (Infinity) are the schema's to refuse, in its words.
  // The schema takes a number (and maybe undefined or null besides, which the pipe's type cannot say).
  const typed = z.string('is required').regex(pattern, message).transform(Number).pipe(schema as z.ZodType<z.output<S>, number>);
  return z.preprocess(blankToUndefined, opts.optional ? typed.optional() : typed);
}

/**
 * Each of a form's `fields` parsed by its own schema, so a page can name every bad field at once:
 * the values that parsed, and the first problem of each field that did not (`message` may reword it).
 */
export function parseFormFields<F extends Record<string, z.ZodType>>(
  form: Record<string, unknown>,
  fields: F,
  message: (issue: z.core.$ZodIssue, field: keyof F & string) => string = (issue) => issue.message,
): { values: { [K in keyof F]?: z.output<F[K]> }; errors: FieldError[] } {
  const values: { [K in keyof F]?: z.output<F[K]> } = {};
  const errors: FieldError[] = [];
  for (const field of Object.keys(fields) as (keyof F & string)[]) {
    const result = fields[field].safeParse(form[field]);
    if (result.success) values[field] = result.data as z.output<F[typeof field]>;
    else errors.push({ field, message: message(result.error.issues[0], field) });
  }
  return { values, errors };
}

/**
 * The field errors of an AppError as {formField: message} (first message per
 * field), for a page to show beside its inputs; `rename` maps a service's
 * field path to the form's field name. Other errors are rethrown.
 */
export function fieldErrors(err: unknown, rename: (field: string) => string = (f) => f): { status: number; errors: Record<string, string>; message: string } {
  if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403) throw err;
  const errors: Record<string, string> = {};
  for (const e of err.errors) {
    const name = rename(e.field);
    errors[name] ??= e.message;
  }
  return { status: err.status, errors, message: err.errors.length ? 'Please correct the fields marked below.' : err.message };
}

/** A path on this site to return to after signing in; anything else (other hosts, //evil) falls back. */
export function localPath(value: unknown, fallback = '/dashboard'): string {
  if (typeof value !== 'string') return fallback;
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) return fallback;
  return value;
}

/** Text a person typed, fit for the audit log: PostgreSQL text holds no NUL, so each becomes U+FFFD. */
export const typedText = (text: string): string => text.replace(/\u0000/g, '\uFFFD');

/** A message for the next page (shown once by the layout). */
export const setFlash = (req: Request, message: string) => {
  ensureSession(req).flash = message;
};
