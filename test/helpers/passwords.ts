import crypto from 'node:crypto';

/** A hash as versions before N=2^17 made them (scrypt$16384$8$1$salt$hash). */
export function legacyHash(password: string): string {
  const salt = crypto.randomBytes(16);
  const hash = crypto.scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$');
}
