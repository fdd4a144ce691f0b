import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { rebuildDailyRollup } from '../../server/rollups/rebuild.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures/metrics');
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as {
  surveys: Record<string, { metric: string; overall: Figures; by_region: Record<string, Figures>; series: Record<string, (Figures & { start: string })[]> }>;
};
type Figures = Record<string, number | null>;

/** Every figure the fixture names, within 1e-9. */
function expectFigures(actual: Record<string, unknown>, wanted: Record<string, unknown>, where: string): void {
  for (const [name, value] of Object.entries(wanted)) {
    const got = actual[name];
    if (typeof value === 'number') {
      expect(got, `${where}.${name}`).to.be.a('number');
      expect(got as number, `${where}.${name}`).to.be.closeTo(value, 1e-9);
    } else {
      expect(got, `${where}.${name}`).to.equal(value);
    }
  }
}

describe('metrics: the reference data set (test/fixtures/metrics)', function () {
  this.timeout(120_000);
  const ctx = withTestContext();
  let cliOutput: string;

  before(async () => {
    const now = ctx.clock.now();
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, now);
    await createSurvey(ctx.deps.db, { key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }, now);
    await createSurvey(ctx.deps.db, { key: 'onboarding-ces', touchpoint: 'onboarding', metric: 'ces', status: 'active' }, now);
    // The real command, as a person would run it, against the test database.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'server/touchpoint.js'), 'import', 'responses', path.join(fixtures, 'responses.csv')],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: ctx.deps.config.databaseUrl,
          LOG_LEVEL: 'silent',
          SESSION_SECRET: 'cli-secret-cli-secret-cli-secret-0123456',
          // The command's English words, whatever this machine's locale.
          LANG: 'C',
          LC_ALL: '',
          LC_MESSAGES: '',
        },
      },
    );
    cliOutput = stdout;
  });


  function checkEverySurvey() {
    for (const [key, want] of Object.entries(expected.surveys)) {
      it(`${key}: overall and by region`, async () => {
        const res = await ctx.api.get('/api/v1/metrics').query({ survey: key, segment: 'region', interval: 'month' }).expect(200);
        expect(res.body.survey).to.equal(key);
        expect(res.body.metric).to.equal(want.metric);
        expectFigures(res.body.overall, want.overall, 'overall');
        expect(Object.keys(res.body.segments).sort()).to.deep.equal(Object.keys(want.by_region).sort());
        for (const [region, figures] of Object.entries(want.by_region)) expectFigures(res.body.segments[region], figures, `segments.${region}`);
      });

      for (const [series, buckets] of Object.entries(want.series)) {
        const [tz, interval] = series.split('|');
        it(`${key}: series ${tz} by ${interval}`, async () => {
          const res = await ctx.api.get('/api/v1/metrics').query({ survey: key, tz, interval }).expect(200);
          expect(res.body.tz).to.equal(tz);
          expect(res.body.series.map((b: { start: string }) => b.start)).to.deep.equal(buckets.map((b) => b.start));
          buckets.forEach((bucket, i) => expectFigures(res.body.series[i], bucket, `${series}[${bucket.start}]`));
          expectFigures(res.body.overall, want.overall, 'overall');
        });
      }
    }
  }

  it('imports the file through the CLI with every row taken', () => {
    expect(cliOutput).to.contain('4533 rows taken, 0 rows refused');
  });

  describe('with the reporting time zone UTC (Europe/Berlin read from the responses)', () => {
    checkEverySurvey();
  });

  describe('with the reporting time zone Europe/Berlin (UTC read from the responses)', () => {
    before(async () => {
      await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
      await rebuildDailyRollup(ctx.deps.db, 'Europe/Berlin');
    });
    checkEverySurvey();
  });
});
