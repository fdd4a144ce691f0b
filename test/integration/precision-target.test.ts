import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { getSettings } from '../../server/settings/service.ts';
import { sampleBucket } from '../../server/eligibility/rules.ts';
import { refreshDueSampleRates } from '../../server/precision/service.ts';

/**
 * A precision target through the real path (issue 17): the survey takes it by the API, the rate is worked
 * out from the history in the database, and events are sampled in or out by it, saying why.
 *
 * History (now is 10 May 2027, 12:00 UTC): on each of the 27 days from 30 to 4 days ago, 5 customers in
 * region north and 5 in south were invited; 3 of north answer (10, 9, 6) and 1 of south (9 on even days,
 * 3 on odd ones), an hour later. Worked out by hand (python3):
 * - events a day: 250 in the last 28 days / 28 = 8.93; none held back by cooldowns; response rate 108/270 = 0.4;
 * - NPS spread over 108 scores (68 promoters, 40 detractors): σ = 96.58;
 * - May so far: 24 answers, and 24 invitations sent in the last 7 days still open (× 0.4 = 9.6 on their way);
 * - ±25: n = (1.96 × 96.58 / 25)² = 57.3 → 58 needed, 24.4 missing, 12 days to two thirds of May at
 *   8.93 × 0.4 = 3.571 answers a day at 100 % → 56.94 %.
 * - per region, ±35, after the tests before it sent three more north events today (one of them scheduled):
 *   north needs 28 (σ 94.28) and has 18 + 9 × 0.6 = 23.4; 128 events / 28 days × 0.6 × 12 days → 4.6 missing
 *   at 13.98 %; south has 27 scores (fewer than 30: the widest spread, 100) so needs 32, has 6 + 16 × 0.2,
 *   and even 100 % falls short. The survey as a whole needs (1.96 × 96.58 / 35)² → 30 and has 24 + 25 × 0.4.
 */
describe('precision target: events sampled by the rate the target needs', function () {
  this.timeout(120_000);
  const ctx = withTestContext();
  const now = new Date('2027-05-10T12:00:00Z');
  const key = 'delivery-nps';
  /** A transaction id whose sample bucket is below (`in`) or at or above (`out`) the rate. */
  const transactionFor = (rate: number, side: 'in' | 'out', prefix: string) => {
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      const bucket = sampleBucket(key, id);
      if (side === 'in' ? bucket < rate : bucket >= rate) return { id, bucket };
    }
  };
  const send = (transactionId: string, region = 'north', status = 202) =>
    ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'delivery', transaction_id: transactionId, customer: { email: `${transactionId}@example.com` }, properties: { region } })
      .expect(status);

  before(async () => {
    await ctx.api
      .post('/api/v1/surveys')
      .send({ key, touchpoint: 'delivery', metric: 'nps', status: 'active', rules: { cooldown_after_invitation_days: null, cooldown_after_response_days: null } })
      .expect(201);
    const { reporting_time_zone: tz } = await getSettings(ctx.deps.db);
    for (let day = 30; day >= 4; day--) {
      const at = new Date(now.getTime() - day * DAY);
      ctx.clock.set(at);
      for (const [region, scores] of [['north', [10, 9, 6]], ['south', [day % 2 === 0 ? 9 : 3]]] as const) {
        for (let k = 0; k < 5; k++) {
          const seeded = await seedInvitation(ctx, { surveyKey: key, state: 'sent', sentAt: at, properties: { region } });
          if (k < scores.length) {
            await ctx.deps.db.transaction((trx) =>
              storeAnswer(trx, { survey_id: seeded.survey.id, invitation_id: seeded.invitationId, customer_id: seeded.customerId, score: scores[k], channel: 'email', answered_at: new Date(at.getTime() + HOUR), properties: { region } }, tz),
            );
          }
        }
      }
    }
    ctx.clock.set(now);
  });

  it('refuses a margin the metric cannot have, naming the field', async () => {
    const res = await ctx.api.patch(`/api/v1/surveys/${key}`).send({ precision_target: { margin: 80, period: 'month' } }).expect(422);
    expect(res.body.errors).to.deep.include({ field: 'precision_target.margin', message: 'must be from 1 to 50 NPS points' });
    const period = await ctx.api.patch(`/api/v1/surveys/${key}`).send({ precision_target: { margin: 5, period: 'year' } }).expect(422);
    expect(period.body.errors[0]).to.include({ field: 'precision_target.period', message: 'must be week, month or quarter' });
  });

  it('samples at the rate the target needs (56.94 % for ±25 in May), and names the target when it samples out', async () => {
    const saved = await ctx.api.patch(`/api/v1/surveys/${key}`).send({ precision_target: { margin: 25, period: 'month' } }).expect(200);
    expect(saved.body.precision_target).to.deep.equal({ margin: 25, period: 'month' });
    const out = transactionFor(56.94, 'out', 'whole');
    const refused = await send(out.id);
    expect(refused.body).to.include({ status: 'suppressed', reason: 'sampled_out' });
    expect(refused.body.detail).to.equal(`sampled_out: the ±25 target for May 2027 is met at a 56.94 % sample; this transaction falls at ${out.bucket.toFixed(1)} %`);
    const kept = await send(transactionFor(56.94, 'in', 'whole').id);
    expect(kept.body.status).to.equal('scheduled');
    // The same event again: the same decision.
    const again = await send(out.id, 'north', 200);
    expect(again.body).to.deep.equal(refused.body);
    const stored = await ctx.deps.db('sample_rates').where({ segment: '' }).first();
    expect(stored).to.include({ computed_for: '2027-05-10', period_start: '2027-05-01', state: 'on_track' });
    expect(Number(stored.rate)).to.equal(56.94);
  });

  it('asks nobody more once the answers in hand and on their way reach the target', async () => {
    await ctx.api.patch(`/api/v1/surveys/${key}`).send({ precision_target: { margin: 40, period: 'month' } }).expect(200);
    const res = await send(transactionFor(1, 'in', 'met').id);
    expect(res.body).to.include({ status: 'suppressed', reason: 'sampled_out' });
    expect(res.body.detail).to.match(/^sampled_out: the ±40 target for May 2027 is met by the answers in hand and on their way; no more invitations this period/);
  });

  it('per region: the region short of its target is asked more than the one within reach, a new region at the survey\'s rate', async () => {
    await ctx.api.patch(`/api/v1/surveys/${key}`).send({ precision_target: { margin: 35, period: 'month', segment: 'region' } }).expect(200);
    const out = transactionFor(13.98, 'out', 'north');
    const north = await send(out.id, 'north');
    expect(north.body.detail).to.equal(`sampled_out: the ±35 target for May 2027 (region north) is met at a 13.98 % sample; this transaction falls at ${out.bucket.toFixed(1)} %`);
    // South falls short even at 100 %: every event is asked.
    const south = await send(out.id.replace('north', 'south-x'), 'south');
    expect(south.body.status).to.equal('scheduled');
    const rates = Object.fromEntries((await ctx.deps.db('sample_rates').select('segment', 'rate', 'state')).map((r) => [r.segment, `${Number(r.rate)} ${r.state}`]));
    expect(rates).to.deep.equal({ '': '0 met', north: '13.98 on_track', south: '100 short' });
    const east = await send(transactionFor(99, 'out', 'east').id, 'east');
    expect(east.body.status).to.equal('scheduled');
  });

  it('works the rates out again each day (the worker\'s pass), and never above the survey\'s own rate', async () => {
    await ctx.api.patch(`/api/v1/surveys/${key}`).send({ sample_rate: 50, precision_target: { margin: 35, period: 'month', segment: 'region' } }).expect(200);
    ctx.clock.set(new Date(now.getTime() + DAY));
    await refreshDueSampleRates(ctx.deps);
    const rows = await ctx.deps.db('sample_rates').orderBy('segment').select('segment', 'rate', 'state', 'computed_for');
    expect(rows.every((r) => r.computed_for === '2027-05-11')).to.equal(true);
    const rates = Object.fromEntries(rows.map((r) => [r.segment, [Number(r.rate), r.state]]));
    // East has one event and no answers yet: it learns at the survey's rate, now 50 %.
    expect(rates).to.deep.include({ '': [0, 'met'], east: [50, 'learning'], south: [50, 'short'] });
    expect(rates.north[1]).to.equal('on_track');
    expect(rates.north[0]).to.be.within(0.01, 50);
    const south = transactionFor(50, 'out', 'south-capped');
    const res = await send(south.id, 'south');
    expect(res.body.detail).to.equal(`sampled_out: sample rate 50 %, the most the survey allows; the ±35 target for May 2027 (region south) needs more; this transaction falls at ${south.bucket.toFixed(1)} %`);
  });

  describe('on the survey page', () => {
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;|&#39;/g, "'").replace(/\s+/g, ' ');

    it('shows the target, the rate in force per region, and the margin each month reached', async () => {
      const { agent } = await ctx.signIn('editor');
      const page = text((await agent.get(`/surveys/${key}`).expect(200)).text);
      expect(page).to.include('NPS within ±35 in every month, for each value of region.');
      expect(page).to.match(/south 50 % short \d+ → \d+ of 32 /);
      expect(page).to.match(/east 50 % learning/);
      expect(page).to.include('How the rate is worked out');
      // April holds 21 days of history: 84 answers, 53 promoters and 31 detractors: NPS 26.19, margin 20.64 (python3), within ±35.
      expect(page).to.include('April 2027 All 84 26 ±20.6 met');
      expect(page).to.match(/May 2027 \(so far\) All \d+/);
    });

    /** An editor who chose German on the account page. */
    const germanEditor = async () => {
      const signedIn = await ctx.signIn('editor');
      await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
      return signedIn;
    };

    it('reads in German for a German reader', async () => {
      const { agent } = await germanEditor();
      const page = text((await agent.get(`/surveys/${key}`).expect(200)).text);
      expect(page).to.include('NPS auf ±35 genau, in jedem Monat, für jeden Wert von region.');
      expect(page).to.include('Mai 2027 (bisher)');
      expect(page).to.match(/south 50 % zu knapp/);
    });

    it('sets, changes and clears the target through the form, naming a bad margin in the reader\'s language', async () => {
      const { agent, csrf } = await ctx.signIn('editor');
      const form = {
        _csrf: csrf,
        question_en: 'How likely are you to recommend us?',
        question_de: '',
        send_delay_minutes: '0',
        sample_rate: '100',
        status: 'active',
        default_locale: 'en',
        channel: 'email',
        reminder_after_days: '',
        cooldown_after_invitation_days: '',
        cooldown_after_response_days: '',
        quiet_hours_mode: 'global',
      };
      await agent.post(`/surveys/${key}`).type('form').send({ ...form, precision_margin: '4.5', precision_period: 'quarter', precision_segment: '' }).expect(303);
      let saved = await ctx.api.get(`/api/v1/surveys/${key}`).expect(200);
      expect(saved.body.precision_target).to.deep.equal({ margin: 4.5, period: 'quarter' });
      const german = await germanEditor();
      const bad = await german.agent.post(`/surveys/${key}`).type('form').send({ ...form, _csrf: german.csrf, precision_margin: '80', precision_period: 'month' }).expect(422);
      expect(text(bad.text)).to.include('muss zwischen 1 und 50 NPS-Punkten liegen');
      await agent.post(`/surveys/${key}`).type('form').send({ ...form, precision_margin: '', precision_period: 'month', precision_segment: '' }).expect(303);
      saved = await ctx.api.get(`/api/v1/surveys/${key}`).expect(200);
      expect(saved.body.precision_target).to.equal(null);
    });
  });
});
