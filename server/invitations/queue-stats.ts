import type { Knex } from 'knex';
import { InvitationStates } from './states.ts';

/** The sending outbox at one instant, as /metrics shows it (server/health/). */
export interface QueueStats {
  /** Scheduled invitations the worker may claim now: their send time (and retry time) has come. */
  due: number;
  /** The send time of the oldest of them; null when none is due. */
  oldestDueSendAt: string | null;
  /** Invitations a worker has claimed and not yet marked (state `sending`). */
  inFlight: number;
  /** Of those, the ones whose claim is older than the lease: their worker stopped; another takes them over. */
  staleClaims: number;
}

/**
 * Counts read at each scrape: the due ones as selectDueForClaim (outbox.ts) finds them, from the
 * (state, send_at) index; the claimed ones by state. Reads only, no lock.
 */
export async function queueStats(db: Knex, nowIso: string, staleBeforeIso: string): Promise<QueueStats> {
  const due = await db('invitations')
    .where('state', InvitationStates.scheduled)
    .andWhere('send_at', '<=', nowIso)
    .andWhere((retry) => retry.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', nowIso))
    .first(db.raw('COUNT(*) AS due'), db.raw('MIN(send_at) AS oldest'));
  const claimed = await db('invitations')
    .where('state', InvitationStates.sending)
    .first(db.raw('COUNT(*) AS in_flight'), db.raw('SUM(CASE WHEN claimed_at < ? THEN 1 ELSE 0 END) AS stale', [staleBeforeIso]));
  return {
    due: Number(due?.due ?? 0),
    oldestDueSendAt: (due?.oldest as string | null | undefined) ?? null,
    inFlight: Number(claimed?.in_flight ?? 0),
    staleClaims: Number(claimed?.stale ?? 0),
  };
}

/** The scheduled invitation the worker will email next: its send time (or retry time, when later), survey and address; null when none waits. */
export async function nextScheduled(db: Knex): Promise<{ at: string; survey: string; email: string | null; count: number } | null> {
  const row = await db('invitations')
    .join('surveys', 'surveys.id', 'invitations.survey_id')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .where('invitations.state', InvitationStates.scheduled)
    .orderBy('invitations.send_at')
    .first('invitations.send_at', 'invitations.next_attempt_at', 'surveys.key as survey', 'customers.email');
  if (!row) return null;
  const count = await db('invitations').where('state', InvitationStates.scheduled).count({ n: '*' }).first();
  const at = row.next_attempt_at && row.next_attempt_at > row.send_at ? row.next_attempt_at : row.send_at;
  return { at, survey: row.survey, email: row.email, count: Number(count?.n ?? 0) };
}
