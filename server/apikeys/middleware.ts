import type { RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import { UnauthorizedError } from '../errors.ts';
import { verifyApiKey } from './service.ts';

/** Every API call carries `Authorization: Bearer KEY`. */
export function requireApiKey(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const key = match ? await verifyApiKey(deps.db, match[1], deps.clock.now()) : null;
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      return next(new UnauthorizedError('A valid API key is needed', 'Send the header Authorization: Bearer KEY; create a key with `touchpoint apikey create --name NAME` or on the API keys page'));
    }
    res.locals.apiKey = { id: key.id, name: key.name };
    next();
  };
}
