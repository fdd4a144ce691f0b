import type { Knex } from 'knex';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { toDbTime } from '../db/time.ts';
import { isUniqueViolation, writeTransaction } from '../db/dialect.ts';
import { isTimeZone, updateSettings } from '../settings/service.ts';
import { claimFirstRunSetup, countUsers, type UserRow } from './queries.ts';
import { createUser, newUserSchema } from './service.ts';

export const setupSchema = z.object({
  email: newUserSchema.shape.email,
  name: newUserSchema.shape.name,
  password: newUserSchema.shape.password,
  password_confirm: z.string(),
  reporting_time_zone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
});
export type SetupInput = z.input<typeof setupSchema>;

const alreadyDone = () => new NotFoundError('Touchpoint is set up already; sign in instead');

/**
 * The first run: creates the first admin and sets the reporting time zone.
 * It works only while no user exists, and only once even when two browsers
 * submit at the same moment (the second one's claim row collides).
 */
export async function completeSetup(db: Knex, input: SetupInput, now: Date): Promise<UserRow> {
  const values = parseInput(setupSchema, input);
  if (values.password_confirm !== values.password) throw ValidationError.field('password_confirm', 'does not match the password');
  try {
    return await writeTransaction(db, async (trx) => {
      if ((await countUsers(trx)) > 0) throw alreadyDone();
      await claimFirstRunSetup(trx, toDbTime(now));
      const admin = await createUser(trx, { email: values.email, name: values.name, role: 'admin', password: values.password }, now);
      await updateSettings(trx, { reporting_time_zone: values.reporting_time_zone });
      return admin;
    });
  } catch (err) {
    if (isUniqueViolation(err) && !(err instanceof ConflictError)) throw alreadyDone();
    throw err;
  }
}
