import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { importEvents } from '../../server/imports/events.ts';
import { importedWithoutSendDetail } from '../../server/eligibility/rules.ts';
import { toCount } from '../../server/db/dialect.ts';
import { DAY } from '../../server/clock.ts';

/** The real `touchpoint` command against the test database (it reads the system clock, not the test's). */
function touchpoint(ctx: TestContext, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['server/touchpoint.js', ...args], {
    // LANG=C: the command's English words, whatever this machine's locale.
    env: { ...process.env, DATABASE_URL: ctx.deps.config.databaseUrl, SESSION_SECRET: ctx.deps.config.sessionSecret, LOG_LEVEL: 'silent', LANG: 'C', LC_ALL: '', LC_MESSAGES: '' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}
const lines = (stdout: string) => stdout.trim().split('\n');

describe('import events from CSV', function () {
  this.timeout(30_000);
  const ctx = withTestContext();
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-import-'));
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    await createSurvey(ctx.deps.db, { key: 'orders-nps', touchpoint: 'orders', metric: 'nps', status: 'active' }, ctx.clock.now());
    await createSurvey(ctx.deps.db, { key: 'draft-nps', touchpoint: 'drafted', metric: 'nps', status: 'draft' }, ctx.clock.now());
  });
  const count = async (table: string, where: Record<string, unknown> = {}) => toCount((await ctx.deps.db(table).where(where).count({ n: '*' }).first())?.n);
  const eventOf = (transactionId: string) => ctx.deps.db('events').where({ transaction_id: transactionId }).first();
  /** A CSV of orders: one a day old, one 30 days old (by the system clock the command reads), one for a draft survey. */
  const ordersFile = (name: string, prefix: string) => {
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      [
        'touchpoint,transaction_id,email,occurred_at,region',
        `orders,${prefix}-recent,${prefix}-recent@example.com,${ago(1)},north`,
        `orders,${prefix}-old,${prefix}-old@example.com,${ago(30)},south`,
        `drafted,${prefix}-draft,${prefix}-draft@example.com,${ago(1)},north`,
      ].join('\n') + '\n',
    );
    return file;
  };
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs each row through the event service and reports refusals by line', async () => {
    const file = path.join(dir, 'events.csv');
    fs.writeFileSync(
      file,
      [
        '\ufefftouchpoint,transaction_id,email,customer_id,name,locale,time_zone,occurred_at,region,plan',
        'delivery,T-1,ann@example.com,C-1,"Ann, the first",de,Europe/Berlin,2026-11-23T08:00:00Z,north,pro',
        'delivery,T-2,bob@example.com,,Bob,,,,south,',
        '',
        'nowhere,T-3,cy@example.com,,,,,,,',
        'delivery,T-4,dee@example.com,,,,,yesterday,,',
        'delivery,T-5,too,few',
        'delivery,T-1,ann@example.com,C-1,Ann,de,,,north,pro',
        'delivery,T-6,not-an-address,,,,,,,',
      ].join('\r\n') + '\r\n',
    );
    const seen: number[] = [];
    const report = await importEvents(ctx.deps, file, (n) => seen.push(n), { send: true });
    expect(report.taken).to.equal(3);
    expect(report.refused.map((r) => r.line)).to.deep.equal([5, 6, 7, 8]);
    expect(report.refused[0].reason).to.match(/^touchpoint: /);
    expect(report.refused[1].reason).to.match(/^occurred_at: /);
    expect(report.refused[2].reason).to.match(/has 4 fields/);
    expect(report.refused[3].reason).to.match(/^duplicate_event/);
    expect(seen.at(-1)).to.equal(7); // data rows read

    const ann = await ctx.deps.db('events').where({ transaction_id: 'T-1' }).first();
    expect(ann).to.include({ source: 'import', decision: 'scheduled' });
    expect(JSON.parse(ann.properties)).to.deep.equal({ region: 'north', plan: 'pro' });
    const customer = await ctx.deps.db('customers').where({ external_id: 'C-1' }).first();
    expect(customer).to.include({ name: 'Ann, the first', locale: 'de', time_zone: 'Europe/Berlin' });
    const bob = await ctx.deps.db('events').where({ transaction_id: 'T-2' }).first();
    expect(JSON.parse(bob.properties)).to.deep.equal({ region: 'south' });
    const bad = await ctx.deps.db('events').where({ transaction_id: 'T-6' }).first();
    expect(bad).to.include({ decision: 'suppressed', reason: 'invalid_contact' });
  });

  it('without --send records every event as too_old and schedules nothing, and says no email will be sent', async () => {
    const before = await count('invitations');
    const { code, stdout } = await touchpoint(ctx, 'import', 'events', ordersFile('history.csv', 'H'));
    expect(code).to.equal(0);
    expect(lines(stdout).slice(-2)).to.deep.equal([
      "no email will be sent: pass --send to survey events within each survey's maximum age",
      '3 rows taken, 0 rows refused',
    ]);
    expect(await count('invitations')).to.equal(before);
    for (const tx of ['H-recent', 'H-old']) {
      const stored = await eventOf(tx);
      expect(stored, tx).to.include({ source: 'import', decision: 'suppressed', reason: 'too_old', reason_detail: importedWithoutSendDetail, invitation_id: null });
    }
    // A reason earlier in the order keeps its own name.
    expect(await eventOf('H-draft')).to.include({ decision: 'suppressed', reason: 'no_active_survey' });

    // The same file again: every row is a repeat, still nothing to send.
    const again = await touchpoint(ctx, 'import', 'events', ordersFile('history.csv', 'H'));
    expect(again.code).to.equal(1);
    expect(lines(again.stdout).at(-1)).to.equal('0 rows taken, 3 rows refused');
    expect(again.stdout).to.match(/line 2: duplicate_event: this transaction was received before \(event \d+, suppressed\)/);
    expect(await count('invitations')).to.equal(before);
  });

  it('with --send decides like the API: schedules the recent event and suppresses the old one as too_old', async () => {
    const before = await count('invitations');
    const { code, stdout } = await touchpoint(ctx, 'import', 'events', ordersFile('send.csv', 'S'), '--send');
    expect(code).to.equal(0);
    expect(lines(stdout).slice(-2)).to.deep.equal([
      "--send: 1 event scheduled an invitation; events older than a survey's maximum age were recorded as too_old",
      '3 rows taken, 0 rows refused',
    ]);
    const recent = await eventOf('S-recent');
    expect(recent).to.include({ source: 'import', decision: 'scheduled' });
    expect(await count('invitations', { event_id: recent.id })).to.equal(1);
    const old = await eventOf('S-old');
    expect(old).to.include({ decision: 'suppressed', reason: 'too_old', invitation_id: null });
    expect(old.reason_detail).to.match(/^too_old: the event occurred 30 days ago \(\d{4}-\d{2}-\d{2}\); this survey asks about events up to 7 days old$/);
    expect(await eventOf('S-draft')).to.include({ decision: 'suppressed', reason: 'no_active_survey' });
    expect(await count('invitations')).to.equal(before + 1);
  });

  it('--dry-run checks every row, repeats included, and decides and writes nothing', async () => {
    const file = path.join(dir, 'dry.csv');
    const yesterday = new Date(Date.now() - DAY).toISOString();
    fs.writeFileSync(
      file,
      [
        'touchpoint,transaction_id,email,occurred_at',
        `orders,D-1,d1@example.com,${yesterday}`,
        'orders,S-recent,s@example.com,', // received by the test before
        `orders,D-1,d1@example.com,${yesterday}`, // twice in this file
        'nowhere,D-2,d2@example.com,',
        'orders,D-3,d3@example.com,last week',
        `orders,D-4,d4@example.com,${yesterday}`,
      ].join('\n') + '\n',
    );
    const tables = ['events', 'invitations', 'customers'];
    const counts = async () => Promise.all(tables.map((t) => count(t)));
    const before = await counts();
    for (const flags of [['--dry-run'], ['--dry-run', '--send']]) {
      const { code, stdout } = await touchpoint(ctx, 'import', 'events', file, ...flags);
      expect(code, `${flags.join(' ')}: refused rows make it exit non-zero`).to.equal(1);
      const out = lines(stdout);
      expect(out.at(-1)).to.equal('2 rows taken, 4 rows refused (dry run: nothing was written)');
      expect(out).to.include.members([
        'line 3: duplicate_event: this transaction was received before (event ' + (await eventOf('S-recent')).id + ', scheduled)',
        'line 4: duplicate_event: this transaction is on line 2 of this file too',
      ]);
      expect(stdout).to.match(/line 5: touchpoint: no touchpoint has the key "nowhere"/);
      expect(stdout).to.match(/line 6: occurred_at: /);
      expect(await counts()).to.deep.equal(before);
    }
    expect(await eventOf('D-1')).to.equal(undefined);
  });

  it('refuses a file without the required columns', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'touchpoint,email\ndelivery,a@b.co\n');
    let error: unknown;
    await importEvents(ctx.deps, file, () => {}).catch((e) => (error = e));
    expect((error as { errors: { message: string }[] }).errors[0].message).to.match(/transaction_id/);
  });
});
