import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { insertResponse, updateResponse, type ResponseRow } from '../../server/responses/store.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { rawSegmentCounts, rollupSegmentCounts, segmentCounts, wholeDaysIn } from '../../server/metrics/queries.ts';
import { segmentPairs } from '../../server/rollups/segments.ts';
import type { PropertyFilter } from '../../server/metrics/property-filter.ts';
import { dayCounts } from '../../server/metrics/day-counts.ts';
import { parsePeriod, quarterHoursOf } from '../../server/metrics/range.ts';
import { localDate } from '../../server/dates.ts';
import type { Survey } from '../../server/surveys/model.ts';
import type { ScoreCounts } from '../../server/metrics/compute.ts';
import { rebuildDailyRollup } from '../../server/rollups/rebuild.ts';

/** Map<value, Map<score, count>> as plain sorted entries, to compare. */
const plain = (m: Map<string, ScoreCounts>) =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, Object.fromEntries([...c].filter(([, n]) => n > 0).sort(([a], [b]) => a - b))]));

describe('metrics: the segment rollup and the responses agree', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let survey: Survey;
  const regions = ['north', 'south', 'east'];

  before(async () => {
    survey = await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    // 60 answers over 15 days, some at 23:30 UTC (the next day in Berlin and Kolkata), with string, number,
    // missing and null properties.
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (let i = 0; i < 60; i++) {
        const properties: Record<string, unknown> = { tier: i % 4 };
        if (i % 5 !== 0) properties.region = regions[i % 3];
        if (i % 7 === 0) properties.region = null;
        await insertResponse(
          trx,
          {
            survey_id: survey.id,
            score: (i * 7) % 11,
            channel: 'web',
            answered_at: new Date(Date.UTC(2026, 2, 1 + (i % 15), i % 2 ? 23 : 9, 30)),
            properties,
          },
          'UTC',
        );
      }
    });
    // Two answers change their score within the edit window.
    const rows: ResponseRow[] = await ctx.deps.db('responses').orderBy('id').limit(2);
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (const row of rows) await updateResponse(trx, row, { score: row.score === 10 ? 0 : 10, comment: null, at: ctx.clock.now() }, 'UTC');
    });
  });

  it('counts each value, and the rest under (none), as a recount of the responses does', async () => {
    const db = ctx.deps.db;
    for (const [from, to] of [['2026-03-01', '2026-03-15'], ['2026-03-03', '2026-03-09'], ['2026-03-15', '2026-03-15']]) {
      const period = parsePeriod(from, to, 'UTC');
      for (const property of ['region', 'tier', 'missing']) {
        const fromRollup = await rollupSegmentCounts(db, survey.id, property, period);
        expect(plain(fromRollup), `${property} ${from}…${to}`).to.deep.equal(plain(await rawSegmentCounts(db, survey.id, property, period)));
      }
    }
    const all = await rollupSegmentCounts(db, survey.id, 'region', parsePeriod('2026-03-01', '2026-03-31', 'UTC'));
    expect([...all.keys()].sort()).to.deep.equal(['(none)', 'east', 'north', 'south']);
    const n = [...all.values()].reduce((sum, c) => sum + [...c.values()].reduce((a, b) => a + b, 0), 0);
    expect(n).to.equal(60);
  });

  it('answers from the rollup only for whole days of the reporting zone, else from the responses', async () => {
    expect(wholeDaysIn(parsePeriod('2026-03-01', '2026-03-15', 'UTC'), 'UTC')).to.equal(true);
    expect(wholeDaysIn(parsePeriod(undefined, undefined, 'Europe/Berlin'), 'UTC')).to.equal(true);
    expect(wholeDaysIn(parsePeriod('2026-03-01', '2026-03-15', 'Europe/Berlin'), 'UTC')).to.equal(false);
    expect(wholeDaysIn(parsePeriod('2026-03-01T00:00:00Z', '2026-03-15', 'UTC'), 'UTC')).to.equal(false);
    // In Berlin the 23:30 UTC answers belong to the next day: the API must count them as the responses say.
    const period = parsePeriod('2026-03-02', '2026-03-08', 'Europe/Berlin');
    const res = await ctx.api
      .get('/api/v1/metrics')
      .query({ survey: 'delivery-nps', from: '2026-03-02', to: '2026-03-08', tz: 'Europe/Berlin', segment: 'region' })
      .expect(200);
    const raw = await rawSegmentCounts(ctx.deps.db, survey.id, 'region', period);
    expect(Object.fromEntries(Object.entries(res.body.segments as Record<string, { n: number }>).map(([k, v]) => [k, v.n]))).to.deep.equal(
      Object.fromEntries([...raw].map(([k, c]) => [k, [...c.values()].reduce((a, b) => a + b, 0)])),
    );
    expect(plain(await segmentCounts(ctx.deps.db, survey.id, 'region', period))).to.deep.equal(plain(raw));
  });

  it('keeps true/false as the words true and false', async () => {
    await writeTransaction(ctx.deps.db, (trx) =>
      insertResponse(trx, { survey_id: survey.id, score: 9, channel: 'web', answered_at: new Date('2026-03-20T10:00:00Z'), properties: { vip: true } }, 'UTC'),
    );
    const counts = await rollupSegmentCounts(ctx.deps.db, survey.id, 'vip', parsePeriod('2026-03-20', '2026-03-20', 'UTC'));
    expect(plain(counts)).to.deep.equal({ true: { 9: 1 } });
  });

  it('rebuilds both rollups to the counts kept answer by answer, also in another zone', async () => {
    const db = ctx.deps.db;
    const snapshot = async () => ({
      daily: (await db('response_daily').where('count', '>', 0).orderBy(['survey_id', 'day', 'score'])).map((r) => ({ ...r, count: Number(r.count) })),
      quarters: (await db('response_quarter_hours').where('count', '>', 0).orderBy(['survey_id', 'quarter', 'score'])).map((r) => ({ ...r, count: Number(r.count) })),
      segments: (await db('response_segment_daily').where('count', '>', 0).orderBy(['survey_id', 'name', 'day', 'value', 'score'])).map((r) => ({ ...r, count: Number(r.count) })),
    });
    const kept = await snapshot();
    expect(kept.segments.length).to.be.greaterThan(0);
    const [{ n: stored }] = await db('responses').count({ n: '*' });
    expect(kept.quarters.reduce((n, r) => n + r.count, 0)).to.equal(Number(stored));
    await rebuildDailyRollup(db, 'UTC');
    expect(await snapshot()).to.deep.equal(kept);
    await rebuildDailyRollup(db, 'Asia/Kolkata');
    const period = parsePeriod('2026-03-01', '2026-03-15', 'Asia/Kolkata');
    expect(wholeDaysIn(period, 'Asia/Kolkata')).to.equal(true);
    expect(plain(await rollupSegmentCounts(db, survey.id, 'region', period))).to.deep.equal(plain(await rawSegmentCounts(db, survey.id, 'region', period)));
    await rebuildDailyRollup(db, 'UTC');
  });

  it('counts each answer on its local day in another zone, also in zones a half hour off UTC', async () => {
    const rows: { answered_at: string; score: number }[] = await ctx.deps.db('responses').where({ survey_id: survey.id }).select('answered_at', 'score');
    for (const tz of ['Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns']) {
      const period = parsePeriod(undefined, undefined, tz);
      const days = await dayCounts(ctx.deps.db, survey, period, tz, 'UTC');
      const expected = new Map<string, ScoreCounts>();
      for (const r of rows) {
        const day = localDate(new Date(r.answered_at), tz);
        const c = expected.get(day) ?? expected.set(day, new Map()).get(day)!;
        c.set(Number(r.score), (c.get(Number(r.score)) ?? 0) + 1);
      }
      expect(plain(days), tz).to.deep.equal(plain(expected));
    }
  });

  it('counts each answer on its local day from the quarter-hour rollup in any zone, across a clock change', async () => {
    const rows: { answered_at: string; score: number }[] = await ctx.deps.db('responses').where({ survey_id: survey.id }).select('answered_at', 'score');
    // St. John's and New York move their clocks on 8 March 2026; Kolkata is 5:30 and Kathmandu 5:45 from UTC.
    for (const tz of ['Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'America/New_York', 'Pacific/Chatham']) {
      for (const [from, to] of [['2026-03-01', '2026-03-31'], ['2026-03-05', '2026-03-10']]) {
        const period = parsePeriod(from, to, tz);
        expect(quarterHoursOf(period, tz), `${tz}: the quarter-hours answer`).to.not.equal(null);
        const days = await dayCounts(ctx.deps.db, survey, period, tz, 'UTC');
        const expected = new Map<string, ScoreCounts>();
        for (const r of rows) {
          const day = localDate(new Date(r.answered_at), tz);
          if (day < from || day > to) continue;
          const c = expected.get(day) ?? expected.set(day, new Map()).get(day)!;
          c.set(Number(r.score), (c.get(Number(r.score)) ?? 0) + 1);
        }
        expect(plain(days), `${tz} ${from}…${to}`).to.deep.equal(plain(expected));
      }
    }
  });

  it('finds the answers matching several property filters from their property values, in any zone, as a reading of the answers does', async () => {
    const db = ctx.deps.db;
    // A rescored answer must be seen with its new score.
    const [row]: ResponseRow[] = await db('responses').where({ survey_id: survey.id }).orderBy('id', 'desc').limit(1);
    await writeTransaction(db, (trx) => updateResponse(trx, row, { score: row.score === 3 ? 4 : 3, comment: null, at: ctx.clock.now() }, 'UTC'));
    const rows: { answered_at: string; score: number; properties: string }[] = await db('responses').where({ survey_id: survey.id }).select('answered_at', 'score', 'properties');
    const matches = (properties: string, where: PropertyFilter[]) => {
      const pairs = new Map(segmentPairs(properties));
      return where.every((f) => f.values.includes(pairs.get(f.name) ?? '\u0000'));
    };
    const filters: PropertyFilter[][] = [
      [{ name: 'region', values: ['north'] }],
      [{ name: 'region', values: ['north', 'east'] }, { name: 'tier', values: ['0', '2'] }],
      [{ name: 'region', values: ['south'] }, { name: 'tier', values: ['1'] }, { name: 'missing', values: ['x'] }],
    ];
    for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata']) {
      for (const where of filters) {
        const label = `${tz} ${JSON.stringify(where)}`;
        const period = parsePeriod('2026-03-02', '2026-03-12', tz);
        const expected = new Map<string, ScoreCounts>();
        const bySegment = new Map<string, ScoreCounts>();
        for (const r of rows) {
          const day = localDate(new Date(r.answered_at), tz);
          if (day < '2026-03-02' || day > '2026-03-12' || !matches(r.properties, where)) continue;
          const c = expected.get(day) ?? expected.set(day, new Map()).get(day)!;
          c.set(Number(r.score), (c.get(Number(r.score)) ?? 0) + 1);
          const tier = new Map(segmentPairs(r.properties)).get('tier') ?? '(none)';
          const t = bySegment.get(tier) ?? bySegment.set(tier, new Map()).get(tier)!;
          t.set(Number(r.score), (t.get(Number(r.score)) ?? 0) + 1);
        }
        // UTC is the reporting zone: one filter is answered by the segment rollup there, the rest by the property values.
        expect(plain(await dayCounts(db, survey, period, tz, 'UTC', where)), label).to.deep.equal(plain(expected));
        expect(plain(await segmentCounts(db, survey.id, 'tier', period, 'UTC', where)), label).to.deep.equal(plain(bySegment));
        expect(plain(await rawSegmentCounts(db, survey.id, 'tier', period, where)), label).to.deep.equal(plain(bySegment));
      }
    }
  });
});
