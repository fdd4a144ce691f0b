import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { getSettings } from '../../server/settings/service.ts';
import { simulateRules } from '../../server/simulation/service.ts';

/**
 * The rule simulation with a precision target (issue 17, point 2), over a seeded history whose answer is
 * worked out by hand. From 4 January to 30 April 2027, 10 customers a day were invited at noon (one event
 * each, all scheduled and sent); every second one answered, 10 and 0 taking turns. So: 10 events a day, a
 * response rate of 0.5, an NPS spread of exactly 100. For ±25 a month needs (1.96 × 100 / 25)² = 61.5 → 62
 * answers; at 100 % a day brings 10 × 0.5 = 5. On the first day of a month nothing is in hand, so the rate
 * aims at 62 answers by two thirds of the month: February (28 days, 19 days to aim) 100 × 62 / (5 × 19) =
 * 65.27 %; April (30 days, 20) 62 %.
 */
describe('rule simulation: what a precision target would have sent', function () {
  this.timeout(180_000);
  const ctx = withTestContext();
  const now = new Date('2027-05-01T12:00:00Z');
  const key = 'delivery-nps';

  before(async () => {
    await ctx.api
      .post('/api/v1/surveys')
      .send({ key, touchpoint: 'delivery', metric: 'nps', status: 'active', rules: { cooldown_after_invitation_days: null, cooldown_after_response_days: null } })
      .expect(201);
    const { reporting_time_zone: tz } = await getSettings(ctx.deps.db);
    let answered = 0;
    for (let at = new Date('2027-01-04T12:00:00Z'); at < now; at = new Date(at.getTime() + DAY)) {
      ctx.clock.set(at);
      for (let k = 0; k < 10; k++) {
        const seeded = await seedInvitation(ctx, { surveyKey: key, state: 'sent', sentAt: at, transactionId: `${at.toISOString().slice(0, 10)}-${k}` });
        if (k % 2 === 0) {
          const score = answered++ % 2 === 0 ? 10 : 0;
          await ctx.deps.db.transaction((trx) =>
            storeAnswer(trx, { survey_id: seeded.survey.id, invitation_id: seeded.invitationId, customer_id: seeded.customerId, score, channel: 'email', answered_at: new Date(at.getTime() + HOUR) }, tz),
          );
        }
      }
    }
    ctx.clock.set(now);
  });

  it('without a target: no precision part, and the replay matches what happened', async () => {
    const report = await simulateRules(ctx.deps.db, key, {}, now);
    expect(report.precision).to.equal(null);
    expect(report.totals.changed).to.equal(0);
    expect(report.surveys[0].actual.invitations).to.equal(900);
  });

  it('with ±25 a month: the rates worked out by hand, fewer invitations, every whole month within its margin', async () => {
    const report = await simulateRules(ctx.deps.db, key, { survey: { precision_target: { margin: 25, period: 'month' } } }, now);
    const precision = report.precision!;
    const month = (label: string) => precision.periods.find((p) => p.period === label)!;
    expect(month('February 2027').firstRate).to.equal(65.27);
    expect(month('April 2027').firstRate).to.equal(62);
    // Front-loaded: by the end of each month the answers are in reach, and the rate has dropped.
    for (const label of ['February 2027', 'March 2027', 'April 2027']) {
      const row = month(label);
      expect(row.lastRate!, label).to.be.below(row.firstRate!);
      expect(row.met, `${label}: ±${row.expectedMargin} from ${row.expectedResponses} answers`).to.equal(true);
      expect(row.expectedResponses, label).to.be.at.least(62);
      expect(row.simulatedInvitations, label).to.be.below(row.actualInvitations);
    }
    const simulated = report.surveys[0].simulated.invitations;
    expect(simulated).to.be.below(900);
    expect(precision.spared).to.deep.equal({ invitations: 900 - simulated, customers: 900 - simulated });
    // The events the target leaves out say why.
    const example = report.examples.find((e) => e.simulated === 'suppressed: sampled_out')!;
    expect(example.detail).to.match(/^sampled_out: the ±25 target for (February|March|April) 2027 (is met at a [\d.]+ % sample|is met by the answers in hand)/);
  });

  it('tries a target on the survey that has none, without saving it', async () => {
    const survey = await ctx.api.get(`/api/v1/surveys/${key}`).expect(200);
    expect(survey.body.precision_target).to.equal(null);
  });

  describe('on the simulation page', () => {
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;|&#39;/g, "'").replace(/\s+/g, ' ');
    const today = { sample_rate: '100', send_delay_minutes: '0', cooldown_after_invitation_days: '', cooldown_after_response_days: '', quiet_hours_mode: 'global' };

    it('replays the target posted with the form and says how many customers it spares', async () => {
      const { agent, csrf } = await ctx.signIn('editor');
      const expected = await simulateRules(ctx.deps.db, key, { survey: { precision_target: { margin: 25, period: 'month' } } }, now);
      const spared = expected.precision!.spared;
      const page = text((await agent.post(`/surveys/${key}/simulate`).type('form').send({ _csrf: csrf, ...today, precision_margin: '25', precision_period: 'month', precision_segment: '' }).expect(200)).text);
      expect(page).to.include('What the precision target would have done');
      expect(page).to.include(`It would have sent ${spared.invitations} invitations fewer than the rules in force, sparing ${spared.customers} customers.`);
      expect(page).to.match(/February 2027 280 → \d+ 6\d ±2\d(\.\d)? met 65\.27 % → 0 %/);
      expect(page).to.include("the precision target's margin: off → 25");
    });

    it('names a margin the metric cannot have, in German for a German reader', async () => {
      const signedIn = await ctx.signIn('editor');
      await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
      const res = await signedIn.agent.post(`/surveys/${key}/simulate`).type('form').send({ _csrf: signedIn.csrf, ...today, precision_margin: '60', precision_period: 'month' }).expect(422);
      expect(text(res.text)).to.include('muss zwischen 1 und 50 NPS-Punkten liegen');
      const ok = text((await signedIn.agent.post(`/surveys/${key}/simulate`).type('form').send({ _csrf: signedIn.csrf, ...today, precision_margin: '25', precision_period: 'month' }).expect(200)).text);
      expect(ok).to.include('Was das Präzisionsziel bewirkt hätte');
      expect(ok).to.match(/Februar 2027 280 → \d+/);
    });
  });
});
