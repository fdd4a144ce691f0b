import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { MINUTE, HOUR } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { userTarget } from './service.ts';
import { bumpSessionEpoch, type UserRow } from './queries.ts';

/**
 * Two-factor sign-in with TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step either side
 * accepted), with otplib for the codes and qrcode for the picture an authenticator app scans.
 *
 * - The secret is stored sealed (AES-256-GCM under a key derived from SESSION_SECRET with HKDF, bound
 *   to the user's id) and is shown only while enrolment is under way. Changing SESSION_SECRET makes the
 *   stored secrets unreadable: those users then sign in with a recovery code, or an admin resets them.
 * - A code is accepted once: the time step of the last accepted code is stored, and a code of that step
 *   or an earlier one is refused (the check and the write are one conditional UPDATE, so two requests
 *   with the same code cannot both pass).
 * - Ten recovery codes (80 random bits each) are shown once and stored as SHA-256 hashes; each works once.
 *
 * Routes are in two-factor-routes.ts; the sign-in step in routes.ts hands over to it.
 */

declare module 'express-session' {
  interface SessionData {
    /**
     * A sign-in whose password was right and whose second factor is still to come. The session is not
     * signed in (no userId) until the code is right; then it gets a new id (startSession).
     */
    twoFactor?: { userId: number; epoch: number; startedAt: number; next?: string };
  }
}

/** The issuer an authenticator app shows beside the account. */
const TOTP_ISSUER = 'Touchpoint';
const TOTP_PERIOD_SECONDS = 30;
/** How many recovery codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;
/** How long the code step of a sign-in waits after the right password. */
export const PENDING_SIGN_IN_MS = 5 * MINUTE;
/** An enrolment not finished within this time starts again with a new secret. */
const ENROLMENT_MAX_AGE_MS = HOUR;

export interface SecondFactorRow {
  user_id: number;
  secret: string;
  created_at: string;
  confirmed_at: string | null;
  last_used_step: number | string | null;
}

// --- The sealed secret -------------------------------------------------------------------------

/** The key that seals TOTP secrets, derived from SESSION_SECRET (its own purpose, so it is no other key). */
export const secretKeyFrom = (sessionSecret: string): Buffer =>
  Buffer.from(crypto.hkdfSync('sha256', sessionSecret, 'touchpoint', 'touchpoint two-factor secrets v1', 32));

const boundTo = (userId: number) => Buffer.from(`touchpoint user ${userId}`);

/** Seals a base32 secret for one user: `v1:iv:tag:ciphertext`, each base64url. */
export function sealSecret(key: Buffer, userId: number, secret: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(boundTo(userId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join(':');
}

/** The base32 secret, or null when it cannot be opened (another SESSION_SECRET, another user's row). */
export function openSecret(key: Buffer, userId: number, sealed: string): string | null {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || body === undefined) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(boundTo(userId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

// --- Codes ---------------------------------------------------------------------------------------

/** A typed code without spaces and dashes, lower case. */
const compact = (code: string): string => code.normalize('NFKC').replace(/[\s-]+/g, '').toLowerCase();

/** Whether a typed code has the shape of an authenticator code (6 digits, spaces allowed). */
const looksLikeTotp = (code: string): boolean => /^\d{6}$/.test(compact(code));

/**
 * The time step of a right code for this secret at `now` (one step either side accepted), or null.
 * With `afterStep`, codes of that step and earlier ones are refused.
 */
async function totpStep(secret: string, code: string, now: Date, afterStep: number | null = null): Promise<number | null> {
  const token = compact(code);
  if (!/^\d{6}$/.test(token)) return null;
  try {
    const result = await verify({
      secret,
      token,
      epoch: Math.floor(now.getTime() / 1000),
      period: TOTP_PERIOD_SECONDS,
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
    });
    // A TOTP result carries the time step it matched (an HOTP one would not).
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    return null;
  }
}

// Recovery codes: 16 characters of a 32-letter alphabet without 0/o and 1/l (80 bits), as xxxx-xxxx-xxxx-xxxx.
const recoveryAlphabet = 'abcdefghijkmnpqrstuvwxyz23456789';

function recoveryCode(): string {
  const bytes = crypto.randomBytes(16);
  const chars = [...bytes].map((b) => recoveryAlphabet[b & 31]);
  return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join('')).join('-');
}

/** The stored form of a recovery code: SHA-256 (hex) of the code without separators. */
export const hashRecoveryCode = (code: string): string => crypto.createHash('sha256').update(compact(code)).digest('hex');

// --- Queries -------------------------------------------------------------------------------------

export const findSecondFactor = (db: Knex, userId: number): Promise<SecondFactorRow | undefined> =>
  db('user_second_factors').where({ user_id: userId }).first();

/** Whether the user signs in with a second factor (enrolment finished). */
export const hasSecondFactor = async (db: Knex, userId: number): Promise<boolean> =>
  !!(await db('user_second_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('user_id'));

/** The ids of the users who sign in with a second factor. */
export const usersWithSecondFactor = async (db: Knex): Promise<Set<number>> =>
  new Set((await db('user_second_factors').whereNotNull('confirmed_at').select('user_id')).map((r: { user_id: number }) => Number(r.user_id)));

export const unusedRecoveryCodes = async (db: Knex, userId: number): Promise<number> =>
  Number((await db('user_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first())?.n ?? 0);

/** Replaces every recovery code of a user with new ones; returns the codes (shown once, never stored). */
async function writeRecoveryCodes(trx: Knex, userId: number, now: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
  await trx('user_recovery_codes').where({ user_id: userId }).delete();
  await trx('user_recovery_codes').insert(codes.map((code) => ({ user_id: userId, code_hash: hashRecoveryCode(code), created_at: toDbTime(now) })));
  return codes;
}

// --- Enrolment -----------------------------------------------------------------------------------

export interface Enrolment {
  /** The base32 secret, for typing. */
  secret: string;
  /** The otpauth:// URI the QR code carries. */
  uri: string;
  /** The QR code as an SVG data URL, for an <img>. */
  qrDataUrl: string;
}

/** The otpauth URI of a secret: issuer Touchpoint, the account's email as its label. */
const otpauthUri = (email: string, secret: string): string => generateURI({ issuer: TOTP_ISSUER, label: email, secret });

/** The QR code of a URI as an SVG data URL (drawn here, no script in the page). */
async function qrDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, width: 232, color: { dark: '#000000', light: '#ffffff' } });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/**
 * The enrolment under way for a user who has no second factor yet: the stored secret when enrolment
 * began within the last hour, else a new one (stored sealed, not in force until confirmed). Null when the
 * user's second factor is on already.
 */
export async function beginEnrolment(db: Knex, key: Buffer, user: Pick<UserRow, 'id' | 'email'>, now: Date): Promise<Enrolment | null> {
  const row = await findSecondFactor(db, user.id);
  if (row?.confirmed_at) return null;
  let secret = row && now.getTime() - Date.parse(row.created_at) < ENROLMENT_MAX_AGE_MS ? openSecret(key, user.id, row.secret) : null;
  if (!secret) {
    secret = generateSecret({ length: 20 });
    const sealed = sealSecret(key, user.id, secret);
    await db('user_second_factors')
      .insert({ user_id: user.id, secret: sealed, created_at: toDbTime(now), confirmed_at: null, last_used_step: null })
      .onConflict('user_id')
      .merge({ secret: sealed, created_at: toDbTime(now), confirmed_at: null, last_used_step: null });
  }
  const uri = otpauthUri(user.email, secret);
  return { secret, uri, qrDataUrl: await qrDataUrl(uri) };
}

export type ConfirmResult = { ok: true; codes: string[]; sessionEpoch: number } | { ok: false; reason: 'wrong_code' | 'no_enrolment' };

/**
 * Finishes enrolment when `code` is right for the secret under way: the second factor is in force, the
 * code's step counts as used, ten new recovery codes are made, every session of the user ends (the
 * caller starts a new one for this request), and auth.second_factor_enabled is written.
 */
export async function confirmEnrolment(db: Knex, key: Buffer, user: Pick<UserRow, 'id' | 'email'>, code: string, now: Date, actor: AuditActor): Promise<ConfirmResult> {
  const row = await findSecondFactor(db, user.id);
  if (!row || row.confirmed_at) return { ok: false, reason: 'no_enrolment' };
  const secret = openSecret(key, user.id, row.secret);
  if (!secret) return { ok: false, reason: 'no_enrolment' };
  const step = await totpStep(secret, code, now);
  if (step === null) return { ok: false, reason: 'wrong_code' };
  return writeTransaction(db, async (trx) => {
    // Only the enrolment that was checked (not one begun again meanwhile, nor one finished by another request).
    const updated = await trx('user_second_factors')
      .where({ user_id: user.id, secret: row.secret })
      .whereNull('confirmed_at')
      .update({ confirmed_at: toDbTime(now), last_used_step: step });
    if (!updated) return { ok: false as const, reason: 'no_enrolment' as const };
    const codes = await writeRecoveryCodes(trx, user.id, now);
    const sessionEpoch = await bumpSessionEpoch(trx, user.id);
    await audit(trx, { actor, action: 'auth.second_factor_enabled', target: userTarget(user), detail: { recovery_codes: codes.length } }, now);
    return { ok: true as const, codes, sessionEpoch };
  });
}

// --- Checking a code -----------------------------------------------------------------------------

export type CodeCheck =
  | { ok: true; method: 'totp' | 'recovery_code'; recoveryCodesLeft: number }
  | { ok: false; reason: 'wrong_code' | 'no_second_factor' | 'unreadable_secret' };

/**
 * Checks a code against a user's second factor and uses it up when right: a 6-digit code against the
 * TOTP secret (the step must be later than the last one used), anything else as a recovery code (each
 * works once). `unreadable_secret`: the stored secret cannot be opened with this SESSION_SECRET.
 */
export async function useSecondFactorCode(db: Knex, key: Buffer, userId: number, code: string, now: Date): Promise<CodeCheck> {
  const row = await findSecondFactor(db, userId);
  if (!row?.confirmed_at) return { ok: false, reason: 'no_second_factor' };
  if (looksLikeTotp(code)) {
    const secret = openSecret(key, userId, row.secret);
    if (!secret) return { ok: false, reason: 'unreadable_secret' };
    const last = row.last_used_step === null ? null : Number(row.last_used_step);
    const step = await totpStep(secret, code, now, last);
    if (step === null) return { ok: false, reason: 'wrong_code' };
    // Used once: only if no request has used this step (or a later one) since the row was read.
    const used = await db('user_second_factors')
      .where({ user_id: userId })
      .whereNotNull('confirmed_at')
      .where((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
      .update({ last_used_step: step });
    if (!used) return { ok: false, reason: 'wrong_code' };
    return { ok: true, method: 'totp', recoveryCodesLeft: await unusedRecoveryCodes(db, userId) };
  }
  const compacted = compact(code);
  if (compacted.length !== 16) return { ok: false, reason: 'wrong_code' };
  const used = await db('user_recovery_codes').where({ user_id: userId, code_hash: hashRecoveryCode(compacted) }).whereNull('used_at').update({ used_at: toDbTime(now) });
  if (!used) return { ok: false, reason: 'wrong_code' };
  return { ok: true, method: 'recovery_code', recoveryCodesLeft: await unusedRecoveryCodes(db, userId) };
}

/** New recovery codes for a user whose second factor is on (the old ones stop working); audited. */
export async function replaceRecoveryCodes(db: Knex, user: Pick<UserRow, 'id' | 'email'>, now: Date, actor: AuditActor): Promise<string[]> {
  return writeTransaction(db, async (trx) => {
    const codes = await writeRecoveryCodes(trx, user.id, now);
    await audit(trx, { actor, action: 'auth.recovery_codes_replaced', target: userTarget(user), detail: { recovery_codes: codes.length } }, now);
    return codes;
  });
}

/**
 * Turns a user's second factor off and deletes their recovery codes: by themselves (`disabled`) or by an
 * admin (`reset`, which also ends every session of theirs: the caller deletes the session rows). Returns
 * whether there was one to turn off.
 */
export async function removeSecondFactor(
  db: Knex,
  user: Pick<UserRow, 'id' | 'email'>,
  how: 'disabled' | 'reset',
  now: Date,
  actor: AuditActor,
): Promise<boolean> {
  return writeTransaction(db, async (trx) => {
    const row = await trx('user_second_factors').where({ user_id: user.id }).first('confirmed_at');
    await trx('user_recovery_codes').where({ user_id: user.id }).delete();
    await trx('user_second_factors').where({ user_id: user.id }).delete();
    if (!row?.confirmed_at) return false;
    if (how === 'reset') await bumpSessionEpoch(trx, user.id);
    await audit(trx, { actor, action: how === 'reset' ? 'auth.second_factor_reset' : 'auth.second_factor_disabled', target: userTarget(user) }, now);
    return true;
  });
}
