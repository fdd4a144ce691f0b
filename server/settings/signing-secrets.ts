import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { bumpVersion, cached } from '../db/versioned-cache.ts';

/**
 * The workspace's signing secrets, with which the company's server vouches for a customer:
 * - `link`: signed web links (/s/KEY?customer=…&sig=…), so a web answer can belong to a customer;
 * - `widget`: the widget's snippet (data-signature), so nobody can ask for someone else's survey.
 * Each is made on first use and kept with the settings (and in the process, with the settings' cache
 * version: every widget request and signed link checks one); shown to admins on the Settings page, where
 * they can replace it (what was signed with the old one stops working).
 */

export type SecretKind = 'link' | 'widget';

const kinds: Record<SecretKind, { setting: string; prefix: string }> = {
  link: { setting: 'link_signing_secret', prefix: 'tpsk_' },
  widget: { setting: 'widget_secret', prefix: 'tpwk_' },
};

const newSecret = (kind: SecretKind) => `${kinds[kind].prefix}${crypto.randomBytes(32).toString('base64url')}`;

async function stored(db: Knex, kind: SecretKind): Promise<string | null> {
  const row: { value: string } | undefined = await db('settings').where({ key: kinds[kind].setting }).first('value');
  return row ? (JSON.parse(row.value) as string) : null;
}

export function signingSecret(db: Knex, kind: SecretKind): Promise<string> {
  return cached(
    db,
    'settings',
    async () => {
      const secret = await stored(db, kind);
      if (secret) return secret;
      // Two processes making one at once: the first insert wins and both read it.
      await db('settings').insert({ key: kinds[kind].setting, value: JSON.stringify(newSecret(kind)) }).onConflict('key').ignore();
      return (await stored(db, kind))!;
    },
    { key: `secret:${kind}` },
  );
}

/** A new secret in force, in the caller's transaction (or after the write): every process forgets the old one. */
export async function replaceSigningSecret(db: Knex, kind: SecretKind): Promise<string> {
  const secret = newSecret(kind);
  await db('settings').insert({ key: kinds[kind].setting, value: JSON.stringify(secret) }).onConflict('key').merge();
  await bumpVersion(db, 'settings');
  return secret;
}

/** The lowercase hex HMAC-SHA256 of `message` (UTF-8) keyed with the secret exactly as shown. */
export const signMessage = (secret: string, message: string): string => crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex');

export function signatureMatches(secret: string, message: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return crypto.timingSafeEqual(Buffer.from(signMessage(secret, message), 'hex'), Buffer.from(signature, 'hex'));
}
