import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import { statementsFor, type Statements } from '../db/statements.ts';
import type { InvitationForLink } from '../invitations/queries.ts';
import type { ResponseRow } from './store.ts';
import type { ClickKind } from './scanner.ts';

export const findResponseForInvitation = (db: Knex, invitationId: number): Promise<ResponseRow | undefined> =>
  db('responses').where({ invitation_id: invitationId }).first();

/** An invitation's response as an answer changes it: what its rollups and its page need. */
export type CurrentResponse = Pick<ResponseRow, 'id' | 'survey_id' | 'score' | 'comment' | 'answered_at' | 'properties'>;

/**
 * The link an answer is posted to, in one statement inside the answer's transaction, once the invitation is
 * held (lockInvitationByToken: what it reads is current, whatever answered it meanwhile): the invitation of
 * the token with its customer's time zone and erasure and its event's properties (as
 * findInvitationByTokenHash gives them), its response, if any, and whether any of its answers are held.
 */
export async function findLinkForAnswer(sql: Statements, tokenHash: string): Promise<{ invitation: InvitationForLink; response: CurrentResponse | undefined; held: boolean } | undefined> {
  const [row] = await sql.rows<
    InvitationForLink & {
      response_id: number | null;
      response_survey_id: number | null;
      response_score: number | null;
      response_comment: string | null;
      response_answered_at: string | null;
      response_properties: string | null;
      held: unknown;
    }
  >(
    `SELECT invitations.id, invitations.survey_id, invitations.event_id, invitations.customer_id, invitations.locale, invitations.state,
       invitations.sent_at, invitations.expires_at, invitations.responded_at, customers.time_zone AS customer_time_zone,
       customers.erased_at AS customer_erased_at, events.properties AS event_properties, invitations.is_test,
       responses.id AS response_id, responses.survey_id AS response_survey_id, responses.score AS response_score, responses.comment AS response_comment,
       responses.answered_at AS response_answered_at, responses.properties AS response_properties,
       EXISTS (SELECT 1 FROM answers WHERE answers.invitation_id = invitations.id AND answers.state = 'held') AS held
     FROM invitations
     JOIN customers ON customers.id = invitations.customer_id
     LEFT JOIN events ON events.id = invitations.event_id
     LEFT JOIN responses ON responses.invitation_id = invitations.id
     WHERE invitations.token_hash = ?`,
    [tokenHash],
  );
  if (!row) return undefined;
  // Field by field: a rest pattern over the driver's row costs more than the statement.
  const invitation: InvitationForLink = {
    id: row.id,
    survey_id: row.survey_id,
    event_id: row.event_id,
    customer_id: row.customer_id,
    locale: row.locale,
    state: row.state,
    sent_at: row.sent_at,
    expires_at: row.expires_at,
    responded_at: row.responded_at,
    customer_time_zone: row.customer_time_zone,
    customer_erased_at: row.customer_erased_at,
    event_properties: row.event_properties,
    is_test: row.is_test,
  };
  const response =
    row.response_id === null
      ? undefined
      : { id: row.response_id, survey_id: row.response_survey_id!, score: row.response_score!, comment: row.response_comment, answered_at: row.response_answered_at!, properties: row.response_properties! };
  return { invitation, response, held: Boolean(row.held) };
}

export async function isCustomerErased(db: Knex, customerId: number): Promise<boolean> {
  const row = await db('customers').where({ id: customerId }).first('erased_at');
  return Boolean(row?.erased_at);
}

/** The response a signed web link took. */
export const findResponseByLinkKey = (db: Knex, linkKey: string): Promise<ResponseRow | undefined> => db('responses').where({ link_key: linkKey }).first();

export async function insertLinkClick(
  db: Knex,
  click: { invitation_id: number; kind: ClickKind; score: number | null; at: Date; user_agent: string | null; signal?: string | null },
): Promise<number> {
  const [row] = await db('link_clicks')
    .insert({
      invitation_id: click.invitation_id,
      kind: click.kind,
      score: click.score,
      at: toDbTime(click.at),
      user_agent: click.user_agent ? click.user_agent.slice(0, 300) : null,
      signal: click.signal ?? null,
    })
    .returning('id');
  return typeof row === 'object' ? row.id : row;
}

/** One open of this invitation's page, by the id the page carried back. */
export async function findOpen(sql: Statements, invitationId: number, clickId: number): Promise<{ id: number; at: string } | undefined> {
  const [row] = await sql.rows<{ id: number; at: string }>(`SELECT id, "at" FROM link_clicks WHERE id = ? AND invitation_id = ? AND kind = 'open'`, [clickId, invitationId]);
  return row;
}

/** What an invitation's links saw between two times, in order (the scanner's judgment); in an answer's transaction (its prepared statements, or a knex transaction's). */
export async function linkClicksSince(db: Statements | Knex.Transaction, invitationId: number, since: Date, until: Date): Promise<{ kind: ClickKind; score: number | null; at: string }[]> {
  const sql = await statementsFor(db);
  return sql.rows(`SELECT kind, score, "at" FROM link_clicks WHERE invitation_id = ? AND "at" >= ? AND "at" <= ? ORDER BY "at"`, [invitationId, toDbTime(since), toDbTime(until)]);
}
