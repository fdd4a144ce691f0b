import type { RequestHandler } from 'express';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';

/** The first field (as a dotted path) holding a NUL character, in keys or values. */
function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : null;
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = findNul(inner, at, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * NUL characters in the address and the query string are refused before any
 * query runs: PostgreSQL cannot compare them, and no real key, token or id
 * holds one. Bodies are left to each schema (a batch answers per event).
 */
export const refuseNul: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new AppError(400, 'bad-path', 'The address is not valid percent-encoding'));
  }
  if (path.includes('\u0000')) return next(new NotFoundError('There is nothing at this address'));
  const field = findNul(req.query, '');
  if (field) return next(ValidationError.field(field, 'must not contain a NUL character'));
  next();
};
