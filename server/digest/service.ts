import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings } from '../settings/service.ts';
import { SendError } from '../mail/transport.ts';
import { digestFigures, type DigestFigures } from './figures.ts';
import { renderDigest } from './mail.ts';
import { dueWeekStart } from './schedule.ts';
import { claimWeek, dueRecipients, findSubscription, releaseWeek, subscribe, unsubscribe } from './queries.ts';

export interface DigestPreference {
  weekly: boolean;
  lastWeekStart: string | null;
}

export async function digestPreference(db: Knex, userId: number): Promise<DigestPreference> {
  const row = await findSubscription(db, userId);
  return { weekly: Boolean(row?.subscribed_at), lastWeekStart: row?.last_week_start ?? null };
}

export async function setDigestPreference(db: Knex, userId: number, weekly: boolean, now: Date): Promise<void> {
  if (weekly) await subscribe(db, userId, toDbTime(now));
  else await unsubscribe(db, userId);
}

export interface DigestRunResult {
  /** The Monday whose digest was due, or null when none is due now. */
  weekStart: string | null;
  sent: number[];
  failed: number[];
}

/**
 * One pass of the worker: on Mondays from 07:00 in the reporting time zone,
 * each opted-in active user who has not had this week's digest gets it. The
 * week is taken before the email leaves (never twice, even with several
 * workers) and given back if sending fails for a while, for the next pass.
 */
export async function runWeeklyDigests(deps: Deps): Promise<DigestRunResult> {
  const now = deps.clock.now();
  const settings = await getSettings(deps.db);
  const weekStart = dueWeekStart(now, settings.reporting_time_zone);
  const result: DigestRunResult = { weekStart, sent: [], failed: [] };
  if (!weekStart) return result;
  const recipients = await dueRecipients(deps.db, weekStart);
  if (!recipients.length) return result;
  // Computed once for everyone: the figures are the same for all readers.
  let figures: DigestFigures | undefined;
  for (const recipient of recipients) {
    if (!(await claimWeek(deps.db, recipient.user_id, weekStart, toDbTime(deps.clock.now())))) continue;
    try {
      figures ??= await digestFigures(deps.db, weekStart, deps.config.baseUrl);
      await deps.mail.send(await renderDigest(recipient, weekStart, figures, settings, deps.config));
      result.sent.push(recipient.user_id);
    } catch (err) {
      result.failed.push(recipient.user_id);
      deps.log.warn({ err, userId: recipient.user_id, weekStart }, 'weekly digest not sent');
      // A refused address stays refused: only a temporary failure is tried again.
      if (!(err instanceof SendError && err.permanent)) await releaseWeek(deps.db, recipient, weekStart);
    }
  }
  if (result.sent.length || result.failed.length) deps.log.info({ weekStart, sent: result.sent.length, failed: result.failed.length }, 'weekly digests');
  return result;
}
