import type { RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import { AppError, UnauthorizedError } from '../errors.ts';
import { retryWhenBusy } from '../db/retry.ts';
import { verifyApiKey, type KeyCheck } from './service.ts';
import type { ApiScope } from './scopes.ts';

/** What the API routes (and the audit log's requestActor) see of the key of a call: res.locals.apiKey. */
interface ApiKeyLocals {
  id: number;
  name: string;
  scopes: ApiScope[];
}

const createHint = 'Send the header Authorization: Bearer KEY; create a key with `touchpoint apikey create --name NAME` or on the API keys page';

function refusal(check: Extract<KeyCheck, { ok: false }>): UnauthorizedError {
  switch (check.reason) {
    case 'expired':
      return new UnauthorizedError(`This API key expired at ${check.key?.expires_at}`, 'An expired key stays refused; create a new key on the API keys page or with `touchpoint apikey create`.');
    case 'revoked':
      return new UnauthorizedError('This API key has been revoked', 'A revoked key stays refused; create a new key on the API keys page or with `touchpoint apikey create`.');
    case 'owner_deactivated':
      return new UnauthorizedError(
        'This API key stopped working because the user who created it has been deactivated',
        'Keys do not outlive their owner: the key is revoked; create a new key on the API keys page or with `touchpoint apikey create`.',
      );
    default:
      return new UnauthorizedError('A valid API key is needed', createHint);
  }
}

/** Every API call carries `Authorization: Bearer KEY`: an active key (not revoked, not expired, its owner active). */
export function requireApiKey(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    // Read again while the database fails transiently (then 503 with Retry-After, never 500).
    const check: KeyCheck = match ? await retryWhenBusy(() => verifyApiKey(deps.db, match[1], deps.clock.now())) : { ok: false, reason: 'unknown' };
    if (!check.ok) {
      res.set('WWW-Authenticate', 'Bearer');
      return next(refusal(check));
    }
    res.locals.apiKey = { id: check.key.id, name: check.key.name, scopes: check.scopes } satisfies ApiKeyLocals;
    next();
  };
}

/** 403 problem+json naming the scope the key lacks (and RFC 6750's insufficient_scope in WWW-Authenticate). */
export function checkScope(scope: ApiScope): RequestHandler {
  return (req, res, next) => {
    const key = res.locals.apiKey as ApiKeyLocals | undefined;
    if (key?.scopes.includes(scope)) return next();
    res.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
    const has = key?.scopes.length ? key.scopes.join(', ') : 'no scopes';
    next(
      new AppError(403, 'missing-scope', `This API key lacks the scope ${scope}`, {
        hint: `${req.method} ${req.baseUrl}${req.path} needs the scope ${scope}; this key has ${has}. A key's scopes can be narrowed but not widened: create a key with ${scope} on the API keys page or with \`touchpoint apikey create --scopes\`.`,
        errors: [{ field: 'scope', message: `This call needs the scope ${scope}.` }],
      }),
    );
  };
}
