// Invitations (each with its event) written straight through knex, on SQLite or PostgreSQL: the history
// that contact rules read, the sent invitations that answers come to, the due ones the worker sends.
import { toDbTime } from '../../server/db/time.ts';
import { DAY } from '../../server/clock.ts';
import { hashToken, invitationToken, newTokenSalt } from '../../server/tokens.ts';
import { NOW } from './common.ts';
import type { Bench } from './setup.ts';

export interface InvitationSpec {
  customerId: number;
  surveyIndex: number;
  state: 'scheduled' | 'sent' | 'responded';
  /** When it is (or was) due; for sent ones also when it went out. */
  at: Date;
}

const idOf = (row: unknown): number => Number(typeof row === 'object' && row !== null ? (row as { id: number }).id : row);

/** Writes the invitations in chunks; returns each one's id and link token, in order. */
export async function seedInvitations(bench: Bench, prefix: string, specs: InvitationSpec[]): Promise<{ id: number; token: string }[]> {
  const { db, surveys, deps } = bench;
  const out: { id: number; token: string }[] = [];
  const chunk = 400;
  for (let from = 0; from < specs.length; from += chunk) {
    const part = specs.slice(from, from + chunk);
    await db.transaction(async (trx) => {
      const eventIds = (
        await trx('events')
          .insert(
            part.map((s, k) => {
              const survey = surveys[s.surveyIndex];
              return {
                touchpoint_id: survey.touchpoint_id,
                transaction_id: `${prefix}-${from + k}`,
                customer_id: s.customerId,
                occurred_at: toDbTime(s.at),
                received_at: toDbTime(s.at),
                properties: JSON.stringify({ region: ['north', 'south', 'east', 'west'][(from + k) % 4], plan: 'team' }),
                source: 'api',
                survey_id: survey.id,
                decision: 'scheduled',
                send_at: toDbTime(s.at),
              };
            }),
          )
          .returning('id')
      ).map(idOf);
      const tokens: string[] = [];
      const invitationIds = (
        await trx('invitations')
          .insert(
            part.map((s, k) => {
              const salt = newTokenSalt();
              tokens.push(invitationToken(deps.config.sessionSecret, salt));
              const went = s.state !== 'scheduled';
              return {
                survey_id: surveys[s.surveyIndex].id,
                event_id: eventIds[k],
                customer_id: s.customerId,
                locale: 'en',
                state: s.state,
                send_at: toDbTime(s.at),
                token_salt: salt,
                token_hash: hashToken(tokens[k]),
                sent_at: went ? toDbTime(s.at) : null,
                expires_at: went ? toDbTime(new Date(s.at.getTime() + 90 * DAY)) : null,
                message_id: went ? `<bench-${prefix}-${from + k}@127.0.0.1>` : null,
                created_at: toDbTime(s.at),
                updated_at: toDbTime(s.at),
              };
            }),
          )
          .returning('id')
      ).map(idOf);
      if (invitationIds.length !== part.length || eventIds.length !== part.length) throw new Error('seeding lost rows');
      for (let k = 0; k < part.length; k++) {
        await trx('events').where({ id: eventIds[k] }).update({ invitation_id: invitationIds[k] });
        out.push({ id: invitationIds[k], token: tokens[k] });
      }
    });
  }
  return out;
}

/**
 * Gives customers c-1 … c-count a past for the contact rules to read: one sent invitation 1–60 days ago
 * (so about half are within the 30-day cooldown) and, for every third, a response the day after.
 */
export async function seedHistory(bench: Bench, count: number): Promise<void> {
  const specs: InvitationSpec[] = [];
  for (let i = 1; i <= count; i++) {
    specs.push({ customerId: i, surveyIndex: i % bench.surveys.length, state: i % 3 ? 'sent' : 'responded', at: new Date(NOW.getTime() - (1 + (i % 60)) * DAY) });
  }
  const invitations = await seedInvitations(bench, 'history', specs);
  const responses = [];
  for (let k = 0; k < specs.length; k++) {
    if (specs[k].state !== 'responded') continue;
    const answered = toDbTime(new Date(specs[k].at.getTime() + DAY));
    const survey = bench.surveys[specs[k].surveyIndex];
    responses.push({ survey_id: survey.id, invitation_id: invitations[k].id, customer_id: specs[k].customerId, score: 4, channel: 'email', locale: 'en', answered_at: answered, updated_at: answered, properties: '{}' });
  }
  for (let from = 0; from < responses.length; from += 500) await bench.db('responses').insert(responses.slice(from, from + 500));
}
