import type { Request, Response } from 'express';
import type { AuditActor } from './record.ts';

/**
 * The audit actor of a request: the signed-in user (res.locals.user, set by the session middleware),
 * else the API key (res.locals.apiKey, set by the API-key middleware), else anonymous; with the client
 * address.
 */
export function requestActor(req: Request, res: Response): AuditActor {
  const ip = req.ip ?? null;
  const user = res.locals.user as { id: number; email: string } | undefined;
  if (user) return { type: 'user', id: user.id, label: user.email, ip };
  const key = res.locals.apiKey as { id: number; name: string } | undefined;
  if (key) return { type: 'api_key', id: key.id, label: key.name, ip };
  return { type: 'anonymous', ip };
}
