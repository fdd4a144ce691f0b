import crypto from 'node:crypto';
import { z } from 'zod';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import * as zxcvbnDe from '@zxcvbn-ts/language-de';
import { ValidationError } from '../errors.ts';

/**
 * What a new password must be, on every path that sets one (first-run setup, a user added by an admin
 * or on the command line, one's own change, a reset link, an invitation link):
 * - 12 to 200 characters;
 * - not common, breached or otherwise easy to guess: zxcvbn-ts, offline, with its common-password
 *   list and its English and German dictionaries, must rate it 3 ("safely unguessable") or better;
 * - not containing the part of the user's email address before the @.
 * Nothing is ever sent anywhere to check a password.
 */
export const PASSWORD_MIN_LENGTH = 12;
const PASSWORD_MAX_LENGTH = 200;
/** zxcvbn's scores run from 0 (too guessable) to 4 (very unguessable). */
const PASSWORD_MIN_SCORE = 3;

export const passwordMessages = {
  type: 'The password must be text.',
  short: `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
  long: `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
  weak: 'The password is too easy to guess: it is a common or breached password, or close to one. Choose a longer one, such as three or four unrelated words.',
  email: (part: string) => `The password must not contain the first part of the email address (${part}).`,
} as const;

/** Whose password it is: their email and name are words a guesser tries first. */
export interface PasswordOwner {
  email?: string | null;
  name?: string | null;
}

let factory: ZxcvbnFactory | undefined;
/** Built on first use (the dictionaries take a moment to load); German keys get a suffix beside the English ones. */
function estimator(): ZxcvbnFactory {
  if (factory) return factory;
  const german = Object.fromEntries(Object.entries(zxcvbnDe.dictionary).map(([name, words]) => [`${name}-de`, words]));
  factory = new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary, ...german },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    // The estimate's cost grows quickly with length; the first 64 characters tell enough.
    maxLength: 64,
  });
  return factory;
}

const characters = (text: string) => [...text].length;

/** The local part of an email address, lower case ("anna.schmidt" of Anna.Schmidt@example.com). */
const localPart = (email: string | null | undefined): string => (email ?? '').trim().toLowerCase().split('@')[0] ?? '';

/** The words of a person a guesser tries: the email's local part and its pieces, the name's words. */
function ownerWords(owner: PasswordOwner): string[] {
  const local = localPart(owner.email);
  const words = [local, ...local.split(/[._+-]+/), ...(owner.name ?? '').toLowerCase().split(/\s+/)];
  return [...new Set(words.filter((w) => w.length >= 3))];
}

/**
 * Why this password may not be used, as a full sentence, or null when it is fine. The one check every
 * path that sets a password calls (directly, or through passwordSchema and the auth service).
 */
export function checkPasswordStrength(password: unknown, owner: PasswordOwner = {}): string | null {
  if (typeof password !== 'string') return passwordMessages.type;
  const length = characters(password);
  if (length < PASSWORD_MIN_LENGTH) return passwordMessages.short;
  if (length > PASSWORD_MAX_LENGTH) return passwordMessages.long;
  const local = localPart(owner.email);
  if (local.length >= 3 && password.toLowerCase().includes(local)) return passwordMessages.email(local);
  const { score } = estimator().check(password, ownerWords(owner));
  if (score < PASSWORD_MIN_SCORE) return passwordMessages.weak;
  return null;
}

/** Throws a ValidationError on `field` when the password may not be used. */
export function assertPasswordStrength(password: unknown, owner: PasswordOwner = {}, field = 'password'): string {
  const problem = checkPasswordStrength(password, owner);
  if (problem) throw ValidationError.field(field, problem);
  return password as string;
}

/**
 * A zod schema for a new password: length and guessability (without knowing whose it is; the auth
 * service checks the owner's email on top, see checkPasswordStrength).
 */
export const passwordSchema = z.string(passwordMessages.type).superRefine((value, ctx) => {
  const problem = checkPasswordStrength(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A random password that passes the checks for this owner (20 characters of base64url: about 120 bits). */
export function generatePassword(owner: PasswordOwner = {}): string {
  for (;;) {
    const candidate = crypto.randomBytes(15).toString('base64url');
    if (!checkPasswordStrength(candidate, owner)) return candidate;
  }
}
