import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { isUniqueViolation, writeTransaction } from '../db/dialect.ts';
import { HOUR } from '../clock.ts';
import { audit, systemActor, type AuditActor } from '../audit/record.ts';
import { countUserTokensSince } from '../auth/token-queries.ts';
import { findUserByEmail, findUserById, insertUser, type UserRow } from '../auth/queries.ts';
import { newUserSchema, userTarget } from '../auth/service.ts';
import { issuePasswordLink, type IssuedLink } from '../auth/links.ts';

const emailTaken = () => new ConflictError('A user with this email exists', [{ field: 'email', message: 'is already taken' }]);

/** At most this many reset emails per account and hour, whoever asks and from wherever. */
const resetsPerHour = 3;

const inviteSchema = newUserSchema.omit({ password: true });
export type InviteInput = { email: string; name?: string; role: string };

/** Adds a user with no password and an invitation link with which they choose one; audited as user.invited. */
export async function inviteUser(db: Knex, input: InviteInput, now: Date, actor: AuditActor = systemActor): Promise<{ user: UserRow; link: IssuedLink }> {
  const values = parseInput(inviteSchema, input);
  return writeTransaction(db, async (trx) => {
    if (await findUserByEmail(trx, values.email)) throw emailTaken();
    const id = await insertUser(trx, {
      email: values.email,
      name: values.name,
      role: values.role,
      locale: 'en',
      password_hash: null,
      created_at: toDbTime(now),
    });
    const user = (await findUserById(trx, id)) as UserRow;
    await audit(trx, { actor, action: 'user.invited', target: userTarget(user), detail: { role: user.role } }, now);
    return { user, link: await issuePasswordLink(trx, id, 'invite', now) };
  }).catch((err) => {
    // Two admins inviting the same address at once: the second is told it is taken.
    throw isUniqueViolation(err) ? emailTaken() : err;
  });
}

/** A fresh invitation link for an active user who has not chosen a password yet; older links stop working. */
export async function reissueInvitation(db: Knex, userId: number, now: Date, actor: AuditActor = systemActor): Promise<{ user: UserRow; link: IssuedLink }> {
  return writeTransaction(db, async (trx) => {
    const user = Number.isSafeInteger(userId) ? await findUserById(trx, userId) : undefined;
    if (!user) throw new NotFoundError('There is no such user');
    if (user.deactivated_at) throw new ConflictError(`${user.email} is deactivated; reactivate them first`);
    if (user.password_hash) throw new ConflictError(`${user.email} has chosen a password already; they can reset it from the sign-in page`);
    await audit(trx, { actor, action: 'user.invited', target: userTarget(user), detail: { role: user.role, again: true } }, now);
    return { user, link: await issuePasswordLink(trx, user.id, 'invite', now) };
  });
}

/**
 * A reset link for an active account with this email, or null: no such
 * account, deactivated, or sent too many links this hour (the caller answers
 * the same either way).
 */
export async function requestPasswordReset(db: Knex, email: string, now: Date): Promise<{ user: UserRow; link: IssuedLink } | null> {
  return writeTransaction(db, async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user || user.deactivated_at) return null;
    if ((await countUserTokensSince(trx, user.id, 'reset', toDbTime(new Date(now.getTime() - HOUR)))) >= resetsPerHour) return null;
    return { user, link: await issuePasswordLink(trx, user.id, 'reset', now) };
  });
}
