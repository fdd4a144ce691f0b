import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { loadDemo } from '../../server/demo/seed.ts';
import { simulateRules } from '../../server/simulation/service.ts';
import { toCount } from '../../server/db/dialect.ts';
import { localDate } from '../../server/dates.ts';
import * as quarterHourRollups from '../../migrations/20261204120000_create_quarter_hour_rollups.ts';
import * as responseValues from '../../migrations/20261204130000_create_response_values.ts';
import * as invitationAndEventValues from '../../migrations/20261204140000_create_invitation_and_event_values.ts';

describe('demo workspace', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let summary: string;
  before(async () => {
    summary = await loadDemo(ctx.deps);
  });

  it('loads three active surveys with months of history up to now', async () => {
    expect(summary).to.match(/^Demo workspace loaded: 3 touchpoints, 3000 customers, \d+ events, \d+ invitations sent, \d+ responses over 182 days\.$/);
    const surveys = await ctx.deps.db('surveys').orderBy('key');
    expect(surveys.map((s) => [s.key, s.metric, s.status])).to.deep.equal([
      ['delivery-nps', 'nps', 'active'],
      ['onboarding-ces', 'ces', 'active'],
      ['support-csat', 'csat', 'active'],
    ]);
    for (const s of surveys) expect(Object.keys(JSON.parse(s.content)).sort()).to.deep.equal(['de', 'en']);
    const [{ first, last }] = await ctx.deps.db('responses').min({ first: 'answered_at' }).max({ last: 'answered_at' });
    const now = ctx.clock.now().toISOString();
    expect(last <= now).to.equal(true);
    expect(first < new Date(ctx.clock.now().getTime() - 170 * 86_400_000).toISOString()).to.equal(true);
    const [{ n }] = await ctx.deps.db('responses').count({ n: '*' });
    expect(toCount(n)).to.be.greaterThan(1000);
  });

  it('links events, invitations and responses, with comments in two languages and segment properties', async () => {
    const { db } = ctx.deps;
    const [{ n: unlinked }] = await db('events').where({ decision: 'scheduled' }).whereNull('invitation_id').count({ n: '*' });
    expect(toCount(unlinked)).to.equal(0);
    const [{ n: suppressed }] = await db('events').where({ decision: 'suppressed' }).whereNotNull('reason').count({ n: '*' });
    expect(toCount(suppressed)).to.be.greaterThan(0);
    const [{ n: orphan }] = await db('responses').leftJoin('invitations', 'invitations.id', 'responses.invitation_id').whereNot('invitations.state', 'responded').count({ n: '*' });
    expect(toCount(orphan)).to.equal(0);
    const locales = await db('responses').whereNotNull('comment').distinct('locale');
    expect(locales.map((r) => r.locale).sort()).to.deep.equal(['de', 'en']);
    const sample = await db('responses').first();
    expect(JSON.parse(sample.properties)).to.include.keys(['region', 'channel']);
  });

  it('keeps the daily rollup equal to a recount of the responses', async () => {
    const rows: { survey_id: number; score: number; answered_at: string }[] = await ctx.deps.db('responses').select('survey_id', 'score', 'answered_at');
    const recount = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.survey_id}|${localDate(new Date(r.answered_at), 'UTC')}|${r.score}`;
      recount.set(k, (recount.get(k) ?? 0) + 1);
    }
    const daily = await ctx.deps.db('response_daily');
    expect(daily).to.have.length(recount.size);
    for (const d of daily) expect(toCount(d.count), `${d.survey_id} ${d.day} ${d.score}`).to.equal(recount.get(`${d.survey_id}|${d.day}|${d.score}`));
  });

  it('keeps the quarter-hour rollups and property values equal to what their migrations make of the stored answers and invitations', async () => {
    const { db } = ctx.deps;
    const snapshot = async () => ({
      responses: (await db('response_quarter_hours').orderBy(['survey_id', 'quarter', 'score'])).map((r) => [r.survey_id, r.quarter, r.score, toCount(r.count)]),
      invitations: (await db('invitation_quarter_hours').orderBy(['survey_id', 'quarter'])).map((r) => [r.survey_id, r.quarter, toCount(r.sent), toCount(r.responded)]),
      values: (await db('response_values').orderBy(['response_id', 'name'])).map((r) => [r.survey_id, r.name, r.value, r.quarter, r.response_id, r.score]),
      invitationValues: (await db('invitation_values').orderBy(['invitation_id', 'name'])).map((r) => [r.survey_id, r.name, r.value, r.quarter, r.invitation_id, r.responded]),
      eventValues: (await db('event_values').orderBy(['event_id', 'name'])).map((r) => [r.touchpoint_id, r.name, r.value, r.quarter, r.event_id]),
    });
    const loaded = await snapshot();
    expect(loaded.responses.length).to.be.greaterThan(100);
    expect(loaded.invitations.length).to.be.greaterThan(100);
    expect(loaded.values.length).to.be.greaterThan(1000);
    expect(loaded.invitationValues.length).to.be.greaterThan(1000);
    expect(loaded.eventValues.length).to.be.greaterThan(loaded.invitationValues.length);
    expect(loaded.invitationValues.some((r) => r[5] === 1) && loaded.invitationValues.some((r) => r[5] === 0)).to.equal(true);
    // An installation upgraded with this history gets the same counts (and property values) from the migrations.
    await invitationAndEventValues.down(db);
    await responseValues.down(db);
    await quarterHourRollups.down(db);
    await quarterHourRollups.up(db);
    await responseValues.up(db);
    await invitationAndEventValues.up(db);
    expect(await snapshot()).to.deep.equal(loaded);
  });

  it('answers the metrics API from the demo data', async () => {
    const res = await ctx.api.get('/api/v1/metrics').query({ survey: 'delivery-nps', interval: 'month', segment: 'region' }).expect(200);
    expect(res.body.series.length).to.be.within(6, 8);
    expect(res.body.segments).to.have.keys(['north', 'south', 'east', 'west']);
  });

  it('has a history that obeys its own contact rules: the rule simulation with nothing changed finds no difference', async () => {
    for (const survey of ['delivery-nps', 'support-csat', 'onboarding-ces']) {
      const report = await simulateRules(ctx.deps.db, survey, {}, ctx.clock.now());
      expect(report.totals.actual.events, `${survey}: events replayed`).to.be.greaterThan(100);
      expect(report.totals.changed, `${survey}: decided differently with no rule changed`).to.equal(0);
      expect(report.totals.simulated).to.deep.equal(report.totals.actual);
    }
    // The rules did something: some events were held back by them.
    const held = await ctx.deps.db('events').whereIn('reason', ['cooldown_global', 'cooldown_survey', 'cap_window']).count({ n: '*' }).first();
    expect(toCount(held?.n)).to.be.greaterThan(0);
  });

  it('refuses politely to load twice', async () => {
    const before = await ctx.deps.db('responses').count({ n: '*' });
    expect(await loadDemo(ctx.deps)).to.match(/already loaded/);
    expect(await ctx.deps.db('responses').count({ n: '*' })).to.deep.equal(before);
  });
});
