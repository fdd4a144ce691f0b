import type { Knex } from 'knex';
import { countEvent } from '../rollups/events.ts';

export interface EventRow {
  id: number;
  touchpoint_id: number;
  transaction_id: string;
  customer_id: number;
  occurred_at: string;
  received_at: string;
  properties: string;
  source: string;
  survey_id: number | null;
  decision: 'scheduled' | 'suppressed';
  reason: string | null;
  reason_detail: string | null;
  send_at: string | null;
  invitation_id: number | null;
}

const idOf = (row: unknown): number => Number(typeof row === 'object' && row ? (row as { id: number }).id : row);

export const findEventByTransaction = (db: Knex, touchpointId: number, transactionId: string): Promise<EventRow | undefined> =>
  db('events').where({ touchpoint_id: touchpointId, transaction_id: transactionId }).first();

export const findEventById = (db: Knex, id: number): Promise<EventRow | undefined> => db('events').where({ id }).first();

/** Stores an event and counts it in the funnel's per-property rollup (days of the reporting time zone). */
export async function insertEvent(trx: Knex.Transaction, reportingTimeZone: string, event: Omit<EventRow, 'id' | 'invitation_id'>): Promise<number> {
  const [row] = await trx('events').insert(event).returning('id');
  await countEvent(trx, event, reportingTimeZone);
  return idOf(row);
}

