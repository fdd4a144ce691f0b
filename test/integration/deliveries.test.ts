import { expect } from 'chai';
import supertest from 'supertest';
import { seedInvitation, activeSurvey } from '../helpers/invitations.ts';
import { withSmtpTestContext } from '../helpers/smtp.ts';
import { runOnce } from '../../server/delivery/worker.ts';
import { updateSurvey } from '../../server/surveys/service.ts';
import { DAY, HOUR, MINUTE } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';

/** The invitation ids of the log's rows, in page order. */
const listed = (html: string) => [...html.matchAll(/data-invitation="(\d+)"/g)].map((m) => Number(m[1]));
const unescape = (html: string) =>
  html.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const preOf = (html: string, part: string) => unescape(new RegExp(`<pre[^>]*data-part="${part}"[^>]*>([\\s\\S]*?)</pre>`).exec(html)?.[1] ?? '');

describe('delivery log', () => {
  const t = withSmtpTestContext({ env: { MAIL_RATE_PER_SECOND: '1000' } });
  let editor: supertest.Agent;
  beforeEach(async () => {
    editor = (await t.ctx.signIn('editor')).agent;
  });

  it('lists every invitation newest first with survey, customer, state, send time, attempts and last error', async () => {
    const start = t.ctx.clock.now().getTime();
    const older = await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', sendAt: new Date(start - 2 * DAY), state: 'sent', sentAt: new Date(start - 2 * DAY) });
    const sent = await seedInvitation(t.ctx, { surveyKey: 'support-csat', metric: 'csat' });
    const later = await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', sendAt: new Date(start + 3 * HOUR) });
    t.smtp.refuse(sent.email, 451);
    const failedOnce = await runOnce(t.ctx.deps);
    expect(failedOnce.retried).to.deep.equal([sent.invitationId]);

    const res = await editor.get('/deliveries').expect(200);
    expect(listed(res.text)).to.deep.equal([later.invitationId, sent.invitationId, older.invitationId]);
    const row = new RegExp(`<tr data-invitation="${sent.invitationId}">([\\s\\S]*?)</tr>`).exec(res.text)![1];
    expect(row).to.contain('support-csat');
    expect(row).to.contain(sent.email);
    expect(row).to.contain('scheduled');
    expect(row).to.contain('email');
    expect(row).to.contain('23 Nov 2026, 10:00');
    expect(row).to.match(/<td>1<\/td>/);
    expect(row).to.contain('451');
    expect(res.text).to.contain('<th scope="col">Last error</th>');
    expect(res.text).to.contain('class="table-wrap"');
  });

  it('shows times in the reporting time zone', async () => {
    await t.ctx.deps.db('settings').insert({ key: 'reporting_time_zone', value: JSON.stringify('Europe/Berlin') });
    const seeded = await seedInvitation(t.ctx, {});
    const res = await editor.get('/deliveries').expect(200);
    expect(listed(res.text)).to.deep.equal([seeded.invitationId]);
    expect(res.text).to.contain('23 Nov 2026, 11:00 CET');
    expect(res.text).to.contain('Europe/Berlin');
  });

  it('filters by survey, state and date range, with the filters in the URL', async () => {
    const start = t.ctx.clock.now().getTime();
    const a = await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', state: 'sent', sentAt: new Date(start - 5 * DAY), sendAt: new Date(start - 5 * DAY) });
    const b = await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', sendAt: new Date(start + DAY) });
    const c = await seedInvitation(t.ctx, { surveyKey: 'support-csat', metric: 'csat', state: 'sent', sentAt: new Date(start - DAY) });

    expect(listed((await editor.get('/deliveries?survey=delivery-nps').expect(200)).text)).to.deep.equal([b.invitationId, a.invitationId]);
    expect(listed((await editor.get('/deliveries?state=sent').expect(200)).text)).to.deep.equal([c.invitationId, a.invitationId]);
    expect(listed((await editor.get('/deliveries?survey=delivery-nps&state=sent').expect(200)).text)).to.deep.equal([a.invitationId]);
    // 2026-11-18 is a's day, 2026-11-22 c's, 2026-11-24 b's.
    expect(listed((await editor.get('/deliveries?from=2026-11-18&to=2026-11-18').expect(200)).text)).to.deep.equal([a.invitationId]);
    expect(listed((await editor.get('/deliveries?from=2026-11-19').expect(200)).text)).to.deep.equal([b.invitationId, c.invitationId]);
    expect(listed((await editor.get('/deliveries?to=2026-11-22').expect(200)).text)).to.deep.equal([c.invitationId, a.invitationId]);
    const filtered = await editor.get('/deliveries?survey=delivery-nps&state=scheduled&from=2026-11-01&to=2026-11-30').expect(200);
    expect(listed(filtered.text)).to.deep.equal([b.invitationId]);
    // The form shows the filters it was given.
    expect(filtered.text).to.match(/<option value="delivery-nps" selected>/);
    expect(filtered.text).to.match(/<option value="scheduled" selected>/);
    expect(filtered.text).to.contain('value="2026-11-01"');
    expect(filtered.text).to.contain('method="get" action="/deliveries"');
  });

  it('refuses bad filters with 422 naming the field', async () => {
    const state = await editor.get('/deliveries?state=bogus').set('Accept', 'application/json').expect(422);
    expect(state.body.errors[0].field).to.equal('state');
    const from = await editor.get('/deliveries?from=2026-13-45').set('Accept', 'application/json').expect(422);
    expect(from.body.errors[0].field).to.equal('from');
    for (const bad of ['0', 'abc', '1.5', '99999999']) {
      const page = await editor.get(`/deliveries?page=${bad}`).set('Accept', 'application/json').expect(422);
      expect(page.body.errors[0].field, bad).to.equal('page');
    }
    await editor.get('/deliveries?page=').expect(200);
    const order = await editor.get('/deliveries?from=2026-11-20&to=2026-11-10').set('Accept', 'application/json').expect(422);
    expect(order.body.errors[0].field).to.equal('to');
    const survey = await editor.get('/deliveries?survey=no-such-survey').set('Accept', 'application/json').expect(422);
    expect(survey.body.errors[0].field).to.equal('survey');
    await editor.get('/deliveries?state=a&state=b').expect(422);
    await editor.get('/deliveries/abc').expect(404);
    await editor.get('/deliveries/999999').expect(404);
  });

  it('pages 50 at a time, newest first, keeping the filters', async () => {
    const start = t.ctx.clock.now().getTime();
    const ids: number[] = [];
    for (let i = 0; i < 53; i++) ids.push((await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', sendAt: new Date(start + i * MINUTE) })).invitationId);
    await seedInvitation(t.ctx, { surveyKey: 'support-csat', metric: 'csat' });
    const newestFirst = [...ids].reverse();

    const first = await editor.get('/deliveries?survey=delivery-nps').expect(200);
    expect(listed(first.text)).to.deep.equal(newestFirst.slice(0, 50));
    expect(first.text).to.contain('Invitations 1–50 of 53');
    const next = unescape(/href="\/deliveries(\?[^"]*)" rel="next"/.exec(first.text)![1]);
    expect(next).to.equal('?survey=delivery-nps&page=2');
    const second = await editor.get(`/deliveries${next}`).expect(200);
    expect(listed(second.text)).to.deep.equal(newestFirst.slice(50));
    expect(second.text).not.to.contain('rel="next"');
    expect(second.text).to.contain('rel="prev"');
    expect(listed((await editor.get('/deliveries?survey=delivery-nps&page=9').expect(200)).text)).to.deep.equal([]);
  });

  it('says so past the last page, with a link to the last page, filters kept', async () => {
    const start = t.ctx.clock.now().getTime();
    for (let i = 0; i < 53; i++) await seedInvitation(t.ctx, { surveyKey: 'delivery-nps', sendAt: new Date(start + i * MINUTE) });
    await seedInvitation(t.ctx, { surveyKey: 'support-csat', metric: 'csat' });

    const past = await editor.get('/deliveries?survey=delivery-nps&page=9').expect(200);
    const text = unescape(past.text);
    expect(listed(past.text)).to.deep.equal([]);
    expect(text).to.contain('There is no page 9: the 53 invitations fill 2 pages.');
    expect(text).to.contain('<a href="/deliveries?survey=delivery-nps&page=2">Go to page 2</a>');
    expect(text).not.to.match(/Invitations \d+–\d+ of/);
    expect(text).not.to.contain('No invitations match');
    expect(text).not.to.contain('rel="next"');
    expect(/href="\/deliveries(\?[^"]*)" rel="prev"/.exec(text)?.[1]).to.equal('?survey=delivery-nps&page=2');

    // One page in all: the link goes to the unnumbered first page.
    const single = unescape((await editor.get('/deliveries?survey=support-csat&page=3').expect(200)).text);
    expect(single).to.contain('There is no page 3: the 1 invitation fills 1 page.');
    expect(single).to.contain('<a href="/deliveries?survey=support-csat">Go to page 1</a>');
  });

  it('shows one invitation: fields, event, decision, clicks, response and the email as it was sent', async () => {
    const seeded = await seedInvitation(t.ctx, { properties: { region: 'north', agent: 'Kim' } });
    await t.ctx.deps.db('events').where({ id: seeded.eventId }).update({ reason_detail: 'send time moved: quiet hours 09:00–20:00 UTC' });
    expect((await runOnce(t.ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    const [mail] = t.smtp.messages.filter((m) => m.to.includes(seeded.email));

    // A scanner opens the trap and a score link at once; later the customer answers.
    const http = supertest(t.ctx.app);
    await http.get(`/r/${seeded.token}/t`).set('User-Agent', 'ScannerBot/1.0');
    t.ctx.clock.advance(HOUR);
    const page = await http.get(`/r/${seeded.token}?score=9`).expect(200);
    const view = /name="view" value="(\d+)"/.exec(page.text)?.[1];
    await http.post(`/r/${seeded.token}`).type('form').send({ score: '9', comment: 'Fast and friendly', trigger: 'nojs', view }).expect(200);

    const res = await editor.get(`/deliveries/${seeded.invitationId}`).expect(200);
    const event = await t.ctx.deps.db('events').where({ id: seeded.eventId }).first();
    expect(res.text).to.contain(event.transaction_id);
    expect(res.text).to.contain('<th scope="row">agent</th><td>Kim</td>');
    expect(res.text).to.contain('quiet hours 09:00–20:00 UTC');
    expect(res.text).to.contain(seeded.email);
    expect(res.text).to.contain('data-click="trap"');
    expect(res.text).to.contain('ScannerBot/1.0');
    expect(res.text).to.contain('data-click="open"');
    expect(res.text).to.contain('Fast and friendly');
    expect(res.text).to.contain('responded');
    expect(unescape(res.text)).to.contain(`<invitation-${seeded.invitationId}@127.0.0.1>`);
    expect(unescape(res.text)).to.contain(mail.parsed.subject!);
    expect(res.text).not.to.contain('Re-rendered from the current survey wording');

    // The same email: the text part and the HTML part, with the same token.
    expect(preOf(res.text, 'text').trim()).to.equal(mail.parsed.text!.trim());
    expect(res.text).to.match(/<iframe[^>]*src="\/deliveries\/\d+\/email\/html"[^>]*sandbox=""/);
    const html = await editor.get(`/deliveries/${seeded.invitationId}/email/html`).expect(200);
    expect(html.headers['content-security-policy']).to.contain('sandbox');
    expect(html.text.trim()).to.equal(mail.parsed.html!.trim());
    expect(html.text).to.contain(`/r/${seeded.token}?score=9`);
  });

  it('says the email is re-rendered from the current wording when the survey changed after sending', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    await runOnce(t.ctx.deps);
    const before = await editor.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(before.text).not.to.contain('Re-rendered from the current survey wording');
    t.ctx.clock.advance(DAY);
    await updateSurvey(t.ctx.deps.db, 'delivery-nps', { question: { en: 'Would you recommend our delivery to a friend?' } }, t.ctx.clock.now());
    const after = await editor.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(after.text).to.contain('Re-rendered from the current survey wording');
    expect(preOf(after.text, 'text')).to.contain('Would you recommend our delivery to a friend?');
  });

  it('shows a scheduled invitation as a preview, and one without an address without an email', async () => {
    const seeded = await seedInvitation(t.ctx, { sendAt: new Date(t.ctx.clock.now().getTime() + DAY) });
    const res = await editor.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(res.text).to.contain('Not sent yet');
    await t.ctx.deps.db('customers').where({ id: seeded.customerId }).update({ email: null, erased_at: toDbTime(t.ctx.clock.now()) });
    const erased = await editor.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(erased.text).to.contain('There is no email to show');
    await editor.get(`/deliveries/${seeded.invitationId}/email/html`).expect(404);
  });

  it('is for editors and admins: viewers get 403, people not signed in go to the login page', async () => {
    const seeded = await seedInvitation(t.ctx, {});
    const viewer = (await t.ctx.signIn('viewer')).agent;
    const admin = (await t.ctx.signIn('admin')).agent;
    for (const path of ['/deliveries', `/deliveries/${seeded.invitationId}`, `/deliveries/${seeded.invitationId}/email/html`]) {
      await viewer.get(path).expect(403);
      const anonymous = await supertest(t.ctx.app).get(path).expect(303);
      expect(anonymous.headers.location).to.equal(`/login?next=${encodeURIComponent(path)}`);
      await admin.get(path).expect(200);
      await editor.get(path).expect(200);
    }
  });

  it('works with surveys that exist but have no invitations yet', async () => {
    await activeSurvey(t.ctx, { key: 'empty-nps' });
    const res = await editor.get('/deliveries?survey=empty-nps').expect(200);
    expect(listed(res.text)).to.deep.equal([]);
    expect(res.text).to.contain('No invitations match');
  });
});
