import crypto from 'node:crypto';
import type { Knex } from 'knex';

/**
 * The workspace's secret for signed web links (/s/KEY?customer=…&sig=…): the company's server signs
 * the link with it, so a web answer can belong to a customer. Made on first use and kept with the
 * settings; shown to admins on the Settings page, where they can replace it (links signed with the old
 * one stop working).
 */

const SETTING = 'link_signing_secret';

const newSecret = () => `tpsk_${crypto.randomBytes(32).toString('base64url')}`;

async function stored(db: Knex): Promise<string | null> {
  const row: { value: string } | undefined = await db('settings').where({ key: SETTING }).first('value');
  return row ? (JSON.parse(row.value) as string) : null;
}

export async function linkSigningSecret(db: Knex): Promise<string> {
  const secret = await stored(db);
  if (secret) return secret;
  // Two processes making one at once: the first insert wins and both read it.
  await db('settings').insert({ key: SETTING, value: JSON.stringify(newSecret()) }).onConflict('key').ignore();
  return (await stored(db))!;
}

export async function replaceLinkSigningSecret(db: Knex): Promise<string> {
  const secret = newSecret();
  await db('settings').insert({ key: SETTING, value: JSON.stringify(secret) }).onConflict('key').merge();
  return secret;
}

/** The lowercase hex HMAC-SHA256 of `message` (UTF-8) keyed with the secret exactly as shown. */
const signLink = (secret: string, message: string): string => crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex');

export function linkSignatureMatches(secret: string, message: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return crypto.timingSafeEqual(Buffer.from(signLink(secret, message), 'hex'), Buffer.from(signature, 'hex'));
}
