/**
 * A second (third …) Touchpoint process for the concurrency tests: it opens
 * its own knex pool on DATABASE_URL (several connections on PostgreSQL, its
 * own connection on SQLite) and decides events through the event service,
 * exactly as the API does.
 *
 * Protocol, one JSON object per line:
 *   stdout  {"ready": true}                       once the pool is open
 *   stdin   {"id": 1, "now": ISO, "events": [...]} fire all events at once
 *   stdout  {"id": 1, "results": [...]}           one result per event, in order
 *   stdin   end of input                          close the pool and exit
 *
 * Run: node --import tsx test/helpers/event-process.ts
 */
import readline from 'node:readline';
import { loadConfig } from '../../server/config.ts';
import { openDb } from '../../server/db/knex.ts';
import { ManualClock } from '../../server/clock.ts';
import { silentLog } from '../../server/log.ts';
import type { Deps } from '../../server/deps.ts';
import type { MailTransport } from '../../server/mail/transport.ts';
import { AppError } from '../../server/errors.ts';
import { receiveEvent } from '../../server/events/service.ts';

export type ProcessResult =
  | { ok: true; repeated: boolean; answer: { id: number; status: string; reason?: string; invitation_id?: number } }
  | { ok: false; status: number; message: string; code?: string };

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const db = openDb(config.databaseUrl, { poolMax: config.databasePoolMax });
const clock = new ManualClock();
const noMail: MailTransport = {
  kind: 'mailbox',
  send: () => Promise.reject(new Error('this process sends no mail')),
  available: () => false,
  health: () => ({ state: 'up', since: null, retryAt: null, lastError: null }),
  close: async () => {},
};
const deps: Deps = { config, db, clock, log: silentLog, mail: noMail };

async function fire(events: unknown[]): Promise<ProcessResult[]> {
  return Promise.all(
    events.map(async (event): Promise<ProcessResult> => {
      try {
        const { answer, repeated } = await receiveEvent(deps, event);
        return { ok: true, repeated, answer };
      } catch (err) {
        const e = err as { message?: string; code?: string };
        return { ok: false, status: err instanceof AppError ? err.status : 500, message: String(e.message), code: e.code };
      }
    }),
  );
}

// Warm the pool: on PostgreSQL open several connections before the start signal.
await Promise.all(Array.from({ length: 5 }, () => db.raw('select 1')));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');

const lines = readline.createInterface({ input: process.stdin });
const pending: Promise<void>[] = [];
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line) as { id: number; now: string; events: unknown[] };
  clock.set(command.now);
  pending.push(fire(command.events).then((results) => void process.stdout.write(JSON.stringify({ id: command.id, results }) + '\n')));
}
await Promise.all(pending);
await db.destroy();
