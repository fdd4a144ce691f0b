import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { importResponses } from '../../server/imports/responses.ts';
import { toCount } from '../../server/db/dialect.ts';

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
const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);

describe('import responses from CSV', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-import-'));
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    await createSurvey(ctx.deps.db, { key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }, ctx.clock.now());
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const count = async (table: string, where: Record<string, unknown> = {}) => toCount((await ctx.deps.db(table).where(where).count({ n: '*' }).first())?.n);
  /** Everything an import writes: responses, customers, and the rollups' totals. */
  const written = async () => ({
    responses: await count('responses'),
    customers: await count('customers'),
    daily: toCount((await ctx.deps.db('response_daily').sum({ n: 'count' }).first())?.n),
    segments: toCount((await ctx.deps.db('response_segment_daily').sum({ n: 'count' }).first())?.n),
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

  it('takes a file imported again as already imported: adds nothing and says how many rows it skipped', async () => {
    const file = write(
      'twice.csv',
      'survey,score,answered_at,email,customer_id,comment,region\n' +
        'delivery-nps,9,2026-04-01T10:00:00Z,twice-a@example.com,,Great,north\n' + // 2
        'delivery-nps,3,2026-04-01T10:00:00Z,,twice-b,Slow,south\n' + // 3 another customer at the same time
        'delivery-nps,8,2026-04-01T12:00:00+02:00,Twice-A@Example.com,,Great,north\n' + // 4 line 2 again: same customer and instant
        'delivery-nps,7,2026-04-01T10:00:00Z,,,,east\n' + // 5 anonymous
        'delivery-nps,10,2026-04-01T10:00:00Z,,,,east\n' + // 6 another anonymous answer in the same second
        'support-csat,5,2026-04-01T10:00:00Z,twice-a@example.com,,,north\n', // 7 another survey
    );
    const before = await written();
    const first = await touchpoint(ctx, 'import', 'responses', file);
    expect(first.code).to.equal(0);
    expect(lastLine(first.stdout)).to.equal('5 rows taken, 0 rows refused, 1 row skipped as already imported');
    const after = await written();
    expect(after.responses - before.responses).to.equal(5);
    const stored = await ctx.deps.db('responses').where('answered_at', '2026-04-01T10:00:00.000Z').orderBy('id');
    expect(stored.map((r) => r.score)).to.deep.equal([9, 3, 7, 10, 5]);
    for (const r of stored) expect(r.import_key).to.match(/^[0-9a-f]{64}$/);

    const second = await touchpoint(ctx, 'import', 'responses', file);
    expect(second.code).to.equal(0);
    expect(lastLine(second.stdout)).to.equal('0 rows taken, 0 rows refused, 6 rows skipped as already imported');
    expect(await written()).to.deep.equal(after);
  });

  it('refuses an answer dated in the future with its line number, naming answered_at (5 minutes of clock skew allowed)', async () => {
    const file = write(
      'future.csv',
      'survey,score,answered_at,customer_id\n' +
        'delivery-nps,9,2026-11-23T10:04:00Z,future-1\n' + // 2 within the skew of the clock (10:00)
        'delivery-nps,9,2026-11-23T10:06:00Z,future-2\n' + // 3 six minutes ahead
        'delivery-nps,9,2030-01-01T00:00:00Z,future-3\n' + // 4
        'delivery-nps,9,2026-11-23T09:00:00Z,future-4\n', // 5
    );
    const before = await count('responses');
    const report = await importResponses(ctx.deps, file, () => {});
    expect(report.taken).to.equal(2);
    expect(report.refused.map((r) => r.line)).to.deep.equal([3, 4]);
    expect(report.refused[1].reason).to.equal(
      'answered_at "2030-01-01T00:00:00Z" is in the future (it is now 2026-11-23T10:00:00.000Z); an answer cannot be imported before it was given',
    );
    expect(await count('responses')).to.equal(before + 2);

    // Through the command, as a person runs it: the refusal by line, exit 0 as rows were taken.
    const cli = write('future-cli.csv', 'survey,score,answered_at\ndelivery-nps,5,2026-05-01T10:00:00Z\ndelivery-nps,5,2099-05-01T10:00:00Z\n');
    const run = await touchpoint(ctx, 'import', 'responses', cli);
    expect(run.stdout).to.match(/^line 3: answered_at "2099-05-01T10:00:00Z" is in the future/m);
    expect(lastLine(run.stdout)).to.equal('1 row taken, 1 row refused, 0 rows skipped as already imported');
  });

  it('takes one row per response_id in a survey (the same id in another survey is another answer)', async () => {
    const file = write(
      'ids.csv',
      'response_id,survey,score,answered_at,customer_id\n' +
        'R-1,delivery-nps,9,2026-06-01T10:00:00Z,ids-1\n' + // 2
        'R-1,delivery-nps,2,2026-06-02T10:00:00Z,ids-2\n' + // 3 the same id: skipped, whatever else differs
        'R-2,delivery-nps,7,2026-06-01T10:00:00Z,ids-1\n' + // 4 same customer and time as line 2, another id: taken
        'R-1,support-csat,4,2026-06-01T10:00:00Z,ids-1\n' + // 5 same id, other survey
        ',delivery-nps,6,2026-06-03T10:00:00Z,ids-3\n', // 6 no id: the derived key
    );
    const before = await count('responses');
    const report = await importResponses(ctx.deps, file, () => {});
    expect(report).to.deep.include({ taken: 4, refused: [], skipped: 1 });
    const rows = await ctx.deps.db('responses').where('answered_at', '>=', '2026-06-01T00:00:00.000Z').where('answered_at', '<', '2026-06-04T00:00:00.000Z').orderBy('id');
    expect(rows.map((r) => r.score)).to.deep.equal([9, 7, 4, 6]);
    const surveys = new Map((await ctx.deps.db('surveys').select('id', 'key')).map((s) => [s.key, s.id]));
    expect(rows.map((r) => r.import_key).slice(0, 3)).to.deep.equal([`id:${surveys.get('delivery-nps')}:R-1`, `id:${surveys.get('delivery-nps')}:R-2`, `id:${surveys.get('support-csat')}:R-1`]);
    expect(rows[3].import_key).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.parse(rows[0].properties)).to.deep.equal({}); // response_id is not a property
    expect(await count('responses')).to.equal(before + 4);

    const again = await importResponses(ctx.deps, file, () => {});
    expect(again).to.deep.include({ taken: 0, refused: [], skipped: 5 });
  });

  it('--dry-run runs every check, the already-imported one included, and writes nothing', async () => {
    const file = write(
      'dry.csv',
      'survey,score,answered_at,customer_id,region\n' +
        'delivery-nps,9,2026-07-01T10:00:00Z,dry-1,north\n' + // 2 new
        'delivery-nps,9,2026-04-01T10:00:00Z,twice-b,south\n' + // 3 imported by an earlier test
        'delivery-nps,9,2026-07-01T10:00:00Z,dry-1,north\n' + // 4 line 2 again
        'delivery-nps,12,2026-07-01T10:00:00Z,dry-2,north\n' + // 5 outside the scale
        'delivery-nps,9,2099-07-01T10:00:00Z,dry-3,north\n' + // 6 in the future
        'support-csat,4,2026-07-02T10:00:00Z,dry-4,north\n', // 7 new
    );
    const before = await written();
    const { code, stdout } = await touchpoint(ctx, 'import', 'responses', file, '--dry-run');
    expect(code, 'a command that refused rows exits non-zero').to.equal(1);
    const out = stdout.trim().split('\n');
    expect(out.at(-1)).to.equal('2 rows taken, 2 rows refused, 2 rows skipped as already imported (dry run: nothing was written)');
    expect(out[0]).to.match(/^line 5: score 12 is outside/);
    expect(out[1]).to.match(/^line 6: answered_at "2099-07-01T10:00:00Z" is in the future/);
    expect(await written()).to.deep.equal(before);

    // The real import then does what the dry run said.
    const real = await touchpoint(ctx, 'import', 'responses', file);
    expect(lastLine(real.stdout)).to.equal('2 rows taken, 2 rows refused, 2 rows skipped as already imported');
    expect((await written()).responses).to.equal(before.responses + 2);
  });

  it('refuses --send for responses, which send no email', async () => {
    const file = write('send.csv', 'survey,score,answered_at\ndelivery-nps,5,2026-05-01T10:00:00Z\n');
    const before = await count('responses');
    const run = await touchpoint(ctx, 'import', 'responses', file, '--send');
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.match(/--send is for import events/);
    expect(await count('responses')).to.equal(before);
  });
});
