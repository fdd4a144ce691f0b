import type { Knex } from 'knex';

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export async function insertApiKey(db: Knex, row: Omit<ApiKeyRow, 'id' | 'last_used_at' | 'revoked_at'>): Promise<number> {
  const [r] = await db('api_keys').insert(row).returning('id');
  return typeof r === 'object' ? r.id : r;
}

export const findActiveApiKeyByHash = (db: Knex, keyHash: string): Promise<ApiKeyRow | undefined> =>
  db('api_keys').where({ key_hash: keyHash }).whereNull('revoked_at').first();

export const listApiKeys = (db: Knex): Promise<ApiKeyRow[]> => db('api_keys').orderBy('created_at', 'desc');

export const markApiKeyUsed = (db: Knex, id: number, at: string) => db('api_keys').where({ id }).update({ last_used_at: at });

export const revokeApiKey = (db: Knex, id: number, at: string) =>
  db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: at });

export const findApiKeyById = (db: Knex, id: number): Promise<ApiKeyRow | undefined> => db('api_keys').where({ id }).first();
