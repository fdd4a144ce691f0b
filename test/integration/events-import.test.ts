import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { importEvents } from '../../server/imports/events.ts';

describe('import events from CSV', function () {
  this.timeout(30_000);
  let ctx: TestContext;
  let dir: string;

  before(async () => {
    ctx = await createTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-import-'));
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
  });
  after(async () => {
    await ctx?.close();
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
    const report = await importEvents(ctx.deps, file, (n) => seen.push(n));
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

  it('refuses a file without the required columns', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'touchpoint,email\ndelivery,a@b.co\n');
    let error: unknown;
    await importEvents(ctx.deps, file, () => {}).catch((e) => (error = e));
    expect((error as { errors: { message: string }[] }).errors[0].message).to.match(/transaction_id/);
  });
});
