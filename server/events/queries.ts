import type { Knex } from 'knex';
import { countEvents } from '../rollups/events.ts';
import type { Statements } from '../db/statements.ts';

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

export const findEventByTransaction = (db: Knex, touchpointId: number, transactionId: string): Promise<EventRow | undefined> =>
  db('events').where({ touchpoint_id: touchpointId, transaction_id: transactionId }).first();

const eventColumns = ['touchpoint_id', 'transaction_id', 'customer_id', 'occurred_at', 'received_at', 'properties', 'source', 'survey_id', 'decision', 'reason', 'reason_detail', 'send_at'] as const;
// Every field of a new event has its column (a field left out would be dropped without a word).
const allColumns: Exclude<keyof NewEvent, (typeof eventColumns)[number]> extends never ? true : never = true;
void allColumns;

export type NewEvent = Omit<EventRow, 'id' | 'invitation_id'>;

const marks = (count: number) => Array.from({ length: count }, () => '?').join(', ');

/**
 * The events stored before with these transaction ids at these touchpoints, inside a prepared transaction:
 * each key looked up in the unique (touchpoint_id, transaction_id) index (a join on the keys as a list of
 * rows; two IN lists let PostgreSQL's generic plan for a named statement scan the table instead).
 */
export async function findEventsByTransactions(sql: Statements, keys: readonly { touchpointId: number; transactionId: string }[]): Promise<EventRow[]> {
  if (keys.length === 0) return [];
  const unique = [...new Map(keys.map((k) => [`${k.touchpointId}\n${k.transactionId}`, k])).values()];
  return sql.rows<EventRow>(
    `SELECT events.* FROM events JOIN (${unique.map(() => 'SELECT CAST(? AS integer) AS touchpoint_id, CAST(? AS text) AS transaction_id').join(' UNION ALL ')}) AS wanted
     ON events.touchpoint_id = wanted.touchpoint_id AND events.transaction_id = wanted.transaction_id`,
    unique.flatMap((k) => [k.touchpointId, k.transactionId]),
  );
}

/**
 * Stores events in one statement and counts them in the funnel's per-property rollup (`count: false`: a
 * test event, which no figure counts); their ids, in the order given.
 */
export async function insertEvents(sql: Statements, reportingTimeZone: string, events: readonly NewEvent[], options: { count?: boolean } = {}): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await sql.rows<{ id: number; touchpoint_id: number; transaction_id: string }>(
    `INSERT INTO events (${eventColumns.join(', ')}) VALUES ${events.map(() => `(${marks(eventColumns.length)})`).join(', ')} RETURNING id, touchpoint_id, transaction_id`,
    events.flatMap((event) => eventColumns.map((column) => event[column])),
  );
  // RETURNING's order is not promised: matched by (touchpoint, transaction id), unique.
  const ids = new Map(rows.map((r) => [`${r.touchpoint_id}\n${r.transaction_id}`, Number(r.id)]));
  const stored = events.map((e) => ({ ...e, id: ids.get(`${e.touchpoint_id}\n${e.transaction_id}`)! }));
  if (options.count !== false) await countEvents(sql, stored, reportingTimeZone);
  return stored.map((e) => e.id);
}
