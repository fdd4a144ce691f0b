import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { toDbTime } from '../db/time.ts';
import { bumpVersion, cached, deepFreeze } from '../db/versioned-cache.ts';
import { addDays, isCalendarDate, isIsoInstant, localMidnight } from '../dates.ts';
import { hashToken } from '../tokens.ts';
import { audit, cliActor, systemActor, type AuditActor } from '../audit/record.ts';
import { getSettings } from '../settings/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import {
  findApiKeyByHash,
  findApiKeyById,
  findUnrevokedApiKeysByName,
  findUnrevokedApiKeysOfUser,
  insertApiKey,
  markApiKeyUsed,
  revokeApiKey,
  updateApiKeyScopes,
  type ApiKeyRow,
  type ApiKeyWithOwner,
} from './queries.ts';
import { adminOnlyScopes, apiScopes, isApiScope, scopesFromDb, scopesToDb, sortScopes, type ApiScope } from './scopes.ts';

/**
 * Who manages keys: a signed-in user (editors and admins), or the command line, which counts as an admin.
 * Editors create keys without the admin-only scopes and revoke the keys they created; admins do anything.
 */
export interface KeyManager {
  userId: number | null;
  /** The user's email, or `command line`: recorded as the key's owner. */
  label: string;
  isAdmin: boolean;
  /** Who the audit log names. */
  actor: AuditActor;
}

export const commandLineManager: KeyManager = { userId: null, label: 'command line', isAdmin: true, actor: cliActor };

export interface NewApiKeyInput {
  name: string;
  /** Scope names, as a list or comma/space-separated; absent or null: every scope. */
  scopes?: string | readonly unknown[] | null;
  /** A date (YYYY-MM-DD: the key works through that day in the reporting time zone) or an ISO instant; empty: never. */
  expires?: string | null;
}

export interface CreatedApiKey {
  id: number;
  name: string;
  /** The key itself: shown this once, never stored. */
  key: string;
  prefix: string;
  scopes: ApiScope[];
  expiresAt: string | null;
}

const nameSchema = z.string().trim().min(1, 'Name must not be empty.').max(100, 'Name must be at most 100 characters.');
const MAX_EXPIRY_YEARS = 10;
const scopeList = apiScopes.join(', ');

/**
 * Scope names from a form, a JSON body or `--scopes a,b`. Returns null when none were named (every scope);
 * an empty or unknown one is a field error on `scopes`.
 */
function parseScopes(value: unknown, field = 'scopes'): { scopes: ApiScope[] | null; error?: FieldError } {
  if (value === undefined || value === null) return { scopes: null };
  const words = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : [String(v)])).filter(Boolean);
  if (!words.length) return { scopes: [], error: { field, message: `Scopes must include at least one scope (${scopeList}).` } };
  const unknown = [...new Set(words.filter((w) => !isApiScope(w)))];
  if (unknown.length) {
    const named = unknown.map((w) => `"${w.slice(0, 40)}"`).join(', ');
    return { scopes: [], error: { field, message: `${named} ${unknown.length === 1 ? 'is not a scope' : 'are not scopes'}; the scopes are ${scopeList}.` } };
  }
  return { scopes: sortScopes(words as ApiScope[]) };
}

/**
 * The instant a key stops working: for a date, the start of the next day in `timeZone` (the key works
 * through that date); for an instant, that instant. Must lie in the future and within ten years.
 */
function parseExpiry(value: string | null | undefined, now: Date, timeZone: string): { at: Date | null; error?: FieldError } {
  const text = (value ?? '').trim();
  if (!text) return { at: null };
  let at: Date;
  if (isCalendarDate(text)) {
    at = localMidnight(addDays(text, 1), timeZone);
  } else if (isIsoInstant(text)) {
    at = new Date(text);
  } else {
    return { at: null, error: { field: 'expires', message: 'Expires must be a date (YYYY-MM-DD) or an ISO 8601 instant with an offset, such as 2027-06-30 or 2027-06-30T18:00:00Z.' } };
  }
  if (at.getTime() <= now.getTime()) return { at: null, error: { field: 'expires', message: 'Expires must be in the future.' } };
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_EXPIRY_YEARS);
  if (at.getTime() > latest.getTime()) return { at: null, error: { field: 'expires', message: `Expires must be at most ${MAX_EXPIRY_YEARS} years from now.` } };
  return { at };
}

/** Admin-only scopes among `scopes` that `by` may not give (none for admins and the command line). */
const scopesBeyond = (by: KeyManager, scopes: readonly ApiScope[]): ApiScope[] => (by.isAdmin ? [] : scopes.filter((s) => adminOnlyScopes.includes(s)));

/**
 * Creates an API key; the key itself is returned this once and only its hash is kept. Without scopes it
 * gets every scope; only admins (and the command line) can give the admin-only scopes. Audited.
 */
export async function createApiKey(db: Knex, input: NewApiKeyInput, now: Date, by: KeyManager = commandLineManager): Promise<CreatedApiKey> {
  const errors: FieldError[] = [];
  const name = nameSchema.safeParse(input.name ?? '');
  if (!name.success) errors.push({ field: 'name', message: name.error.issues[0].message });
  const requested = parseScopes(input.scopes);
  if (requested.error) errors.push(requested.error);
  const scopes = requested.scopes ?? [...apiScopes];
  const beyond = scopesBeyond(by, scopes);
  if (!requested.error && beyond.length) {
    errors.push({
      field: 'scopes',
      message:
        requested.scopes === null
          ? `Scopes must be chosen: every scope includes ${beyond.join(', ')} (export and erase customers), which only an admin can give a key.`
          : `Scopes must not include ${beyond.join(', ')} (export and erase customers): only an admin can give a key that scope.`,
    });
  }
  const expiresText = (input.expires ?? '').trim();
  const timeZone = /^\d{4}-\d{2}-\d{2}$/.test(expiresText) ? (await getSettings(db)).reporting_time_zone : 'UTC';
  const expiry = parseExpiry(expiresText, now, timeZone);
  if (expiry.error) errors.push(expiry.error);
  if (errors.length || !name.success) throw new ValidationError(errors);

  const key = `tp_${crypto.randomBytes(24).toString('base64url')}`;
  const prefix = key.slice(0, 10);
  const expiresAt = expiry.at ? toDbTime(expiry.at) : null;
  const id = await db.transaction(async (trx) => {
    const newId = await insertApiKey(trx, {
      name: name.data,
      prefix,
      key_hash: hashToken(key),
      scopes: scopesToDb(scopes),
      created_at: toDbTime(now),
      created_by_user_id: by.userId,
      created_by_label: by.label.slice(0, 254),
      expires_at: expiresAt,
    });
    await bumpVersion(trx, 'api_keys');
    await audit(
      trx,
      {
        actor: by.actor,
        action: 'apikey.created',
        target: { type: 'api_key', id: newId, label: name.data },
        detail: { prefix, scopes, expires_at: expiresAt, owner: by.label },
      },
      now,
    );
    return newId;
  });
  return { id, name: name.data, key, prefix, scopes, expiresAt };
}

export type KeyStatus = 'active' | 'expired' | 'revoked' | 'owner_deactivated';

/** Where a key stands at `now`: revoked first, then a deactivated (or vanished) owner, then expiry. */
export function apiKeyStatus(key: ApiKeyWithOwner, now: Date): KeyStatus {
  if (key.revoked_at) return 'revoked';
  if (key.owner_deactivated_at || (key.created_by_user_id !== null && key.owner_email === null)) return 'owner_deactivated';
  if (key.expires_at && Date.parse(key.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

export type KeyCheck =
  | { ok: true; key: ApiKeyWithOwner; scopes: ApiScope[] }
  | { ok: false; reason: 'unknown' | Exclude<KeyStatus, 'active'>; key?: ApiKeyWithOwner };

/**
 * The key for a presented secret and its scopes, noting when it was last used (at most once a minute);
 * else why it is refused. A key whose owner has been deactivated is revoked here, for good, if that has
 * not happened yet (so that reactivating the owner does not bring it back).
 */
export async function verifyApiKey(db: Knex, presented: string, now: Date): Promise<KeyCheck> {
  const known = await knownKey(db, hashToken(presented));
  if (!known) return { ok: false, reason: 'unknown' };
  const { row } = known;
  const status = apiKeyStatus(row, now);
  if (status === 'owner_deactivated') {
    await revokeWithAudit(db, row, now, 'Touchpoint (owner deactivated)', systemActor, 'owner_deactivated');
    return { ok: false, reason: status, key: row };
  }
  if (status !== 'active') return { ok: false, reason: status, key: row };
  if (now.getTime() - known.lastUsedMs > 60_000) {
    // Noted before the write, so that calls arriving meanwhile do not write it again.
    known.lastUsedMs = now.getTime();
    await markApiKeyUsed(db, row.id, toDbTime(now));
  }
  return { ok: true, key: row, scopes: scopesFromDb(row.scopes) };
}

/** A key as this process knows it: the row (frozen; its last_used_at as read) and when this process last noted it used. */
interface KnownKey {
  row: ApiKeyWithOwner;
  lastUsedMs: number;
}

/**
 * The key with this hash, kept in the process until a key is created, revoked or narrowed or an owner
 * is deactivated (server/db/versioned-cache.ts; noting it used changes nothing there). Unknown hashes
 * are not kept.
 */
const knownKey = (db: Knex, keyHash: string): Promise<KnownKey | undefined> =>
  cached(
    db,
    'api_keys',
    async () => {
      const row = await findApiKeyByHash(db, keyHash);
      return row && { row: deepFreeze(row), lastUsedMs: row.last_used_at ? Date.parse(row.last_used_at) : -Infinity };
    },
    { key: keyHash, keep: (known) => known !== undefined },
  );

async function revokeWithAudit(db: Knex, key: ApiKeyRow, now: Date, byLabel: string, actor: AuditActor, reason?: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const changed = await revokeApiKey(trx, key.id, toDbTime(now), byLabel);
    if (changed) {
      await bumpVersion(trx, 'api_keys');
      await audit(
        trx,
        { actor, action: 'apikey.revoked', target: { type: 'api_key', id: key.id, label: key.name }, detail: { prefix: key.prefix, ...(reason ? { reason } : {}) } },
        now,
      );
    }
    return changed > 0;
  });
}

/** Whether `by` may revoke `key`: admins any key, editors the keys they created. */
export const mayRevoke = (by: KeyManager, key: Pick<ApiKeyRow, 'created_by_user_id'>): boolean =>
  by.isAdmin || (by.userId !== null && key.created_by_user_id === by.userId);

/** Revokes one key (audited); 403 for an editor and a key someone else created. Revoking twice changes nothing. */
export async function revokeApiKeyById(db: Knex, id: number, now: Date, by: KeyManager): Promise<{ key: ApiKeyWithOwner; changed: boolean }> {
  const key = await findApiKeyById(db, id);
  if (!key) throw new NotFoundError('There is no such API key');
  if (!mayRevoke(by, key)) {
    throw new ForbiddenError(`You can revoke only the API keys you created; ask an admin to revoke the key "${key.name}".`);
  }
  return { key, changed: await revokeWithAudit(db, key, now, by.label, by.actor) };
}

/** `touchpoint apikey revoke --name N`: revokes every key of that name not revoked yet; 404 when there is none. */
export async function revokeApiKeysByName(db: Knex, rawName: string, now: Date, by: KeyManager = commandLineManager): Promise<ApiKeyRow[]> {
  const name = (rawName ?? '').trim();
  if (!name) throw ValidationError.field('name', 'Name must not be empty: name the key to revoke with --name.');
  const keys = (await findUnrevokedApiKeysByName(db, name)).filter((k) => mayRevoke(by, k));
  if (!keys.length) throw new NotFoundError(`There is no API key named "${name}" that is not revoked yet.`);
  for (const key of keys) await revokeWithAudit(db, key, now, by.label, by.actor);
  return keys;
}

/**
 * Revokes every key a user created, as their account is deactivated (the keys must not outlive the
 * person who made them). Meant to be called where users are deactivated; `verifyApiKey` also refuses
 * and revokes such keys when they are next used.
 */
export async function revokeApiKeysOfUser(db: Knex, userId: number, now: Date, actor: AuditActor = systemActor): Promise<number> {
  let n = 0;
  for (const key of await findUnrevokedApiKeysOfUser(db, userId)) {
    if (await revokeWithAudit(db, key, now, 'Touchpoint (owner deactivated)', actor, 'owner_deactivated')) n++;
  }
  return n;
}

/**
 * Narrows a key's scopes (admins only): the new scopes must be some of the key's scopes now; for more,
 * create a new key. Audited when something changed.
 */
export async function narrowApiKeyScopes(db: Knex, id: number, requested: unknown, now: Date, by: KeyManager): Promise<{ key: ApiKeyWithOwner; scopes: ApiScope[]; changed: boolean }> {
  if (!by.isAdmin) throw new ForbiddenError('Only an admin can change the scopes of an API key.');
  const key = await findApiKeyById(db, id);
  if (!key) throw new NotFoundError('There is no such API key');
  if (key.revoked_at) throw new ConflictError(`The key "${key.name}" is revoked; its scopes can no longer change.`);
  const parsed = parseScopes(requested ?? []);
  if (parsed.error) throw new ValidationError([parsed.error]);
  const before = scopesFromDb(key.scopes);
  const after = parsed.scopes!;
  const added = after.filter((s) => !before.includes(s));
  if (added.length) {
    throw ValidationError.field('scopes', `Scopes can only be narrowed: the key does not have ${added.join(', ')} now; create a new key for more.`);
  }
  if (after.length === before.length) return { key, scopes: before, changed: false };
  await db.transaction(async (trx) => {
    await updateApiKeyScopes(trx, key.id, scopesToDb(after));
    await bumpVersion(trx, 'api_keys');
    await audit(
      trx,
      { actor: by.actor, action: 'apikey.scopes_changed', target: { type: 'api_key', id: key.id, label: key.name }, detail: { prefix: key.prefix, from: before, to: after } },
      now,
    );
  });
  return { key, scopes: after, changed: true };
}
