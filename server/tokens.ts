import crypto from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Invitation link tokens: 256 bits derived from a server key and a random
 * per-invitation salt, so the worker can render the same links again after a
 * crash (and for the reminder), while the database holds only the salt, the
 * token's hash and which key derived it (a copy of the database alone reveals
 * no working link). The one place that knows how a token is made.
 *
 * Key versions (invitations.token_key_version):
 * - 1: HMAC-SHA256(SESSION_SECRET, "invitation:" + salt), every invitation made before link tokens
 *   had their own key. Kept so the emails and reminders of those invitations keep working.
 * - 2: HMAC-SHA256(link key, "invitation:v2:" + salt), every invitation made since. The link key is
 *   LINK_SECRET, or the one generated and kept in var/link-secret; changing SESSION_SECRET does not
 *   touch it.
 * A link that arrives is found by the SHA-256 of its token alone, whatever key made it.
 */

export type TokenKeyVersion = 1 | 2;
export const CURRENT_TOKEN_KEY_VERSION: TokenKeyVersion = 2;

/** The secrets tokens are derived with (Config has both). */
export interface TokenKeys {
  sessionSecret: string;
  linkSecret: string;
}

/** What a stored invitation holds about its token. */
export interface StoredTokenKey {
  token_salt: string;
  /** Absent or null: a row from before the column, version 1. */
  token_key_version?: number | null;
}

export const newTokenSalt = (): string => crypto.randomBytes(16).toString('base64url');

const hmac = (key: string, message: string) => crypto.createHmac('sha256', key).update(message).digest('base64url');

function derive(keys: TokenKeys, salt: string, version: number): string {
  switch (version) {
    case 1:
      return hmac(keys.sessionSecret, `invitation:${salt}`);
    case 2:
      return hmac(keys.linkSecret, `invitation:v2:${salt}`);
    default:
      throw new Error(`Unknown link token key version ${version}`);
  }
}

/**
 * The link token of a stored invitation, derived with the key its row names.
 * The old form `invitationToken(secret, salt)` derives version 1 with that secret (rows written
 * without token_key_version are version 1 by the column's default).
 */
export function invitationToken(keys: TokenKeys, invitation: StoredTokenKey): string;
/** @deprecated Version 1 only (the session secret); new invitations use newInvitationToken. */
export function invitationToken(secret: string, salt: string): string;
export function invitationToken(keys: TokenKeys | string, invitation: StoredTokenKey | string): string {
  if (typeof keys === 'string') return derive({ sessionSecret: keys, linkSecret: '' }, invitation as string, 1);
  const stored = invitation as StoredTokenKey;
  return derive(keys, stored.token_salt, stored.token_key_version ?? 1);
}

/** A new invitation's token and the columns that store it (salt, key version, hash). */
export function newInvitationToken(keys: TokenKeys): { token: string; token_salt: string; token_key_version: TokenKeyVersion; token_hash: string } {
  const token_salt = newTokenSalt();
  const token = derive(keys, token_salt, CURRENT_TOKEN_KEY_VERSION);
  return { token, token_salt, token_key_version: CURRENT_TOKEN_KEY_VERSION, token_hash: hashToken(token) };
}

/** How a token (and any other secret presented to the app: API keys, account links) is stored and looked up. */
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/**
 * The token of a stored invitation, checked against the hash stored when it was made: a key that is
 * not the one the token was made with (LINK_SECRET changed, or machines that do not share it) throws,
 * so no email goes out with a link that leads nowhere; the sending attempt fails with this message.
 */
export function verifiedInvitationToken(keys: TokenKeys, invitation: StoredTokenKey & { token_hash: string }): string {
  const token = invitationToken(keys, invitation);
  if (hashToken(token) !== invitation.token_hash) {
    const version = invitation.token_key_version ?? 1;
    throw new Error(
      version === 1
        ? "This invitation's link was made with a SESSION_SECRET other than the current one, so its link cannot be made again; set SESSION_SECRET back to send it."
        : "This invitation's link was made with a LINK_SECRET other than this process's, so its link cannot be made again; give every process the same LINK_SECRET (or the same var/link-secret).",
    );
  }
  return token;
}

const KEY_ID_SETTING = 'link_token_key_id';

/** A one-way fingerprint of the link key: tells keys apart, reveals nothing of them. */
export const linkKeyId = (linkSecret: string): string => hmac(linkSecret, 'touchpoint link-token key id').slice(0, 16);

export type LinkKeyCheck = { kind: 'recorded' } | { kind: 'same' } | { kind: 'changed'; previous: string; current: string };

/**
 * Compares this process's link key with the one the database last recorded (settings row
 * link_token_key_id) and records it when none or when `adopt` says a change is meant. Processes
 * that share a database must share the key: the one that schedules an invitation and the worker
 * that sends it derive the same token.
 */
export async function checkLinkKey(db: Knex, linkSecret: string, adopt: boolean): Promise<LinkKeyCheck> {
  const current = linkKeyId(linkSecret);
  const read = async () => {
    const row: { value: string } | undefined = await db('settings').where({ key: KEY_ID_SETTING }).first('value');
    return row ? (JSON.parse(row.value) as string) : null;
  };
  let previous = await read();
  if (previous === null) {
    await db('settings').insert({ key: KEY_ID_SETTING, value: JSON.stringify(current) }).onConflict('key').ignore();
    previous = await read();
    if (previous === current) return { kind: 'recorded' };
  }
  if (previous === current) return { kind: 'same' };
  if (adopt) await db('settings').where({ key: KEY_ID_SETTING }).update({ value: JSON.stringify(current) });
  return { kind: 'changed', previous: previous!, current };
}

/**
 * The token every customer link carries where staff see an email (delivery
 * log, mailbox): it keeps the link's shape (which score, trap, unsubscribe)
 * but answers nothing, since no real token is this short (they are 43
 * base64url characters).
 */
export const INERT_TOKEN = 'preview-token';

/**
 * A link token in an absolute URL (whatever its host and path prefix, so
 * that mail stored under an earlier BASE_URL is covered too): answer and trap
 * links (/r/…), unsubscribe links (/u/…) and, in mail stored before account
 * emails stopped going to the mailbox, set-password links (/password/set/…).
 */
const liveLink = /(https?:\/\/[^\s"'<>]*?\/(?:r|u|password\/set)\/)[A-Za-z0-9_-]{20,128}(?![A-Za-z0-9_-])/g;

/** The text with every link token in it replaced by INERT_TOKEN. */
export const inertLinks = (text: string): string => text.replace(liveLink, `$1${INERT_TOKEN}`);
