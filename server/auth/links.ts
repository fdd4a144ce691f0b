import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { DAY, HOUR } from '../clock.ts';
import { GoneError, NotFoundError, ValidationError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { hashToken } from '../tokens.ts';
import { audit } from '../audit/record.ts';
import { hashPassword } from './passwords.ts';
import { assertPasswordStrength } from './password-policy.ts';
import { bumpSessionEpoch, findUserById, updateUser, type UserRow } from './queries.ts';
import { userTarget } from './service.ts';
import { findUserTokenByHash, insertUserToken, retireUserTokens, useUserToken, type UserTokenPurpose, type UserTokenRow } from './token-queries.ts';

/**
 * Links that let a person set their password: an admin's invitation (7 days)
 * or a reset they asked for (1 hour). The token is 256 random bits; the
 * database holds only its hash. Each link works once, and a newer link of
 * the same kind retires the older ones.
 */
const linkLifetime: Record<UserTokenPurpose, number> = { invite: 7 * DAY, reset: HOUR };

export const passwordLinkUrl = (baseUrl: string, token: string): string => `${baseUrl}/password/set/${token}`;

export interface IssuedLink {
  id: number;
  token: string;
  expiresAt: Date;
}

export async function issuePasswordLink(db: Knex, userId: number, purpose: UserTokenPurpose, now: Date): Promise<IssuedLink> {
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + linkLifetime[purpose]);
  await retireUserTokens(db, userId, toDbTime(now), purpose);
  const id = await insertUserToken(db, {
    user_id: userId,
    purpose,
    token_hash: hashToken(token),
    expires_at: toDbTime(expiresAt),
    created_at: toDbTime(now),
  });
  return { id, token, expiresAt };
}

/** A link's reason for not working, for the page that says so. */
export class DeadLinkError extends GoneError {
  constructor(
    message: string,
    readonly purpose: UserTokenPurpose,
  ) {
    super(message);
  }
}

const tokenShape = /^[A-Za-z0-9_-]{43}$/;

/** The link and its user while it works; else 404 (no such link) or 410 (used, expired, account deactivated). */
export async function checkPasswordLink(db: Knex, token: string, now: Date): Promise<{ link: UserTokenRow; user: UserRow }> {
  const link = tokenShape.test(token) ? await findUserTokenByHash(db, hashToken(token)) : undefined;
  if (!link) throw new NotFoundError('This link is not valid; check that you copied all of it');
  const user = await findUserById(db, link.user_id);
  if (link.used_at) throw new DeadLinkError('This link has been used already', link.purpose);
  if (toDbTime(now) >= link.expires_at) throw new DeadLinkError('This link has expired', link.purpose);
  if (!user || user.deactivated_at) throw new DeadLinkError('This account is deactivated', link.purpose);
  return { link, user };
}

/**
 * Sets the password through a link and uses the link up; every other unused link of the user stops
 * working, and every session of the user ends (the caller signs this request in). Audited as
 * auth.password_reset (a reset link) or auth.password_set (an invitation), by the user, from `ip`.
 */
export async function setPasswordWithLink(
  db: Knex,
  token: string,
  input: { password: string; confirm: string },
  now: Date,
  ip: string | null = null,
): Promise<UserRow & { purpose: UserTokenPurpose }> {
  const { link, user } = await checkPasswordLink(db, token, now);
  const password = assertPasswordStrength(input.password, user);
  if (input.confirm !== input.password) throw ValidationError.field('password_confirm', 'does not match the password');
  const password_hash = await hashPassword(password);
  const session_epoch = await writeTransaction(db, async (trx) => {
    const at = toDbTime(now);
    // Two submissions at once: only the first uses the link.
    if ((await useUserToken(trx, link.id, at)) === 0) throw new DeadLinkError('This link has been used already', link.purpose);
    await updateUser(trx, user.id, { password_hash });
    await retireUserTokens(trx, user.id, at);
    const epoch = await bumpSessionEpoch(trx, user.id);
    const action = link.purpose === 'reset' ? 'auth.password_reset' : 'auth.password_set';
    await audit(trx, { actor: { type: 'user', id: user.id, label: user.email, ip }, action, target: userTarget(user) }, now);
    return epoch;
  });
  return { ...user, password_hash, session_epoch, purpose: link.purpose };
}
