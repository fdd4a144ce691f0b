import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { bumpVersion } from '../db/versioned-cache.ts';
import { audit, systemActor, type AuditActor } from '../audit/record.ts';
import { hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { assertPasswordStrength, passwordSchema } from './password-policy.ts';
import { bumpSessionEpoch, countUsers, findUserByEmail, findUserById, insertUser, touchLogin, updateUser, type UserRow } from './queries.ts';
import { roles, type Role } from './roles.ts';

export const newUserSchema = z.object({
  email: z.email('must be an email address').max(254),
  name: z.string().trim().max(200).default(''),
  role: z.enum(roles, 'must be admin, editor or viewer'),
  // Length and guessability; createUser also refuses a password that contains the email's local part.
  password: passwordSchema,
});
export type NewUser = z.input<typeof newUserSchema>;

/** The audit target of a user. */
export const userTarget = (user: Pick<UserRow, 'id' | 'email'>) => ({ type: 'user', id: user.id, label: user.email });

/**
 * Adds a user with a password (the admin's form, the command line, the first-run setup). The password
 * must pass checkPasswordStrength for this email. Written to the audit log as user.created by `actor`
 * (pass cliActor from the command line, the request's actor from a page; `system` when none is given).
 */
export async function createUser(db: Knex, input: NewUser, now: Date, actor: AuditActor = systemActor): Promise<UserRow> {
  const user = parseInput(newUserSchema, input);
  assertPasswordStrength(user.password, { email: user.email, name: user.name });
  if (await findUserByEmail(db, user.email)) {
    throw new ConflictError('A user with this email exists', [{ field: 'email', message: 'is already taken' }]);
  }
  const password_hash = await hashPassword(user.password);
  return writeTransaction(db, async (trx) => {
    await insertUser(trx, {
      email: user.email,
      name: user.name,
      role: user.role,
      locale: 'en',
      password_hash,
      created_at: toDbTime(now),
    });
    const created = (await findUserByEmail(trx, user.email)) as UserRow;
    await audit(trx, { actor, action: 'user.created', target: userTarget(created), detail: { role: created.role } }, now);
    return created;
  });
}

/**
 * The user for these credentials, or null; deactivated users cannot sign in. A hash made with older
 * scrypt parameters is replaced by one with today's, now that the password is known.
 */
export async function authenticate(db: Knex, email: string, password: string, now: Date): Promise<UserRow | null> {
  // No address holds a NUL, and PostgreSQL cannot compare one: such an email is simply unknown.
  const user = email.includes('\u0000') ? undefined : await findUserByEmail(db, email);
  const ok = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !ok || user.deactivated_at) return null;
  let password_hash = user.password_hash;
  if (needsRehash(password_hash)) {
    password_hash = await hashPassword(password);
    // Only if nobody changed it meanwhile.
    await db('users').where({ id: user.id, password_hash: user.password_hash }).update({ password_hash });
  }
  await touchLogin(db, user.id, toDbTime(now));
  return { ...user, password_hash, last_login_at: toDbTime(now) };
}

export const needsSetup = async (db: Knex): Promise<boolean> => (await countUsers(db)) === 0;

async function existingUser(db: Knex, id: number): Promise<UserRow> {
  const user = Number.isSafeInteger(id) ? await findUserById(db, id) : undefined;
  if (!user) throw new NotFoundError('There is no such user');
  return user;
}

/** Changes a user's role; admins cannot change their own (so one admin always remains). Audited with from and to. */
export async function changeUserRole(db: Knex, actor: AuditActor & { id: number }, userId: number, role: string, now: Date): Promise<UserRow> {
  const user = await existingUser(db, userId);
  const next = parseInput(newUserSchema.shape.role, role, 'role') as Role;
  if (user.id === actor.id && next !== user.role) throw new ForbiddenError('You cannot change your own role; ask another admin');
  if (next === user.role) return user;
  await writeTransaction(db, async (trx) => {
    await updateUser(trx, user.id, { role: next });
    await audit(trx, { actor, action: 'user.role_changed', target: userTarget(user), detail: { from: user.role, to: next } }, now);
  });
  return { ...user, role: next };
}

/**
 * Deactivates (they can no longer sign in, and every session of theirs ends at once) or reactivates a
 * user (their old sessions stay ended: the session epoch moves on both ways); never oneself. Audited.
 */
export async function setUserActive(db: Knex, actor: AuditActor & { id: number }, userId: number, active: boolean, now: Date): Promise<UserRow> {
  const user = await existingUser(db, userId);
  if (user.id === actor.id && !active) throw new ForbiddenError('You cannot deactivate yourself; ask another admin');
  if (active === !user.deactivated_at) return user;
  const deactivated_at = active ? null : toDbTime(now);
  const session_epoch = await writeTransaction(db, async (trx) => {
    await updateUser(trx, user.id, { deactivated_at });
    // An API key carries whether its owner is active (server/apikeys/service.ts).
    await bumpVersion(trx, 'api_keys');
    const epoch = await bumpSessionEpoch(trx, user.id);
    await audit(trx, { actor, action: active ? 'user.reactivated' : 'user.deactivated', target: userTarget(user) }, now);
    return epoch;
  });
  return { ...user, deactivated_at, session_epoch };
}

/**
 * Changes one's own password; the current one is needed. Every session of the user ends (the epoch
 * moves on): the caller starts a new one for the request that changed it. Returns the updated user.
 */
export async function changePassword(
  db: Knex,
  userId: number,
  input: { current: string; password: string; confirm: string },
  now: Date,
  actor: AuditActor = systemActor,
): Promise<UserRow> {
  const user = await existingUser(db, userId);
  if (!(await verifyPassword(input.current, user.password_hash))) {
    throw ValidationError.field('current_password', 'is not your current password');
  }
  const password = assertPasswordStrength(input.password, user);
  if (input.confirm !== input.password) throw ValidationError.field('password_confirm', 'does not match the new password');
  const password_hash = await hashPassword(password);
  const session_epoch = await writeTransaction(db, async (trx) => {
    await updateUser(trx, user.id, { password_hash });
    const epoch = await bumpSessionEpoch(trx, user.id);
    await audit(trx, { actor, action: 'auth.password_changed', target: userTarget(user) }, now);
    return epoch;
  });
  return { ...user, password_hash, session_epoch };
}
