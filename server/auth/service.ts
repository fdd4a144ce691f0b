import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { countUsers, findUserByEmail, findUserById, insertUser, touchLogin, updateUser, type UserRow } from './queries.ts';
import { roles, type Role } from './roles.ts';

export const newUserSchema = z.object({
  email: z.email('must be an email address').max(254),
  name: z.string().trim().max(200).default(''),
  role: z.enum(roles, 'must be admin, editor or viewer'),
  password: z.string().min(10, 'must be at least 10 characters').max(200),
});
export type NewUser = z.input<typeof newUserSchema>;

export async function createUser(db: Knex, input: NewUser, now: Date): Promise<UserRow> {
  const user = parseInput(newUserSchema, input);
  if (await findUserByEmail(db, user.email)) {
    throw new ConflictError('A user with this email exists', [{ field: 'email', message: 'is already taken' }]);
  }
  const id = await insertUser(db, {
    email: user.email,
    name: user.name,
    role: user.role,
    locale: 'en',
    password_hash: await hashPassword(user.password),
    created_at: toDbTime(now),
  });
  return (await findUserByEmail(db, user.email)) as UserRow & { id: typeof id };
}

/** The user for these credentials, or null; deactivated users cannot sign in. */
export async function authenticate(db: Knex, email: string, password: string, now: Date): Promise<UserRow | null> {
  // No address holds a NUL, and PostgreSQL cannot compare one: such an email is simply unknown.
  const user = email.includes('\u0000') ? undefined : await findUserByEmail(db, email);
  const ok = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !ok || user.deactivated_at) return null;
  await touchLogin(db, user.id, toDbTime(now));
  return user;
}

export const needsSetup = async (db: Knex): Promise<boolean> => (await countUsers(db)) === 0;

const newPasswordSchema = newUserSchema.shape.password;

async function existingUser(db: Knex, id: number): Promise<UserRow> {
  const user = Number.isSafeInteger(id) ? await findUserById(db, id) : undefined;
  if (!user) throw new NotFoundError('There is no such user');
  return user;
}

/** Changes a user's role; admins cannot change their own (so one admin always remains). */
export async function changeUserRole(db: Knex, actorId: number, userId: number, role: string): Promise<UserRow> {
  const user = await existingUser(db, userId);
  const next = parseInput(newUserSchema.shape.role, role, 'role') as Role;
  if (user.id === actorId && next !== user.role) throw new ForbiddenError('You cannot change your own role; ask another admin');
  await updateUser(db, user.id, { role: next });
  return { ...user, role: next };
}

/** Deactivates (they can no longer sign in, their sessions end) or reactivates a user; never oneself. */
export async function setUserActive(db: Knex, actorId: number, userId: number, active: boolean, now: Date): Promise<UserRow> {
  const user = await existingUser(db, userId);
  if (user.id === actorId && !active) throw new ForbiddenError('You cannot deactivate yourself; ask another admin');
  const deactivated_at = active ? null : (user.deactivated_at ?? toDbTime(now));
  await updateUser(db, user.id, { deactivated_at });
  return { ...user, deactivated_at };
}

/** Changes one's own password; the current one is needed. */
export async function changePassword(db: Knex, userId: number, input: { current: string; password: string; confirm: string }): Promise<void> {
  const user = await existingUser(db, userId);
  if (!(await verifyPassword(input.current, user.password_hash))) {
    throw ValidationError.field('current_password', 'is not your current password');
  }
  const password = parseInput(newPasswordSchema, input.password, 'password');
  if (input.confirm !== input.password) throw ValidationError.field('password_confirm', 'does not match the new password');
  await updateUser(db, user.id, { password_hash: await hashPassword(password) });
}
