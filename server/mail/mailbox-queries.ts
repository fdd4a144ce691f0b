import type { Knex } from 'knex';

export interface MailboxMessageRow {
  id: number;
  message_id: string;
  from: string;
  to: string;
  subject: string;
  html: string | null;
  text: string | null;
  /** JSON: header name → value. */
  headers: string;
  created_at: string;
}

export async function insertMailboxMessage(db: Knex, message: Omit<MailboxMessageRow, 'id'>): Promise<number> {
  const [row] = await db('mailbox_messages').insert(message).returning('id');
  return typeof row === 'object' ? row.id : row;
}

/** Newest first. */
export function listMailboxMessages(db: Knex, limit: number): Promise<Pick<MailboxMessageRow, 'id' | 'to' | 'subject' | 'created_at'>[]> {
  return db('mailbox_messages').select('id', 'to', 'subject', 'created_at').orderBy('id', 'desc').limit(limit);
}

export function findMailboxMessage(db: Knex, id: number): Promise<MailboxMessageRow | undefined> {
  return db('mailbox_messages').where({ id }).first();
}

