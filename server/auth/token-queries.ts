import type { Knex } from 'knex';
import { propertyValueText } from '../db/dialect.ts';

export type UserTokenPurpose = 'invite' | 'reset';

export interface UserTokenRow {
  id: number;
  user_id: number;
  purpose: UserTokenPurpose;
  token_hash: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export async function insertUserToken(db: Knex, row: Omit<UserTokenRow, 'id' | 'used_at'>): Promise<number> {
  const [inserted] = await db('user_tokens').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export const findUserTokenByHash = (db: Knex, tokenHash: string): Promise<UserTokenRow | undefined> =>
  db('user_tokens').where({ token_hash: tokenHash }).first();

/** How many links of a purpose a user was sent after `since`. */
export const countUserTokensSince = async (db: Knex, userId: number, purpose: UserTokenPurpose, since: string): Promise<number> =>
  Number((await db('user_tokens').where({ user_id: userId, purpose }).where('created_at', '>', since).count({ n: '*' }).first())?.n ?? 0);

/** Marks one token used; 0 when it was used already (another request won). */
export const useUserToken = (db: Knex, id: number, at: string): Promise<number> =>
  db('user_tokens').where({ id }).whereNull('used_at').update({ used_at: at });

/** Retires a user's unused tokens (of one purpose, or all), so only the newest link works. */
export function retireUserTokens(db: Knex, userId: number, at: string, purpose?: UserTokenPurpose): Promise<number> {
  const query = db('user_tokens').where({ user_id: userId }).whereNull('used_at');
  if (purpose) query.where({ purpose });
  return query.update({ used_at: at });
}

/** Ends every session of a user (the session store's rows hold the user id in their JSON). */
export const deleteSessionsOfUser = (db: Knex, userId: number): Promise<number> =>
  db('sessions').whereRaw('? = ?', [propertyValueText(db, 'sess', 'userId'), String(userId)]).delete();
