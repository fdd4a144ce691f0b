import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { writeTransaction } from '../../server/db/dialect.ts';

describe('metrics and responses API', () => {
  const ctx = withTestContext();

  before(async () => {
    const survey = await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    // 25 answers, one a day from 2026-03-01, alternating promoter / detractor, in two regions.
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (let i = 0; i < 25; i++) {
        await insertResponse(
          trx,
          {
            survey_id: survey.id,
            score: i % 2 ? 3 : 10,
            comment: i === 24 ? 'Late, but friendly driver' : null,
            channel: 'web',
            locale: 'en',
            answered_at: new Date(Date.UTC(2026, 2, 1 + i, 12)),
            properties: { region: i < 10 ? 'north' : 'south' },
          },
          'UTC',
        );
      }
    });
  });

  it('answers a period with buckets, the too-small marker and segments', async () => {
    const res = await ctx.api.get('/api/v1/metrics').query({ survey: 'delivery-nps', from: '2026-03-01', to: '2026-03-10', interval: 'day', segment: 'region' }).expect(200);
    expect(res.body).to.include({ survey: 'delivery-nps', metric: 'nps', tz: 'UTC', interval: 'day', from: '2026-03-01', to: '2026-03-10' });
    expect(res.body.overall).to.include({ n: 10, promoters: 5, detractors: 5, score: 0, too_small: true });
    expect(res.body.series).to.have.length(10);
    expect(res.body.series[0]).to.include({ start: '2026-03-01', n: 1, score: 100 });
    expect(res.body.segments).to.have.keys(['north']);
  });

  it('reads instants as well as dates, in another time zone from the responses', async () => {
    const res = await ctx.api.get('/api/v1/metrics').query({ survey: 'delivery-nps', from: '2026-03-01T13:00:00Z', to: '2026-03-03T12:00:00Z', tz: 'Asia/Tokyo', interval: 'month' }).expect(200);
    expect(res.body.overall.n).to.equal(2);
    // One month bucket: the period's figures and band, and no invitations sent (these answers came by the web link).
    expect(res.body.series).to.deep.equal([{ start: '2026-03-01', ...res.body.overall, sent: 0, responded: 0, rate: null }]);
  });

  for (const [query, field, status] of [
    [{ survey: 'delivery-nps', interval: 'year' }, 'interval', 422],
    [{ survey: 'delivery-nps', tz: 'Mars/Olympus' }, 'tz', 422],
    [{ survey: 'delivery-nps', from: '2026-13-01' }, 'from', 422],
    [{ survey: 'delivery-nps', to: 'yesterday' }, 'to', 422],
    [{ survey: 'delivery-nps', from: '2026-03-05', to: '2026-03-01' }, 'to', 422],
    [{ survey: 'delivery-nps', segment: 'region; drop table' }, 'segment', 422],
    [{ interval: 'week' }, 'survey', 422],
  ] as const) {
    it(`refuses ${JSON.stringify(query)} naming ${field}`, async () => {
      const res = await ctx.api.get('/api/v1/metrics').query(query).expect(status);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal([field]);
    });
  }

  it('answers 404 for an unknown survey and 401 without a key', async () => {
    await ctx.api.get('/api/v1/metrics').query({ survey: 'nope' }).expect(404);
    await supertest(ctx.app).get('/api/v1/metrics').query({ survey: 'delivery-nps' }).expect(401);
  });

  it('pages through responses with a cursor, each once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { survey: 'delivery-nps', limit: 10 };
      if (cursor) query.cursor = cursor;
      const res: supertest.Response = await ctx.api.get('/api/v1/responses').query(query).expect(200);
      seen.push(...res.body.responses.map((r: { id: number }) => r.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).to.equal(3);
    expect(seen).to.have.length(25);
    expect(new Set(seen).size).to.equal(25);
    expect([...seen].sort((a, b) => a - b)).to.deep.equal(seen);
  });

  it('shows each response with its survey key and properties, within from/to', async () => {
    const res = await ctx.api.get('/api/v1/responses').query({ survey: 'delivery-nps', from: '2026-03-25', to: '2026-03-31' }).expect(200);
    expect(res.body.next_cursor).to.equal(null);
    expect(res.body.responses).to.have.length(1);
    expect(res.body.responses[0]).to.include({ survey: 'delivery-nps', score: 10, comment: 'Late, but friendly driver', channel: 'web', locale: 'en', answered_at: '2026-03-25T12:00:00.000Z' });
    expect(res.body.responses[0].properties).to.deep.equal({ region: 'south' });
  });

  it('refuses a bad cursor, limit or survey', async () => {
    const bad = await ctx.api.get('/api/v1/responses').query({ cursor: 'not-a-cursor' }).expect(422);
    expect(bad.body.errors[0].field).to.equal('cursor');
    const limit = await ctx.api.get('/api/v1/responses').query({ limit: 5000 }).expect(422);
    expect(limit.body.errors[0].field).to.equal('limit');
    await ctx.api.get('/api/v1/responses').query({ survey: 'nope' }).expect(404);
  });
});
