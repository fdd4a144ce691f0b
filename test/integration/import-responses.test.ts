import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { importResponses } from '../../server/imports/responses.ts';

describe('import responses from CSV', () => {
  let ctx: TestContext;
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  before(async () => {
    ctx = await createTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-import-'));
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    await createSurvey(ctx.deps.db, { key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }, ctx.clock.now());
  });
  after(async () => {
    await ctx?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes the good rows and refuses each bad one with its line number and reason', async () => {
    const file = write(
      'mixed.csv',
      '\ufeffsurvey,metric,score,answered_at,comment,email,region\n' +
        'delivery-nps,nps,9,2026-03-01T10:00:00Z,"Fast, friendly",ann@example.com,north\n' + // 2 taken
        'nope,nps,9,2026-03-01T10:00:00Z,,,north\n' + // 3 unknown survey
        'delivery-nps,nps,11,2026-03-01T10:00:00Z,,,north\n' + // 4 outside scale
        'delivery-nps,nps,7,last tuesday,,,north\n' + // 5 bad date
        'support-csat,nps,4,2026-03-01T10:00:00Z,,,north\n' + // 6 metric mismatch
        '\n' + // 7 empty, skipped
        'support-csat,csat,4,2026-03-02T10:00:00+01:00,"two\nlines, with a comma",,south\n' + // 8–9 taken
        'support-csat,csat,2.5,2026-03-02T10:00:00Z,,,south\n', // 10 not a whole number
    );
    const seen: number[] = [];
    const report = await importResponses(ctx.deps, file, (n) => seen.push(n));
    expect(report.taken).to.equal(2);
    expect(report.refused.map((r) => r.line)).to.deep.equal([3, 4, 5, 6, 10]);
    expect(report.refused[0].reason).to.match(/unknown survey "nope"/);
    expect(report.refused[1].reason).to.match(/score 11 is outside the NPS scale 0–10/);
    expect(report.refused[2].reason).to.match(/answered_at/);
    expect(report.refused[3].reason).to.match(/metric nps does not match survey support-csat/);
    expect(report.refused[4].reason).to.match(/not a whole number/);
    expect(seen.at(-1)).to.equal(7); // data records read (the empty line is skipped)

    const rows = await ctx.deps.db('responses').orderBy('id');
    expect(rows).to.have.length(2);
    expect(rows[0]).to.include({ score: 9, comment: 'Fast, friendly', channel: 'import', answered_at: '2026-03-01T10:00:00.000Z' });
    expect(JSON.parse(rows[0].properties)).to.deep.equal({ region: 'north' });
    expect(rows[0].customer_id).to.be.a('number');
    expect(rows[1]).to.include({ comment: 'two\nlines, with a comma', answered_at: '2026-03-02T09:00:00.000Z' });
    const daily = await ctx.deps.db('response_daily').orderBy('day');
    expect(daily.map((d) => [d.day, Number(d.score), Number(d.count)])).to.deep.equal([['2026-03-01', 9, 1], ['2026-03-02', 4, 1]]);
  });

  it('refuses a file without the required columns, naming them', async () => {
    const file = write('cols.csv', 'survey,when\ndelivery-nps,2026-03-01\n');
    try {
      await importResponses(ctx.deps, file, () => {});
      expect.fail('should refuse');
    } catch (err) {
      expect((err as Error).message).to.match(/score, answered_at/);
    }
  });
});
