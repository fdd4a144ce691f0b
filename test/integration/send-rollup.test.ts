import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { eraseCustomer } from '../../server/customers/commands.ts';
import { surveyMetrics } from '../../server/metrics/service.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { findSurveyByKey } from '../../server/surveys/queries.ts';
import type { PropertyFilter } from '../../server/metrics/property-filter.ts';
import { rebuildDailyRollup } from '../../server/rollups/rebuild.ts';
import { parsePeriod, quarterHoursOf } from '../../server/metrics/range.ts';
import { eventCount, filteredEventCount, filteredQuarterSendDays, quarterSendDays, sentAndAnsweredBy } from '../../server/metrics/queries.ts';
import { inLocalDays } from '../../server/metrics/local-days.ts';

const DAY = 86_400_000;

/**
 * Response rates by the day invitations were sent come from the send rollups (kept as invitations are sent
 * and answered) when the reporting zone is asked for; any other zone string counts the invitations
 * themselves. Etc/UTC has UTC's days, so the two answers must agree exactly.
 */
describe('metrics: the send and event rollups agree with a count of the invitations and events', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  const regions = ['north', 'south', 'east'];
  const seeded: { invitationId: number; email: string; answered: boolean }[] = [];

  const rates = async (tz: string, where: PropertyFilter[] = [], interval: 'day' | 'week' = 'day') => {
    const m = await surveyMetrics(ctx.deps.db, { survey: 'delivery-nps', from: '2026-03-01', to: '2026-03-20', interval, tz, where });
    return { overall: m.response_rate, funnel: m.funnel, series: m.series.filter((b) => b.sent > 0 || b.responded > 0).map((b) => [b.start, b.sent, b.responded]) };
  };

  before(async () => {
    // 30 invitations sent over 15 days, half of them at 23:30 UTC (the next day in Berlin), with string,
    // boolean and missing properties; two in three answered.
    for (let i = 0; i < 30; i++) {
      const properties: Record<string, unknown> = { vip: i % 4 === 0 };
      if (i % 5 !== 0) properties.region = regions[i % 3];
      const sentAt = new Date(Date.UTC(2026, 2, 1 + (i % 15), i % 2 ? 23 : 9, 30));
      // Each event is received when its invitation goes out.
      ctx.clock.set(sentAt);
      const s = await seedInvitation(ctx, { state: 'sent', sentAt, sendAt: sentAt, properties, email: `c${i}@example.com` });
      seeded.push({ invitationId: s.invitationId, email: s.email, answered: i % 3 !== 0 });
    }
    ctx.clock.set('2026-11-23T10:00:00Z');
    const survey = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    await writeTransaction(ctx.deps.db, async (trx) => {
      for (const [i, s] of seeded.entries()) {
        if (!s.answered) continue;
        const answeredAt = new Date(Date.UTC(2026, 2, 2 + (i % 15), 12));
        await storeAnswer(trx, { survey_id: survey.id, invitation_id: s.invitationId, score: i % 11, channel: 'email', answered_at: answeredAt, properties: {} }, 'UTC');
      }
    });
  });

  it('counts every invitation sent and answered on its day of sending, as a count of the invitations does', async () => {
    const fromRollup = await rates('UTC');
    const fromInvitations = await rates('Etc/UTC');
    expect(fromRollup.overall).to.deep.equal({ sent: 30, responded: 20, rate: 20 / 30 });
    expect(fromRollup.funnel).to.deep.equal({ events: 30, invitations_sent: 30, responses: 20 });
    expect(fromRollup).to.deep.equal(fromInvitations);
    // The first day: invitations 0 (09:30, not answered) and 15 (23:30, not answered: 15 % 3 === 0).
    expect(fromRollup.series[0]).to.deep.equal(['2026-03-01', 2, 0]);
  });

  for (const where of [[{ name: 'region', values: ['north'] }], [{ name: 'region', values: ['east', 'south'] }], [{ name: 'vip', values: ['true'] }]]) {
    it(`filters by the event's ${where[0].name} from the segment counts as the invitations do (${where[0].values.join(', ')})`, async () => {
      const fromRollup = await rates('UTC', where);
      expect(fromRollup.overall.sent).to.be.greaterThan(0);
      expect(fromRollup.funnel!.events).to.equal(fromRollup.overall.sent);
      expect(fromRollup).to.deep.equal(await rates('Etc/UTC', where));
    });
  }

  it('counts sends by UTC quarter-hour, so any zone sums its days as a count of the invitations does', async () => {
    const survey = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    for (const tz of ['Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu']) {
      const period = parsePeriod('2026-03-01', '2026-03-20', tz);
      const quarters = quarterHoursOf(period, tz)!;
      expect(quarters, tz).to.not.equal(null);
      const counted = new Map<string, { sent: number; responded: number }>();
      for (const { day, row } of await inLocalDays(tz, (chars) => sentAndAnsweredBy(ctx.deps.db, survey.id, period, [], chars))) {
        const d = counted.get(day) ?? counted.set(day, { sent: 0, responded: 0 }).get(day)!;
        d.sent += row.sent;
        d.responded += row.answered;
      }
      const fromQuarters = await quarterSendDays(ctx.deps.db, survey.id, quarters);
      expect([...fromQuarters.values()].reduce((n, d) => n + d.sent, 0), tz).to.equal(30);
      expect(Object.fromEntries([...fromQuarters].sort()), tz).to.deep.equal(Object.fromEntries([...counted].sort()));
    }
  });

  it('counts sends and events under several filters from their property values, as a reading of the invitations and events does', async () => {
    const survey = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    const filters: PropertyFilter[][] = [
      [{ name: 'region', values: ['north', 'south'] }, { name: 'vip', values: ['false'] }],
      [{ name: 'region', values: ['east'] }, { name: 'vip', values: ['true'] }],
      [{ name: 'vip', values: ['false'] }],
    ];
    for (const tz of ['UTC', 'Asia/Kolkata']) {
      for (const where of filters) {
        const label = `${tz} ${JSON.stringify(where)}`;
        const period = parsePeriod('2026-03-01', '2026-03-20', tz);
        const counted = new Map<string, { sent: number; responded: number }>();
        for (const { day, row } of await inLocalDays(tz, (chars) => sentAndAnsweredBy(ctx.deps.db, survey.id, period, where, chars))) {
          const d = counted.get(day) ?? counted.set(day, { sent: 0, responded: 0 }).get(day)!;
          d.sent += row.sent;
          d.responded += row.answered;
        }
        const fromValues = await filteredQuarterSendDays(ctx.deps.db, survey.id, where, quarterHoursOf(period, tz)!);
        expect(Object.fromEntries([...fromValues].sort()), label).to.deep.equal(Object.fromEntries([...counted].sort()));
        const events = await eventCount(ctx.deps.db, survey.touchpoint_id, period, where);
        expect(events, label).to.be.greaterThan(0);
        expect(await filteredEventCount(ctx.deps.db, survey.touchpoint_id, where, quarterHoursOf(period, tz)!), label).to.equal(events);
      }
    }
  });

  it('counts an invitation the worker sends on the day it went out', async () => {
    const before = (await rates('UTC')).overall.sent;
    const sendAt = new Date(ctx.clock.now().getTime() - DAY);
    const due = await seedInvitation(ctx, { state: 'scheduled', sendAt, properties: { region: 'north' } });
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([due.invitationId]);
    const today = ctx.clock.now().toISOString().slice(0, 10);
    const row = await ctx.deps.db('invitation_daily').where({ survey_id: due.survey.id, day: today }).first();
    expect(row).to.include({ sent: 1, responded: 0 });
    const segment = await ctx.deps.db('invitation_segment_daily').where({ survey_id: due.survey.id, day: today, name: 'region', value: 'north' }).first();
    expect(segment).to.include({ sent: 1, responded: 0 });
    const quarter = Math.floor(ctx.clock.now().getTime() / 900_000);
    expect(await ctx.deps.db('invitation_quarter_hours').where({ survey_id: due.survey.id, quarter }).first()).to.include({ sent: 1, responded: 0 });
    // A second run sends nothing and counts nothing.
    await runOnce(ctx.deps);
    expect((await ctx.deps.db('invitation_daily').where({ survey_id: due.survey.id, day: today }).first()).sent).to.equal(1);
    expect((await rates('UTC')).overall.sent).to.equal(before);
  });

  it('recounts for a new reporting zone, and an erased customer leaves the segment counts only', async () => {
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    await rebuildDailyRollup(ctx.deps.db, 'Europe/Berlin');
    const berlin = await rates('Europe/Berlin', [], 'week');
    // Asked in Europe/Berlin (the reporting zone now: rollups) and in Europe/Paris (the same offsets: the invitations).
    expect(berlin).to.deep.equal(await rates('Europe/Paris', [], 'week'));
    const south = [{ name: 'region', values: ['south'] }];
    const southBefore = await rates('Europe/Berlin', south);
    // Invitation 1 is south (regions[1 % 3]) and answered.
    expect(seeded[1].answered).to.equal(true);
    await eraseCustomer(ctx.deps, seeded[1].email, { userId: null, label: 'test' });
    const southAfter = await rates('Europe/Berlin', south);
    expect(southAfter.overall).to.deep.include({ sent: southBefore.overall.sent - 1, responded: southBefore.overall.responded - 1 });
    expect(southAfter.funnel!.events).to.equal(southBefore.funnel!.events - 1);
    expect(southAfter).to.deep.equal(await rates('Europe/Paris', south));
    expect((await rates('Europe/Berlin')).overall).to.deep.equal(berlin.overall);
  });
});
