import type { Knex } from 'knex';
import { insertResponse, type NewResponse } from '../../server/responses/store.ts';
import { countSent } from '../../server/rollups/sends.ts';
import { countEvents } from '../../server/rollups/events.ts';
import { getSettings } from '../../server/settings/service.ts';
import type { TestContext } from './context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import type { SurveyInput } from '../../server/surveys/schemas.ts';
import { findSurveyByKey } from '../../server/surveys/queries.ts';
import { toDbTime } from '../../server/db/time.ts';
import { CURRENT_TOKEN_KEY_VERSION, hashToken, invitationToken, newTokenSalt, type TokenKeyVersion } from '../../server/tokens.ts';
import { markInvitationResponded } from '../../server/invitations/queries.ts';
import { statementsOf } from '../../server/db/statements.ts';

/** An active survey, created once per key. */
export async function activeSurvey(ctx: TestContext, input: Partial<SurveyInput> & { key: string }) {
  const existing = await findSurveyByKey(ctx.deps.db, input.key);
  if (existing) return existing;
  return createSurvey(
    ctx.deps.db,
    { touchpoint: input.key.replace(/-(nps|csat|ces)$/, ''), metric: 'nps', status: 'active', ...input },
    ctx.clock.now(),
  );
}

/** The worker name of rows seeded in `sending` (pass it to deliverInvitation). */
export const TEST_WORKER = 'test-worker';

/**
 * A customer, an event and an invitation in the given state, written straight
 * to the database, for tests of what comes after the decision (sending,
 * answering, unsubscribing). Returns the ids and the link token.
 */
export async function seedInvitation(
  ctx: TestContext,
  opts: {
    surveyKey?: string;
    metric?: 'nps' | 'csat' | 'ces';
    email?: string;
    locale?: 'en' | 'de';
    state?: 'scheduled' | 'sending' | 'sent';
    sendAt?: Date;
    sentAt?: Date;
    properties?: Record<string, unknown>;
    /** The event's transaction id (default: a random one). */
    transactionId?: string;
    /** Which key derives the link token: 2 (the link key, as today), or 1 (the session secret, as before LINK_SECRET). */
    tokenKeyVersion?: TokenKeyVersion;
  } = {},
) {
  const { db, config } = ctx.deps;
  const now = ctx.clock.now();
  const at = toDbTime(now);
  const survey = await activeSurvey(ctx, { key: opts.surveyKey ?? 'delivery-nps', metric: opts.metric ?? 'nps' });
  const email = opts.email ?? `customer-${Math.random().toString(36).slice(2)}@example.com`;
  const [customer] = await db('customers')
    .insert({ external_id: email, email, name: 'Test Customer', locale: opts.locale ?? 'en', created_at: at, updated_at: at })
    .returning('id');
  const customerId = typeof customer === 'object' ? customer.id : customer;
  const [event] = await db('events')
    .insert({
      touchpoint_id: survey.touchpoint_id,
      transaction_id: opts.transactionId ?? `tx-${Math.random().toString(36).slice(2)}`,
      customer_id: customerId,
      occurred_at: at,
      received_at: at,
      properties: JSON.stringify(opts.properties ?? { region: 'north' }),
      survey_id: survey.id,
      decision: 'scheduled',
      send_at: toDbTime(opts.sendAt ?? now),
    })
    .returning('id');
  const eventId = typeof event === 'object' ? event.id : event;
  // As insertEvent counts it for the funnel.
  const { reporting_time_zone: reportingTimeZone } = await getSettings(db);
  await db.transaction(async (trx) => countEvents(await statementsOf(trx), [{ id: eventId, touchpoint_id: survey.touchpoint_id, received_at: at, properties: JSON.stringify(opts.properties ?? { region: 'north' }) }], reportingTimeZone));
  const salt = newTokenSalt();
  const tokenKeyVersion = opts.tokenKeyVersion ?? CURRENT_TOKEN_KEY_VERSION;
  const token = invitationToken(config, { token_salt: salt, token_key_version: tokenKeyVersion });
  const sentAt = opts.state === 'sent' ? (opts.sentAt ?? now) : null;
  const [inv] = await db('invitations')
    .insert({
      survey_id: survey.id,
      event_id: eventId,
      customer_id: customerId,
      locale: opts.locale ?? 'en',
      state: opts.state ?? 'scheduled',
      // A row seeded in `sending` is held by TEST_WORKER, as if its worker had just claimed it.
      ...(opts.state === 'sending' ? { claimed_by: TEST_WORKER, claimed_at: toDbTime(now) } : {}),
      send_at: toDbTime(opts.sendAt ?? now),
      token_salt: salt,
      token_key_version: tokenKeyVersion,
      token_hash: hashToken(token),
      sent_at: sentAt ? toDbTime(sentAt) : null,
      expires_at: sentAt ? toDbTime(new Date(sentAt.getTime() + 30 * 86_400_000)) : null,
      message_id: sentAt ? `<invitation-test-${salt}@127.0.0.1>` : null,
      created_at: at,
      updated_at: at,
    })
    .returning('id');
  const invitationId = typeof inv === 'object' ? inv.id : inv;
  await db('events').where({ id: eventId }).update({ invitation_id: invitationId });
  // As the worker would have counted it on marking it sent.
  if (sentAt) await countSent(db, invitationId, reportingTimeZone);
  return { survey, customerId, eventId, invitationId, token, email };
}

/**
 * Stores an answer as the answer page does: the response (with both response rollups) and, for an
 * invitation's answer, the invitation marked responded (counted on the day it was sent).
 */
export async function storeAnswer(trx: Knex.Transaction, response: NewResponse, reportingTimeZone: string): Promise<number> {
  const id = await insertResponse(trx, response, reportingTimeZone);
  if (response.invitation_id) await markInvitationResponded(trx, response.invitation_id, response.answered_at, reportingTimeZone);
  return id;
}
