import type { Knex } from 'knex';

/** Every table an answer, an open, a click or an unsubscribe of a customer's link writes to (those in this schema), with the columns that order it. */
const tables: [string, string[]][] = [
  ['responses', ['id']],
  ['answers', ['id']],
  ['link_clicks', ['id']],
  ['invitations', ['id']],
  ['customers', ['id']],
  ['touchpoint_unsubscribes', ['customer_id', 'touchpoint_id']],
];

/** The rows of those tables, to compare before and after something that must store nothing. */
export async function answerTables(db: Knex): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const [table, order] of tables) {
    if (await db.schema.hasTable(table)) snapshot[table] = await db(table).select().orderBy(order.map((column) => ({ column })));
  }
  return snapshot;
}
