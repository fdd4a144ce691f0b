import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's current scrypt parameters (Password Storage Cheat Sheet): N=2^17, r=8, p=1. One hash takes
 * 128 MiB (128 · N · r bytes) and a few hundred milliseconds; hashes made with other parameters (the
 * N=2^14 ones of earlier versions) still verify and are replaced at the next sign-in (needsRehash).
 */
export const scryptParams: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** The largest parameters a stored hash may ask for: a damaged or planted row cannot make us allocate gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** Node refuses scrypt above `maxmem` (32 MiB by default): allow what the parameters need, with room to spare. */
const options = ({ N, r, p }: ScryptParams): crypto.ScryptOptions => ({ N, r, p, maxmem: 128 * N * r * p + 64 * 1024 * 1024 });

/** scrypt$N$r$p$salt$hash: the parameters travel with the hash; salt and hash in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, 32, options(scryptParams));
  return ['scrypt', scryptParams.N, scryptParams.r, scryptParams.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

const isPowerOfTwo = (n: number) => Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;

function parseHash(stored: string | null): ParsedHash | null {
  const parts = (stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!isPowerOfTwo(N) || N > MAX_N || !Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) {
    // Spend the same time on unknown users as on known ones.
    await scrypt(password, Buffer.alloc(16), 32, options(scryptParams));
    return false;
  }
  const actual = await scrypt(password, parsed.salt, parsed.hash.length, options(parsed));
  return crypto.timingSafeEqual(parsed.hash, actual);
}

/** Whether a stored hash was made with other parameters than today's (hash the password again once it is known to be right). */
export function needsRehash(stored: string | null): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N !== scryptParams.N || parsed.r !== scryptParams.r || parsed.p !== scryptParams.p || parsed.hash.length !== 32;
}
