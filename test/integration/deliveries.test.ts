import { expect } from 'chai';
import supertest from 'supertest';
import { seedInvitation, activeSurvey } from '../helpers/invitations.ts';
import { hrefsOf, withSmtpTestContext } from '../helpers/smtp.ts';
import { csrfFrom, withTestContextPerTest } from '../helpers/context.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { answerTables } from '../helpers/answer-tables.ts';
import { runOnce } from '../../server/sending/worker.ts';
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
    // The zone is named above the list, not in each one-line row.
    expect(res.text).to.contain('>23 Nov 2026, 11:00</time>');
    expect(res.text).to.contain('Times are in Europe/Berlin');
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
    // A person's Send (input on the page): settled at once (a no-script Send would be held; see DESIGN.md).
    await http.post(`/r/${seeded.token}`).type('form').send({ score: '9', comment: 'Fast and friendly', trigger: 'click', input: 'pointer', view }).expect(200);

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

    // The same email, text part and HTML part, with inert links: the customer's token replaced by the placeholder.
    expect(mail.parsed.text).to.contain(seeded.token);
    const inert = (part: string) => part.replaceAll(seeded.token, 'preview-token');
    expect(preOf(res.text, 'text').trim()).to.equal(inert(mail.parsed.text!).trim());
    expect(res.text).to.match(/<iframe[^>]*src="\/deliveries\/\d+\/email\/html"[^>]*sandbox=""/);
    const html = await editor.get(`/deliveries/${seeded.invitationId}/email/html`).expect(200);
    expect(html.headers['content-security-policy']).to.contain('sandbox');
    expect(html.text.trim()).to.equal(inert(mail.parsed.html!).trim());
    expect(html.text).to.contain('/r/preview-token?score=9');
    expect(html.text).to.contain('/r/preview-token/t');
    expect(html.text).to.contain('/u/preview-token');
    // No live token anywhere staff can read.
    expect(res.text).not.to.contain(seeded.token);
    expect(html.text).not.to.contain(seeded.token);
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

describe('delivery log: inert links and "Open as the customer" (no SMTP_URL)', () => {
  let captured: CapturedLog;
  const ctx = withTestContextPerTest(() => {
    captured = captureLog();
    return { log: captured.log };
  });

  const formCsrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

  it('shows the email as sent with the placeholder token, never the customer\'s', async () => {
    const seeded = await seedInvitation(ctx, { locale: 'de' });
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    // The delivered email (in the mailbox, as a mail server holds it) carries the live token.
    const delivered = await ctx.deps.db('mailbox_messages').where({ to: seeded.email }).first();
    expect(delivered.html).to.contain(`/r/${seeded.token}?score=`);

    const { agent } = await ctx.signIn('editor');
    const page = await agent.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(preOf(page.text, 'text').trim()).to.equal(delivered.text.replaceAll(seeded.token, 'preview-token').trim());
    expect(page.text).to.contain('Its links are inert');
    const html = await agent.get(`/deliveries/${seeded.invitationId}/email/html`).expect(200);
    expect(html.text.trim()).to.equal(delivered.html.replaceAll(seeded.token, 'preview-token').trim());
    for (const res of [page, html, await agent.get(`/deliveries/${seeded.invitationId}`).set('Accept', 'application/json')]) {
      expect(res.text).not.to.contain(seeded.token);
    }
    const hrefs = hrefsOf(html.text).filter((href) => href.startsWith('http://127.0.0.1:3000/'));
    expect(hrefs.length).to.be.greaterThan(10);
    for (const href of hrefs) expect(href).to.match(/^http:\/\/127\.0\.0\.1:3000\/[ru]\/preview-token(\/t|\?score=\d+)?$/);
  });

  it('"Open as the customer" shows their page as a logged preview whose form stores nothing', async () => {
    const seeded = await seedInvitation(ctx, { locale: 'de' });
    await runOnce(ctx.deps);
    const question = seeded.survey.content.de!.question;
    const { agent, csrf, userId } = await ctx.signIn('editor');
    const show = await agent.get(`/deliveries/${seeded.invitationId}`).expect(200);
    expect(show.text).to.contain(`<form method="post" action="/deliveries/${seeded.invitationId}/as-customer">`);
    expect(show.text).to.match(/<button type="submit"[^>]*>Open as the customer<\/button>/);
    const before = await answerTables(ctx.deps.db);

    // An explicit POST with CSRF, for editors.
    await agent.post(`/deliveries/${seeded.invitationId}/as-customer`).type('form').send({}).expect(403);
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.post(`/deliveries/${seeded.invitationId}/as-customer`).type('form').send({ _csrf: viewer.csrf }).expect(403);
    const anonymous = supertest.agent(ctx.app);
    const anonymousCsrf = await csrfFrom(anonymous, '/login');
    await anonymous.post(`/deliveries/${seeded.invitationId}/as-customer`).type('form').send({ _csrf: anonymousCsrf }).expect(401);
    await agent.get(`/deliveries/${seeded.invitationId}/as-customer`).expect(404);
    await agent.post('/deliveries/999999/as-customer').type('form').send({ _csrf: csrf }).expect(404);
    expect(captured.matching(/as the customer/)).to.have.length(0);

    const opened = await agent.post(`/deliveries/${seeded.invitationId}/as-customer`).type('form').send({ _csrf: csrf }).expect(200);
    expect(opened.headers['cache-control']).to.equal('no-store');
    // The customer's page, in their locale, with the survey's wording, marked as a preview.
    expect(opened.text).to.match(/<html lang="de">/);
    expect(opened.text).to.contain(`Preview of invitation #${seeded.invitationId} as the customer sees it.`);
    expect(opened.text).to.contain(question);
    expect(opened.text).to.contain('id="survey-form"');
    expect(opened.text).to.contain(`action="/deliveries/${seeded.invitationId}/as-customer/answer"`);
    expect(opened.text).to.match(/<input type="hidden" name="_csrf" value="[^"]+" form="survey-form">/);
    expect(opened.text).not.to.contain(seeded.token);
    expect(opened.text).not.to.match(/action="\/r\//);
    const [line] = captured.matching(new RegExp(`^opened invitation ${seeded.invitationId} as the customer$`));
    expect(line).to.include({ level: 30, userId, invitationId: seeded.invitationId });

    // Its form: the thanks page the customer would see, nothing stored.
    const sent = await agent
      .post(`/deliveries/${seeded.invitationId}/as-customer/answer`)
      .type('form')
      .send({ _csrf: formCsrf(opened.text), score: '9', comment: 'Schnell und freundlich', trigger: 'click', input: 'pointer' })
      .expect(200);
    expect(sent.text).to.contain('survey-thanks');
    expect(sent.text).to.contain(`Preview of invitation #${seeded.invitationId} as the customer sees it, after sending an answer.`);
    expect(sent.text).to.contain('Schnell und freundlich');
    expect(sent.text).to.match(/<input type="hidden" name="_csrf" value="[^"]+" form="comment-form">/);
    const again = await agent
      .post(`/deliveries/${seeded.invitationId}/as-customer/answer`)
      .type('form')
      .send({ _csrf: formCsrf(sent.text), score: '9', comment: 'Noch ein Wort' })
      .expect(200);
    expect(again.text).to.contain('Noch ein Wort');
    const invalid = await agent.post(`/deliveries/${seeded.invitationId}/as-customer/answer`).type('form').send({ _csrf: csrf, score: '11' }).expect(422);
    expect(invalid.text).to.contain('id="survey-form"');
    expect(invalid.text).to.contain('Bitte wählen Sie eine Bewertung von 0 bis 10.');
    await viewer.agent.post(`/deliveries/${seeded.invitationId}/as-customer/answer`).type('form').send({ _csrf: viewer.csrf, score: '9' }).expect(403);

    expect(await answerTables(ctx.deps.db), 'nothing stored').to.deep.equal(before);
  });
});
