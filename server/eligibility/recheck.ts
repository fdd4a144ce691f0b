import type { Knex } from 'knex';

export type Recheck = { ok: true } | { ok: false; reason: string; detail: string };

// STUB: replaced by the feature's owner (eligibility). Called by the worker inside its claim transaction.
export async function recheckBeforeSend(_trx: Knex.Transaction, _invitationId: number, _now: Date): Promise<Recheck> {
  return { ok: true };
}
