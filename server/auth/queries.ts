import type { Knex } from 'knex';
import type { Role } from './roles.ts';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string | null;
  role: Role;
  locale: string;
  created_at: string;
  last_login_at: string | null;
  deactivated_at: string | null;
  /** Moves on when every session of the user must end (password changed or reset, deactivated, reactivated); a session carries the epoch it signed in with. */
  session_epoch: number;
}

export const findUserByEmail = (db: Knex, email: string): Promise<UserRow | undefined> =>
  db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).first();

export const findUserById = (db: Knex, id: number): Promise<UserRow | undefined> => db('users').where({ id }).first();

export async function insertUser(db: Knex, user: Omit<UserRow, 'id' | 'last_login_at' | 'deactivated_at' | 'session_epoch'>): Promise<number> {
  const [row] = await db('users').insert(user).returning('id');
  return typeof row === 'object' ? row.id : row;
}

export const countUsers = async (db: Knex): Promise<number> => Number((await db('users').count({ n: '*' }).first())?.n ?? 0);

export const listUsers = (db: Knex): Promise<UserRow[]> => db('users').orderBy('email');

export const touchLogin = (db: Knex, id: number, at: string) => db('users').where({ id }).update({ last_login_at: at });

export const updateUser = (db: Knex, id: number, patch: Partial<Pick<UserRow, 'name' | 'role' | 'password_hash' | 'deactivated_at' | 'locale'>>) =>
  db('users').where({ id }).update(patch);

/** Ends every session of a user (each carries the epoch it signed in with) and returns the new epoch. */
export async function bumpSessionEpoch(db: Knex, id: number): Promise<number> {
  await db('users').where({ id }).increment('session_epoch', 1);
  const row = await db('users').where({ id }).first('session_epoch');
  return Number(row?.session_epoch ?? 0);
}

/** A row that exists once the first-run setup has run; its primary key makes a second setup fail. */
export const claimFirstRunSetup = (db: Knex, at: string) => db('settings').insert({ key: 'first_run_setup_at', value: JSON.stringify(at) });
