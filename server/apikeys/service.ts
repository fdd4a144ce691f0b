import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { hashToken } from '../responses/tokens.ts';
import { findActiveApiKeyByHash, insertApiKey, markApiKeyUsed, type ApiKeyRow } from './queries.ts';

const newKeySchema = z.object({ name: z.string().trim().min(1, 'must not be empty').max(100) });

/** Creates an API key; the key itself is returned this once and only its hash is kept. */
export async function createApiKey(db: Knex, input: { name: string }, now: Date): Promise<{ id: number; name: string; key: string }> {
  const { name } = parseInput(newKeySchema, input);
  const key = `tp_${crypto.randomBytes(24).toString('base64url')}`;
  const id = await insertApiKey(db, { name, prefix: key.slice(0, 10), key_hash: hashToken(key), created_at: toDbTime(now) });
  return { id, name, key };
}

/** The active key for a presented secret, noting when it was last used (at most once a minute). */
export async function verifyApiKey(db: Knex, presented: string, now: Date): Promise<ApiKeyRow | null> {
  const row = await findActiveApiKeyByHash(db, hashToken(presented));
  if (!row) return null;
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    await markApiKeyUsed(db, row.id, toDbTime(now));
  }
  return row;
}
