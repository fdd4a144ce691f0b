import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { storeAnswer } from '../helpers/invitations.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { runUntilDone } from '../../server/sending/worker.ts';

/**
 * Issue 17, point 3: the survey-fatigue page over a history built through the real path (events through
 * the API with the contact rules off, the worker sending them, answers stored as the answer page does).
 *
 * Two touchpoints, each with two cohorts of customers: cohort A (200) invited on days 0, 10 and 20,
 * cohort B (100) on days 0 and 50; half of each in region north, half in south.
 * - delivery, a planted decline: customers with at most one earlier invitation in 90 days answer 40 %,
 *   those with two 10 % (exactly, in either region). By earlier invitations: none 120/300, one 120/300,
 *   two 20/200, so the cap the data supports is 2 in 90 days. By days since the previous one: none in 90
 *   days 120/300, 30–59 days 40/100, 7–13 days 100/400, so the cooldown it supports is 30 days.
 * - support, flat: about 30 % everywhere (95/300, 94/300, 61/200; python3 gives the trend test p = 0.79);
 *   the page must find nothing.
 */
describe('the survey-fatigue page', function () {
  this.timeout(180_000);
  const ctx = withTestContext({ env: { MAIL_RATE_PER_SECOND: '10000' } });
  const start = new Date('2026-03-02T10:00:00Z');
  let editor: supertest.Agent;
  let german: supertest.Agent;
  /** The page's markup with Handlebars' escapes read back. */
  const unescaped = (html: string) => html.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const text = (html: string) => unescaped(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

  /** Whether the invitation of customer `i` of a cohort in this round is answered. */
  type Answering = (i: number, earlier: number) => boolean;
  const planted: Answering = (i, earlier) => (earlier <= 1 ? (i >> 1) % 5 < 2 : (i >> 1) % 10 < 1);
  const flat: Answering = (i, earlier) => (i * 7 + earlier * 5) % 97 < 29;

  const rounds: { day: number; cohort: 'a' | 'b'; earlier: number }[] = [
    { day: 0, cohort: 'a', earlier: 0 },
    { day: 0, cohort: 'b', earlier: 0 },
    { day: 10, cohort: 'a', earlier: 1 },
    { day: 20, cohort: 'a', earlier: 2 },
    { day: 50, cohort: 'b', earlier: 1 },
  ];
  const cohortSize = { a: 200, b: 100 };

  before(async () => {
    const { db } = ctx.deps;
    const settings = await getSettings(db);
    await updateSettings(db, { contact_rules: { ...settings.contact_rules, cooldown_after_invitation_days: null, cooldown_after_response_days: null, cap: null, quiet_hours: null } });
    const noRules = { cooldown_after_invitation_days: null, cooldown_after_response_days: null };
    for (const [key, touchpoint] of [['delivery-nps', 'delivery'], ['support-csat', 'support']]) {
      await ctx.api.post('/api/v1/surveys').send({ key, touchpoint, metric: key.endsWith('nps') ? 'nps' : 'csat', status: 'active', send_delay_minutes: 0, quiet_hours: null, rules: noRules }).expect(201);
    }
    for (const day of [...new Set(rounds.map((r) => r.day))]) {
      ctx.clock.set(new Date(start.getTime() + day * DAY));
      const answering: { invitation: number; answered: boolean }[] = [];
      for (const [touchpoint, answers] of [['delivery', planted], ['support', flat]] as const) {
        const events = rounds
          .filter((r) => r.day === day)
          .flatMap((r) =>
            Array.from({ length: cohortSize[r.cohort] }, (_, i) => ({
              event: {
                touchpoint,
                transaction_id: `${touchpoint}-${r.cohort}-${i}-${day}`,
                customer: { id: `${touchpoint}-${r.cohort}-${i}`, email: `${touchpoint}-${r.cohort}-${i}@example.com` },
                properties: { region: i % 2 ? 'north' : 'south' },
              },
              answered: answers(i, r.earlier),
            })),
          );
        const res = await ctx.api.post('/api/v1/events/batch').send({ events: events.map((e) => e.event) }).expect(200);
        const results = res.body.results as { status: string; invitation_id: number }[];
        expect(results.every((r) => r.status === 'scheduled'), `day ${day}: every ${touchpoint} event scheduled`).to.equal(true);
        results.forEach((r, i) => answering.push({ invitation: r.invitation_id, answered: events[i].answered }));
      }
      const sent = await runUntilDone(ctx.deps);
      expect(sent.sent, `day ${day}: every invitation sent`).to.have.length(answering.length);
      const invitations = new Map((await db('invitations').whereIn('id', answering.map((a) => a.invitation)).select('id', 'survey_id', 'customer_id')).map((r) => [Number(r.id), r]));
      await db.transaction(async (trx) => {
        for (const a of answering.filter((a) => a.answered)) {
          const inv = invitations.get(a.invitation)!;
          await storeAnswer(trx, { survey_id: inv.survey_id, invitation_id: a.invitation, customer_id: inv.customer_id, score: 8, channel: 'email', answered_at: new Date(start.getTime() + day * DAY + HOUR) }, 'UTC');
        }
      });
    }
    ctx.clock.set(new Date(start.getTime() + 55 * DAY));
    ({ agent: editor } = await ctx.signIn('editor'));
    const de = await ctx.signIn('editor');
    await ctx.deps.db('users').where({ email: de.email }).update({ locale: 'de' });
    german = de.agent;
  });

  it('finds the planted decline, the cap and the cooldown the data supports, with links into the simulation', async () => {
    const html = (await editor.get('/fatigue/delivery').expect(200)).text;
    const words = text(html);
    expect(words).to.match(/800 invitations sent, 260 answered \(3[23] %\)\./);
    expect(words).to.contain('Response rate falls from 40 % to 10 % as customers get more invitations (trend test, p < 0.001).');
    expect(words).to.contain('The data supports a cap of at most 2 in 90 days: customers who already had 2 earlier invitations in the previous 90 days answered 10 %, significantly below the 40 % of those who had none');
    expect(unescaped(html)).to.contain('href="/surveys/delivery-nps/simulate?global_cap_count=2&global_cap_window_days=90"');
    expect(words).to.contain('Response rate falls from 40 % to 25 % the sooner customers are invited again (trend test, p < 0.001).');
    expect(words).to.contain('The data supports a cooldown of 30 days after an invitation: customers invited again after 7–13 days answered 25 %');
    expect(unescaped(html)).to.contain('href="/surveys/delivery-nps/simulate?global_cooldown_after_invitation_days=30"');
    // The tables: each group with its counts, rate and band (Wilson, 95 %).
    expect(words).to.contain('none 300 120 40 % 35–46 %');
    expect(words).to.contain('2 200 20 10 % 7–15 %');
    expect(words).to.contain('7–13 days 400 100 25 % 21–29 %');
    expect(words).to.contain('none in the previous 90 days 300 120 40 % 35–46 %');
    // Groups never seen are shown, too small to read.
    expect(words).to.match(/5 or more 0 0 – \(too few to read\) –/);
    expect(html).to.contain('<caption class="visually-hidden">Response rate by how many invitations the customer had in the 90 days before, with its 95 % band</caption>');
    expect(html).to.contain('<th scope="col">95 % band</th>');
  });

  it('opens the simulation with the advice filled in', async () => {
    const capped = (await editor.get('/surveys/delivery-nps/simulate?global_cap_count=2&global_cap_window_days=90').expect(200)).text;
    expect(capped).to.match(/name="global_cap_count" type="number" value="2"/);
    expect(capped).to.match(/name="global_cap_window_days" type="number" value="90"/);
    const cooled = (await editor.get('/surveys/delivery-nps/simulate?global_cooldown_after_invitation_days=30').expect(200)).text;
    expect(cooled).to.match(/name="global_cooldown_after_invitation_days" type="number" value="30"/);
    // Without a query the form shows today's rules (off, as this test set them).
    expect((await editor.get('/surveys/delivery-nps/simulate').expect(200)).text).to.match(/name="global_cap_count" type="number" value=""/);
  });

  it('finds nothing in the flat data set', async () => {
    const html = (await editor.get('/fatigue/support').expect(200)).text;
    const words = text(html);
    expect(words).to.contain('No significant decline (trend test, p = 0.79).');
    expect(words).to.contain('800 invitations sent, 250 answered');
    expect(words).not.to.contain('falls from');
    expect(words).not.to.contain('The data supports');
    expect(html).not.to.contain('/simulate?');
  });

  it('splits by a segment, each tested on its own', async () => {
    const html = (await editor.get('/fatigue/delivery?segment=region').expect(200)).text;
    const words = text(html);
    expect(html).to.contain('<option value="region" selected>region</option>');
    expect(words).to.contain('By segment region');
    // Each region holds half of every group: 60/150, 60/150, 10/100; its decline found (python3: p = 3.9e-6).
    expect(words).to.match(/north 400 130 3[23] % \d+–\d+ % yes \(p < 0\.001\)/);
    expect(words).to.match(/south 400 130 3[23] % \d+–\d+ % yes \(p < 0\.001\)/);
    // Flat in each region too (python3: p = 0.85).
    const support = text((await editor.get('/fatigue/support?segment=region').expect(200)).text);
    expect(support).to.match(/north 400 125 31 % \d+–\d+ % no \(p = 0\.85\)/);
  });

  it('shows every touchpoint together, and refuses what it cannot read', async () => {
    const html = (await editor.get('/fatigue?days=90').expect(200)).text;
    expect(text(html)).to.contain('1,600 invitations sent');
    expect(unescaped(html)).to.contain('<a href="/fatigue?days=90" aria-current="page">All touchpoints</a>');
    expect(unescaped(html)).to.contain('href="/fatigue/delivery?days=90"');
    expect(html).to.contain('<a href="/fatigue" aria-current="page">Survey fatigue</a>');
    await editor.get('/fatigue/nowhere').expect(404);
    await editor.get('/fatigue?days=7').expect(422);
    await editor.get('/fatigue?segment=no%20such').expect(422);
    const { agent: viewer } = await ctx.signIn('viewer');
    await viewer.get('/fatigue').expect(403);
    await supertest(ctx.app).get('/fatigue').expect(303);
  });

  it('speaks German', async () => {
    const html = (await german.get('/fatigue/delivery').expect(200)).text;
    const words = text(html);
    expect(html).to.contain('<html lang="de"');
    expect(html).to.contain('<h1>Umfragemüdigkeit: delivery</h1>');
    expect(words).to.contain('800 Einladungen versandt, 260 beantwortet');
    expect(words).to.contain('Die Antwortquote sinkt von 40 % auf 10 %, je mehr Einladungen Kunden bekommen (Trendtest, p < 0,001).');
    expect(words).to.contain('Die Daten stützen eine Obergrenze von höchstens 2 in 90 Tagen');
    expect(words).to.contain('Die Daten stützen eine Sperrfrist von 30 Tagen nach einer Einladung');
    expect(words).to.contain('Wie die Befunde entschieden werden');
    expect(words).not.to.contain('Response rate');
    const flatGerman = text((await german.get('/fatigue/support').expect(200)).text);
    expect(flatGerman).to.contain('Kein signifikanter Rückgang (Trendtest, p = 0,79).');
  });
});
