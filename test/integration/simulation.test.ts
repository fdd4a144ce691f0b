import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { toCount } from '../../server/db/dialect.ts';
import { getSettings, type GlobalRules } from '../../server/settings/service.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { simulateRules, type SimulationReport } from '../../server/simulation/service.ts';

/**
 * Seeded history: for each customer, a delivery event every 10 days from day 0
 * to day 80 (9 events), at 10:00 UTC (inside the default quiet hours), under
 * the default rules: global cooldown 30 days, cap 3 in 90 days, the survey's
 * own cooldown 90 days. What happened: day 0 invited, days 10 and 20
 * cooldown_global, days 30–80 cooldown_survey.
 */
describe('simulation: proposed rules replayed over the last 90 days of events', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let editor: supertest.Agent;
  let csrf: string;
  let global: GlobalRules;
  const start = new Date('2026-08-01T10:00:00Z');
  const count = async (table: string) => toCount((await ctx.deps.db(table).count({ n: '*' }).first())?.n);
  const text = (html: string) => html.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');
  const row = (report: SimulationReport, touchpoint: string) => report.surveys.find((s) => s.touchpoint === touchpoint)!;
  const simulate = (proposed: Parameters<typeof simulateRules>[2]) => simulateRules(ctx.deps.db, 'delivery-nps', proposed, ctx.clock.now());

  before(async () => {
    ({ agent: editor, csrf } = await ctx.signIn('editor'));
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    await ctx.api.post('/api/v1/surveys').send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }).expect(201);
    global = (await getSettings(ctx.deps.db)).contact_rules;
    // An event long before the window: its invitation is history the replay starts from.
    ctx.clock.set(new Date(start.getTime() - 100 * DAY));
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'old-1', customer: { id: 'old', email: 'old@example.com' } }).expect(202);
    for (let day = 0; day <= 80; day += 10) {
      ctx.clock.set(new Date(start.getTime() + day * DAY));
      for (const who of ['ann', 'bob']) {
        await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: `${who}-${day}`, customer: { id: who, email: `${who}@example.com` } }).expect(202);
      }
      if (day === 0) {
        // Bob answers his invitation the next day.
        const invitation = await ctx.deps.db('invitations').join('customers', 'customers.id', 'invitations.customer_id').where('customers.external_id', 'bob').first('invitations.*');
        await ctx.deps.db.transaction((trx) =>
          insertResponse(trx, { survey_id: invitation.survey_id, invitation_id: invitation.id, customer_id: invitation.customer_id, score: 9, channel: 'email', answered_at: new Date(start.getTime() + DAY) }, 'UTC'),
        );
      }
    }
    ctx.clock.set(new Date(start.getTime() + 85 * DAY));
  });

  it('reproduces what happened under today\'s rules, and writes nothing', async () => {
    const before = [await count('events'), await count('invitations'), await count('responses')];
    const report = await simulate({});
    expect(report.events).to.equal(18);
    expect(report.totals.changed).to.equal(0);
    const delivery = row(report, 'delivery');
    expect(delivery).to.include({ survey: 'delivery-nps', target: true });
    expect(delivery.actual).to.deep.equal({ events: 18, invitations: 2, suppressed: { cooldown_global: 4, cooldown_survey: 12 } });
    expect(delivery.simulated).to.deep.equal(delivery.actual);
    expect([await count('events'), await count('invitations'), await count('responses')]).to.deep.equal(before);
  });

  it('shows more invitations and global-cooldown suppressions without the survey cooldown', async () => {
    const report = await simulate({ survey: { rules: { cooldown_after_invitation_days: null, cooldown_after_response_days: null } } });
    const delivery = row(report, 'delivery');
    // Days 0, 30 and 60 invite; the rest fall inside the 30-day global cooldown.
    expect(delivery.simulated).to.deep.equal({ events: 18, invitations: 6, suppressed: { cooldown_global: 12 } });
    expect(delivery.changed).to.equal(12);
    expect(report.examples.map((e) => `${e.customer} ${e.received_at.slice(0, 10)} ${e.actual} → ${e.simulated}`)).to.include('ann 2026-08-31 suppressed: cooldown_survey → scheduled');
  });

  it('hits the cap once the cooldowns are off, and sends everything without a cap', async () => {
    const off = { cooldown_after_invitation_days: null, cooldown_after_response_days: null };
    const capped = await simulate({ global: { ...global, cooldown_after_invitation_days: null }, survey: { rules: off } });
    expect(row(capped, 'delivery').simulated).to.deep.equal({ events: 18, invitations: 6, suppressed: { cap_window: 12 } });
    const uncapped = await simulate({ global: { ...global, cooldown_after_invitation_days: null, cap: null }, survey: { rules: off } });
    expect(row(uncapped, 'delivery').simulated).to.deep.equal({ events: 18, invitations: 18, suppressed: {} });
  });

  it('counts an answer only when its invitation would still go out', async () => {
    const rules = { global: { ...global, cooldown_after_invitation_days: null, cap: null, cooldown_after_response_days: 60 }, survey: { rules: { cooldown_after_invitation_days: null, cooldown_after_response_days: null } } };
    const report = await simulate(rules);
    // Ann never answered: 9 invitations. Bob answered on day 1: days 10–60 wait, days 0, 70 and 80 invite.
    expect(row(report, 'delivery').simulated).to.deep.equal({ events: 18, invitations: 12, suppressed: { cooldown_global: 6 } });
    // Sampled at 0 %, the day-0 invitation never goes out, so Bob's answer does not count either.
    const none = await simulate({ ...rules, survey: { ...rules.survey, sample_rate: 0 } });
    expect(row(none, 'delivery').simulated).to.deep.equal({ events: 18, invitations: 0, suppressed: { sampled_out: 18 } });
  });

  it('is a page for editors: today\'s rules in the form, the comparison after posting', async () => {
    const { agent: viewer } = await ctx.signIn('viewer');
    await viewer.get('/surveys/delivery-nps/simulate').expect(403);
    await editor.get('/surveys/nope/simulate').expect(404);
    const form = await editor.get('/surveys/delivery-nps/simulate').expect(200);
    expect(form.text).to.include('name="cooldown_after_invitation_days" type="number" value="90"');
    expect(form.text).to.include('name="global_cap_count" type="number" value="3"');
    expect(form.text).to.include('name="_csrf"');

    const res = await editor
      .post('/surveys/delivery-nps/simulate')
      .type('form')
      .send({ _csrf: csrf, sample_rate: '100', send_delay_minutes: '0', cooldown_after_invitation_days: '', cooldown_after_response_days: '', quiet_hours_mode: 'global' })
      .expect(200);
    const page = text(res.text);
    expect(page).to.include('18 events of 2 customers');
    expect(page).to.include('12 events would have been decided differently');
    expect(page).to.match(/Invitations 2 6 \+4/);
    expect(page).to.match(/No survey: global cooldown 4 12 \+8/);
    expect(page).to.match(/No survey: survey cooldown 12 0 −12/);
    expect(page).to.include("the survey's cooldown after an invitation: 90 → off");
    // The form keeps what was typed.
    expect(res.text).to.include('name="cooldown_after_invitation_days" type="number" value=""');
  });

  it('takes the unsaved values of the survey form (its "try these rules" button) and names bad fields', async () => {
    const edit = await editor.get('/surveys/delivery-nps').expect(200);
    expect(edit.text).to.include('formaction="/surveys/delivery-nps/simulate"');
    const bad = await editor
      .post('/surveys/delivery-nps/simulate')
      .type('form')
      .send({ _csrf: csrf, sample_rate: 'lots', send_delay_minutes: '0', cooldown_after_invitation_days: '-3', quiet_hours_mode: 'global', global_cap_count: '2', global_cap_window_days: '' })
      .expect(422);
    expect(bad.text).to.match(/id="f-sample_rate-error">must be a number/);
    expect(bad.text).to.match(/id="f-cooldown_after_invitation_days-error">must be a whole number/);
    expect(bad.text).to.match(/id="f-global_cap_window_days-error">give both/);
    expect(text(bad.text)).not.to.include('What these rules would have done');
    await supertest(ctx.app).post('/surveys/delivery-nps/simulate').type('form').send({ sample_rate: '5' }).expect((r) => expect([401, 403, 303]).to.include(r.status));
  });

  it('starts from the history before the window', async () => {
    // "old" was invited 100 days before day 0; an event for them on day 85 sees no cooldown from it with 30 days, but does with 200.
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'old-2', customer: { id: 'old', email: 'old@example.com' } }).expect(202);
    ctx.clock.advance(HOUR);
    const today = await simulate({});
    expect(today.totals.changed).to.equal(0);
    const longer = await simulate({ global: { ...global, cooldown_after_invitation_days: 200 } });
    const old = longer.examples.find((e) => e.customer === 'old');
    expect(old).to.include({ actual: 'scheduled', simulated: 'suppressed: cooldown_global' });
    expect(old!.detail).to.match(/^cooldown_global: last invitation 2026-04-23/);
  });
});
