import type { Request } from 'express';
import { AppError } from '../errors.ts';
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
