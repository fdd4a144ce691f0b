import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput, toValidationError } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { isUniqueViolation, writeTransaction } from '../db/dialect.ts';
import { isTimeZone, updateSettings } from '../settings/service.ts';
import { keptValue } from '../config.ts';
import { claimFirstRunSetup, countUsers, updateUser, type UserRow } from '../auth/queries.ts';
import { createUser, newUserSchema } from '../auth/service.ts';
import type { AuditActor } from '../audit/record.ts';

const setupSchema = z.object({
  email: newUserSchema.shape.email,
  name: newUserSchema.shape.name,
  password: newUserSchema.shape.password,
  password_confirm: z.string(),
  reporting_time_zone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  /** Who the survey emails come from ("Acme customer care"): the settings' sender name; blank: the name in MAIL_FROM. */
  company_name: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  setup_code: z.string().max(100).optional(),
});
export type SetupInput = z.input<typeof setupSchema>;

/*
 * The one-time setup code. While no user exists, whoever opens /setup first becomes the admin; when
 * others than this machine can reach the page (config.setupCodeRequired), the page also asks for a
 * code that `touchpoint serve` printed on its console. Each machine's code is kept in plain text in
 * its var/setup-code (so a restart prints the same one) and as a SHA-256 in the settings table (a
 * row `setup_code:HASH` per code, so every process sharing the database accepts it). Completing
 * setup deletes the rows; the next start deletes the file.
 */

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I/L
const CODE_PREFIX = 'setup_code:';
export const SETUP_CODE_FILE = 'setup-code';

/** Three groups of four characters: 31^12, about 2^59. */
function newSetupCode(): string {
  const chars = Array.from({ length: 12 }, () => CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)]);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** As typed: any case, with or without dashes and spaces. */
const normalizedCode = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '');
const codeKey = (code: string) => CODE_PREFIX + crypto.createHash('sha256').update(`touchpoint-setup:${normalizedCode(code)}`).digest('hex');

/** Whether `code` is one of the setup codes printed by a process sharing this database. */
async function setupCodeMatches(db: Knex, code: string): Promise<boolean> {
  if (normalizedCode(code).length !== 12) return false;
  return (await db('settings').where({ key: codeKey(code) }).first('key')) !== undefined;
}

const anySetupCode = async (db: Knex): Promise<boolean> => (await db('settings').where('key', 'like', `${CODE_PREFIX}%`).first('key')) !== undefined;

const forgetSetupCodes = (db: Knex): Promise<number> => db('settings').where('key', 'like', `${CODE_PREFIX}%`).del();

/** Removes this machine's kept code (after setup; it no longer opens anything). */
export function removeSetupCodeFile(dir: string): void {
  fs.rmSync(path.join(dir, SETUP_CODE_FILE), { force: true });
}

/**
 * At `serve`'s start: while no user exists, the setup code of this machine (kept in `dir`, made on
 * first start) registered in the database, to be printed; null once setup is done (the code and
 * its file are gone then).
 */
export async function prepareSetupCode(db: Knex, dir: string, now: Date): Promise<{ code: string; file: string } | null> {
  const file = path.join(dir, SETUP_CODE_FILE);
  if ((await countUsers(db)) > 0) {
    await forgetSetupCodes(db);
    removeSetupCodeFile(dir);
    return null;
  }
  let code = keptValue(file, newSetupCode);
  if (normalizedCode(code).length !== 12) {
    // Not a code this app made (an edited file): a new one.
    removeSetupCodeFile(dir);
    code = keptValue(file, newSetupCode);
  }
  await db('settings').insert({ key: codeKey(code), value: JSON.stringify(toDbTime(now)) }).onConflict('key').ignore();
  return { code, file };
}

const alreadyDone = () => new NotFoundError('Touchpoint is set up already; sign in instead');

/**
 * The first run: creates the first admin and sets the reporting time zone.
 * It works only while no user exists, and only once even when two browsers
 * submit at the same moment (the second one's claim row collides).
 */
export async function completeSetup(db: Knex, input: SetupInput, now: Date, options: { codeRequired?: boolean; actor?: AuditActor; locale?: string } = {}): Promise<UserRow> {
  if (options.codeRequired) {
    const code = (input.setup_code ?? '').trim();
    const problem = !(await anySetupCode(db))
      ? 'cannot be checked yet: no setup code has been made; restart touchpoint serve, which prints one on its console'
      : !code
        ? 'is required: it was printed on the console where Touchpoint was started (and is kept in var/setup-code)'
        : (await setupCodeMatches(db, code))
          ? null
          : 'does not match the setup code printed on the console where Touchpoint was started';
    if (problem) {
      // Every field's problem at once, the code's first.
      const rest = setupSchema.safeParse(input);
      throw new ValidationError([{ field: 'setup_code', message: problem }, ...(rest.success ? [] : toValidationError(rest.error).errors)]);
    }
  }
  const values = parseInput(setupSchema, input);
  if (values.password_confirm !== values.password) throw ValidationError.field('password_confirm', 'does not match the password');
  try {
    return await writeTransaction(db, async (trx) => {
      if ((await countUsers(trx)) > 0) throw alreadyDone();
      await claimFirstRunSetup(trx, toDbTime(now));
      await forgetSetupCodes(trx);
      const created = await createUser(trx, { email: values.email, name: values.name, role: 'admin', password: values.password }, now, options.actor);
      // The first admin keeps the language setup was done in (the browser's).
      const admin = options.locale && options.locale !== created.locale ? { ...created, locale: options.locale } : created;
      if (admin !== created) await updateUser(trx, admin.id, { locale: admin.locale });
      await updateSettings(trx, { reporting_time_zone: values.reporting_time_zone, ...(values.company_name ? { sender_name: values.company_name } : {}) });
      return admin;
    });
  } catch (err) {
    if (isUniqueViolation(err) && !(err instanceof ConflictError)) throw alreadyDone();
    throw err;
  }
}
