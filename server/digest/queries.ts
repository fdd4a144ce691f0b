import type { Knex } from 'knex';

export interface SubscriptionRow {
  user_id: number;
  subscribed_at: string | null;
  last_week_start: string | null;
  last_sent_at: string | null;
}

export const findSubscription = (db: Knex, userId: number): Promise<SubscriptionRow | undefined> =>
  db('digest_subscriptions').where({ user_id: userId }).first();

/** Opts in (again); the week last sent is kept, so opting out and in never sends twice in a week. */
export async function subscribe(db: Knex, userId: number, at: string): Promise<void> {
  await db('digest_subscriptions')
    .insert({ user_id: userId, subscribed_at: at })
    .onConflict('user_id')
    .merge({ subscribed_at: db.raw('coalesce(digest_subscriptions.subscribed_at, ?)', [at]) });
}

export const unsubscribe = (db: Knex, userId: number) => db('digest_subscriptions').where({ user_id: userId }).update({ subscribed_at: null });

export interface Recipient {
  user_id: number;
  email: string;
  name: string;
  locale: string;
  last_week_start: string | null;
  last_sent_at: string | null;
}

/** Opted-in active users who have not had the digest of the week starting on `weekStart`. */
export function dueRecipients(db: Knex, weekStart: string): Promise<Recipient[]> {
  return db('digest_subscriptions')
    .join('users', 'users.id', 'digest_subscriptions.user_id')
    .whereNotNull('digest_subscriptions.subscribed_at')
    .whereNull('users.deactivated_at')
    .where((q) => q.whereNull('digest_subscriptions.last_week_start').orWhere('digest_subscriptions.last_week_start', '<>', weekStart))
    .select('users.id as user_id', 'users.email', 'users.name', 'users.locale', 'digest_subscriptions.last_week_start', 'digest_subscriptions.last_sent_at')
    .orderBy('users.id');
}

/** Takes the week for one user before sending; false when another pass took it first. */
export async function claimWeek(db: Knex, userId: number, weekStart: string, at: string): Promise<boolean> {
  const changed = await db('digest_subscriptions')
    .where({ user_id: userId })
    .where((q) => q.whereNull('last_week_start').orWhere('last_week_start', '<>', weekStart))
    .update({ last_week_start: weekStart, last_sent_at: at });
  return changed > 0;
}

/** Gives the week back after a failed send, so the next pass tries again. */
export const releaseWeek = (db: Knex, recipient: Recipient, weekStart: string) =>
  db('digest_subscriptions')
    .where({ user_id: recipient.user_id, last_week_start: weekStart })
    .update({ last_week_start: recipient.last_week_start, last_sent_at: recipient.last_sent_at });
