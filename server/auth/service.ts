import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { countUsers, findUserByEmail, insertUser, touchLogin, type UserRow } from './queries.ts';
import { roles } from './roles.ts';

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
  const user = await findUserByEmail(db, email);
  const ok = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !ok || user.deactivated_at) return null;
  await touchLogin(db, user.id, toDbTime(now));
  return user;
}

export const needsSetup = async (db: Knex): Promise<boolean> => (await countUsers(db)) === 0;
