import type { Knex } from 'knex';

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  key_hash: string;
  /** Space-separated scopes (see scopes.ts); NULL reads as every scope. */
  scopes: string | null;
  created_at: string;
  /** The user who created it; NULL for the command line and for keys made before owners were recorded. */
  created_by_user_id: number | null;
  /** The creator's email as it was then, or `command line`; NULL for keys made before owners were recorded. */
  created_by_label: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by_label: string | null;
}

/** A key with its owner as the owner is now (NULL columns when there is no owner user). */
export interface ApiKeyWithOwner extends ApiKeyRow {
  owner_email: string | null;
  owner_deactivated_at: string | null;
}

export type NewApiKeyRow = Pick<ApiKeyRow, 'name' | 'prefix' | 'key_hash' | 'scopes' | 'created_at' | 'created_by_user_id' | 'created_by_label' | 'expires_at'>;

export async function insertApiKey(db: Knex, row: NewApiKeyRow): Promise<number> {
  const [r] = await db('api_keys').insert(row).returning('id');
  return typeof r === 'object' ? r.id : r;
}

const withOwner = (db: Knex) =>
  db('api_keys as k')
    .leftJoin('users as u', 'u.id', 'k.created_by_user_id')
    .select('k.*', 'u.email as owner_email', 'u.deactivated_at as owner_deactivated_at');

/** The key (revoked or not) with this hash, and its owner. */
export const findApiKeyByHash = (db: Knex, keyHash: string): Promise<ApiKeyWithOwner | undefined> =>
  withOwner(db).where('k.key_hash', keyHash).first();

export const findApiKeyById = (db: Knex, id: number): Promise<ApiKeyWithOwner | undefined> => withOwner(db).where('k.id', id).first();

export const listApiKeys = (db: Knex): Promise<ApiKeyWithOwner[]> => withOwner(db).orderBy('k.created_at', 'desc').orderBy('k.id', 'desc');

/** Keys not revoked yet with this name. */
export const findUnrevokedApiKeysByName = (db: Knex, name: string): Promise<ApiKeyRow[]> =>
  db('api_keys').where({ name }).whereNull('revoked_at').orderBy('id');

/** Keys not revoked yet that this user created. */
export const findUnrevokedApiKeysOfUser = (db: Knex, userId: number): Promise<ApiKeyRow[]> =>
  db('api_keys').where({ created_by_user_id: userId }).whereNull('revoked_at').orderBy('id');

export const markApiKeyUsed = (db: Knex, id: number, at: string) => db('api_keys').where({ id }).update({ last_used_at: at });

/** Revokes a key unless it already is; the number of rows changed (0 or 1). */
export const revokeApiKey = (db: Knex, id: number, at: string, byLabel: string): Promise<number> =>
  db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: at, revoked_by_label: byLabel.slice(0, 254) });

export const updateApiKeyScopes = (db: Knex, id: number, scopes: string) => db('api_keys').where({ id }).whereNull('revoked_at').update({ scopes });
