import type { Knex } from 'knex';
import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import type { MailTransport } from './transport.ts';

// STUB: replaced by the feature's owner.
export function createTransport(_config: Config, _db: Knex, _log: Log): MailTransport {
  return { kind: 'mailbox', send: async () => ({ response: 'stub' }), close: async () => {} };
}
