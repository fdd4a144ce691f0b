import type { Config } from './config.ts';
import type { Db } from './db/knex.ts';
import type { Clock } from './clock.ts';
import type { Log } from './log.ts';
import type { MailTransport } from './mail/transport.ts';

/** Everything a feature needs, built once in main.ts (or by a test) and passed down. */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Log;
  mail: MailTransport;
}
