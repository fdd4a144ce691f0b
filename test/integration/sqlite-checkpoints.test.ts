import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { withTestContext } from '../helpers/context.ts';
import { startTouchpoint, waitUntil, type TouchpointProcess } from '../helpers/touchpoint-process.ts';
import { openDb } from '../../server/db/knex.ts';

/**
 * What the database file itself holds, without its write-ahead log: a copy of the file alone, opened. A
 * commit reaches the file only when the log is checkpointed.
 */
function inFileAlone<T>(file: string, read: (db: Database.Database) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-file-alone-'));
  try {
    fs.copyFileSync(file, path.join(dir, 'copy.db'));
    const copy = new Database(path.join(dir, 'copy.db'));
    try {
      return read(copy);
    } finally {
      copy.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The events in a database; -1 before the schema is there. */
const eventsIn = (db: Database.Database) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events'").get() ? (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n : -1;

/**
 * Issue 13: `touchpoint serve` and `touchpoint worker` checkpoint SQLite's write-ahead log in a thread of
 * their own (server/db/checkpoints.ts), so no request's commit waits for the disk. SQLite only: the file is
 * what is looked at.
 */
if (!process.env.TEST_DATABASE_URL) {
  describe('SQLite: the write-ahead log is checkpointed by a thread of the long-running process', function () {
    this.timeout(60_000);
    const ctx = withTestContext();
    let served: TouchpointProcess | undefined;
    after(async () => served?.kill());

    it('an event answered by `touchpoint serve` reaches the database file itself within seconds, far below the 1,000 pages a commit would wait for', async () => {
      await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
      const file = ctx.deps.config.databaseUrl;
      served = startTouchpoint('serve', ctx, {});
      const { url } = await served.listening();
      // The schema this test's own connection migrated reaches the file first.
      const before = await waitUntil('the schema in the database file itself', 5_000, () => {
        const n = inFileAlone(file, eventsIn);
        return n >= 0 ? n : undefined;
      });
      const res = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ touchpoint: 'delivery', transaction_id: 'order-1', customer: { id: 'c-1', email: 'c-1@example.com' } }),
      });
      expect(res.status, await res.clone().text()).to.equal(202);
      await waitUntil('the event in the database file itself', 5_000, () => inFileAlone(file, eventsIn) === before + 1);
      // The thread ends with the process.
      served.child.kill('SIGTERM');
      expect((await served.exited).code, served.tail()).to.equal(0);
    });

    it("a short command's connection (no thread) leaves a small write in the log: what the test above tells apart", async () => {
      const file = ctx.deps.config.databaseUrl;
      const db = openDb(file);
      try {
        await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
        const before = inFileAlone(file, eventsIn);
        await db('events').insert({ touchpoint_id: 1, transaction_id: 'order-2', customer_id: 1, occurred_at: '2026-11-23T10:00:00.000Z', received_at: '2026-11-23T10:00:00.000Z', properties: '{}', source: 'api', decision: 'suppressed' });
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(inFileAlone(file, eventsIn)).to.equal(before);
        expect((await db('events').count({ n: '*' }))[0].n).to.equal(before + 1);
      } finally {
        await db.destroy();
      }
    });
  });
}
