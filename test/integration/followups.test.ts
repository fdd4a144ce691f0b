import express from 'express';
import supertest from 'supertest';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { MINUTE } from '../../server/clock.ts';
import { runFollowUpAlerts } from '../../server/followups/alerts.ts';

const surveyKeys = { nps: 'delivery-nps', csat: 'support-csat', ces: 'onboarding-ces' } as const;

/** A customer's answer to an invitation, stored as the survey page stores it. */
async function answer(ctx: TestContext, metric: 'nps' | 'csat' | 'ces', score: number, comment: string | null, options: { email?: string } = {}) {
  const seeded = await seedInvitation(ctx, { surveyKey: surveyKeys[metric], metric, state: 'sent', email: options.email });
  const settings = await ctx.deps.db('settings').where({ key: 'reporting_time_zone' }).first();
  const tz = settings ? JSON.parse(settings.value) : 'UTC';
  const responseId = await writeTransaction(ctx.deps.db, (trx) =>
    insertResponse(
      trx,
      { survey_id: seeded.survey.id, invitation_id: seeded.invitationId, customer_id: seeded.customerId, score, comment, channel: 'email', answered_at: ctx.clock.now() },
      tz,
    ),
  );
  ctx.clock.advance(MINUTE);
  return { ...seeded, responseId };
}

const listed = (html: string) => [...html.matchAll(/id="follow-up-(\d+)"/g)].map((m) => Number(m[1]));

describe('follow-ups: detractors with a comment', () => {
  const ctx = withTestContext();
  let app: express.Express;
  before(async () => {
    app = ctx.app;
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
  });

  it('lists detractors who commented, per metric threshold, newest first, and leaves out the rest', async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    const nps6 = await answer(ctx, 'nps', 6, 'Late again', { email: 'ann@example.com' });
    const nps7 = await answer(ctx, 'nps', 7, 'Fine I guess');
    const nps0 = await answer(ctx, 'nps', 0, null);
    const nps0Blank = await answer(ctx, 'nps', 0, '');
    const csat2 = await answer(ctx, 'csat', 2, 'Nobody answered my question');
    const csat3 = await answer(ctx, 'csat', 3, 'Meh');
    const ces3 = await answer(ctx, 'ces', 3, 'Too many forms');
    const ces4 = await answer(ctx, 'ces', 4, 'Ok');
    const nps10 = await answer(ctx, 'nps', 10, 'Great');

    const editor = await ctx.signIn('editor');
    const res = await editor.agent.get('/follow-ups').expect(200);
    expect(listed(res.text)).to.deep.equal([ces3.responseId, csat2.responseId, nps6.responseId]);
    for (const out of [nps7, nps0, nps0Blank, csat3, ces4, nps10]) expect(res.text).not.to.contain(`id="follow-up-${out.responseId}"`);
    // One row each: score, comment, customer email with a link to their page, touchpoint, date; the time in the
    // row's disclosure, in the reporting time zone (10:00Z is 11:00 in Berlin).
    const row = /<tr id="follow-up-\d+">[\s\S]*?<\/tr>/.exec(res.text.slice(res.text.indexOf(`id="follow-up-${nps6.responseId}"`) - 8))![0];
    expect(row).to.contain('<span class="pill tone-low">NPS 6</span>');
    expect(row).to.contain('Late again');
    expect(row).to.contain('<a href="/customers/ann%40example.com">ann@example.com</a>');
    expect(row).to.contain('>23 Nov 2026</time>');
    expect(row).to.contain('<strong>Answered:</strong> 23 Nov 2026, 11:00');
    expect(res.text).to.contain('Times in Europe/Berlin');
    expect(res.text).to.contain('name="_csrf"');
    expect(res.text).not.to.contain('style="');

    const csatOnly = await editor.agent.get('/follow-ups?survey=support-csat').expect(200);
    expect(listed(csatOnly.text)).to.deep.equal([csat2.responseId]);
    const unknown = await editor.agent.get('/follow-ups?survey=nope').expect(422);
    expect(unknown.text).to.contain('There is no survey with the key nope');
    await editor.agent.get('/follow-ups?status=later').expect(422);
  });

  it('a note marks one followed up (with who and when); it moves to the done list and can be reopened', async () => {
    ctx.clock.set('2026-11-24T09:00:00Z');
    const detractor = await answer(ctx, 'nps', 2, 'Broken on arrival', { email: 'bob@example.com' });
    const editor = await ctx.signIn('editor');
    const path = `/follow-ups/${detractor.responseId}/done`;

    // Without the CSRF token: refused, nothing stored.
    await editor.agent.post(path).type('form').send({ note: 'Called' }).expect(403);
    expect(await ctx.deps.db('follow_ups').where({ response_id: detractor.responseId }).first()).to.equal(undefined);

    const tooLong = await editor.agent.post(path).type('form').send({ note: 'x'.repeat(2001), _csrf: editor.csrf }).expect(422);
    expect(tooLong.text).to.contain('must be at most 2000 characters');

    ctx.clock.set('2026-11-24T15:30:00Z');
    await editor.agent.post(path).type('form').send({ note: 'Called Bob, sent a new one', _csrf: editor.csrf }).expect(303).expect('Location', '/follow-ups');
    const row = await ctx.deps.db('follow_ups').where({ response_id: detractor.responseId }).first();
    expect(row).to.include({ done_at: '2026-11-24T15:30:00.000Z', note: 'Called Bob, sent a new one' });
    expect(Number(row.done_by)).to.equal(editor.userId);

    const open = await editor.agent.get('/follow-ups').expect(200);
    expect(listed(open.text)).not.to.include(detractor.responseId);
    expect(open.text).to.contain('Marked as followed up.');
    const done = await editor.agent.get('/follow-ups?status=done').expect(200);
    expect(listed(done.text)[0]).to.equal(detractor.responseId);
    expect(done.text).to.contain('Called Bob, sent a new one');
    expect(done.text).to.contain(`24 Nov 2026, 16:30 by ${editor.email}`);

    // A second mark keeps the first.
    await editor.agent.post(path).type('form').send({ note: 'again', _csrf: editor.csrf }).expect(303);
    expect((await ctx.deps.db('follow_ups').where({ response_id: detractor.responseId }).first()).note).to.equal('Called Bob, sent a new one');

    // Not a follow-up (a promoter) or no such response: 404.
    const promoter = await answer(ctx, 'nps', 9, 'Lovely');
    await editor.agent.post(`/follow-ups/${promoter.responseId}/done`).type('form').send({ _csrf: editor.csrf }).expect(404);
    await editor.agent.post('/follow-ups/999999/done').type('form').send({ _csrf: editor.csrf }).expect(404);
    await editor.agent.post('/follow-ups/abc/done').type('form').send({ _csrf: editor.csrf }).expect(404);

    await editor.agent.post(`/follow-ups/${detractor.responseId}/reopen`).type('form').send({ _csrf: editor.csrf }).expect(303);
    expect(listed((await editor.agent.get('/follow-ups').expect(200)).text)).to.include(detractor.responseId);
  });

  it('is for editors: a viewer gets 403, a stranger goes to sign in', async () => {
    const detractor = await answer(ctx, 'csat', 1, 'Awful');
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.get('/follow-ups').expect(403);
    await viewer.agent.post(`/follow-ups/${detractor.responseId}/done`).type('form').send({ note: 'x', _csrf: viewer.csrf }).expect(403);
    await viewer.agent.post('/follow-ups/owners').type('form').send({ survey: 'support-csat', user: String(viewer.userId), _csrf: viewer.csrf }).expect(403);
    expect(await ctx.deps.db('follow_ups').where({ response_id: detractor.responseId }).first()).to.equal(undefined);
    await supertest(app).get('/follow-ups').expect(303).expect('Location', '/login?next=%2Ffollow-ups');
  });
});

/** A page link of the list (rel="next" or "prev") as its query string, HTML entities undone. */
const pageLink = (html: string, rel: 'next' | 'prev') => {
  const href = new RegExp(`href="/follow-ups(\\?[^"]*)" rel="${rel}"`).exec(html)?.[1];
  return href === undefined ? null : href.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
};

describe('follow-ups: paging', () => {
  const ctx = withTestContext();
  /** The 53 NPS detractor comments, newest first. */
  let newestFirst: number[];
  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    const ids: number[] = [];
    for (let i = 0; i < 53; i++) ids.push((await answer(ctx, 'nps', i % 7, `Comment ${i}`)).responseId);
    // Another survey's detractors: only in the unfiltered list.
    await answer(ctx, 'csat', 1, 'Other survey 1');
    await answer(ctx, 'csat', 2, 'Other survey 2');
    newestFirst = [...ids].reverse();
  });

  it('shows 50 a page, newest first, with links to the neighbouring pages that keep the filters', async () => {
    const editor = await ctx.signIn('editor');
    const first = await editor.agent.get('/follow-ups?survey=delivery-nps').expect(200);
    expect(listed(first.text)).to.deep.equal(newestFirst.slice(0, 50));
    expect(first.text).to.contain('Showing 1–50 of 53 follow-ups.');
    expect(first.text).to.contain('Page 1 of 2');
    expect(pageLink(first.text, 'prev')).to.equal(null);
    const next = pageLink(first.text, 'next');
    expect(next).to.equal('?status=open&survey=delivery-nps&page=2');

    const second = await editor.agent.get(`/follow-ups${next}`).expect(200);
    const onSecond = listed(second.text);
    expect(onSecond).to.deep.equal(newestFirst.slice(50));
    expect(onSecond.at(-1)).to.equal(Math.min(...newestFirst));
    expect(onSecond.filter((id) => listed(first.text).includes(id))).to.deep.equal([]);
    expect(second.text).to.contain('Showing 51–53 of 53 follow-ups.');
    expect(second.text).to.contain('Page 2 of 2');
    expect(pageLink(second.text, 'next')).to.equal(null);
    expect(pageLink(second.text, 'prev')).to.equal('?status=open&survey=delivery-nps');
    // The survey filter stays chosen on page 2, and the forms carry the page back.
    expect(second.text).to.contain('<option value="delivery-nps" selected>');
    expect(second.text).to.contain('name="page_filter" value="2"');

    // Unfiltered: the other survey's two count as well.
    const all = await editor.agent.get('/follow-ups?page=2').expect(200);
    expect(listed(all.text)).to.have.length(5);
    expect(all.text).to.contain('Showing 51–55 of 55 follow-ups.');
    expect(pageLink(all.text, 'prev')).to.equal('?status=open');
  });

  it('says so past the last page, with a link back to it', async () => {
    const editor = await ctx.signIn('editor');
    const past = await editor.agent.get('/follow-ups?survey=delivery-nps&page=9').expect(200);
    expect(listed(past.text)).to.deep.equal([]);
    expect(past.text).to.contain('There is no page 9: the 53 follow-ups fill 2 pages.');
    expect(past.text).to.contain('href="/follow-ups?status&#x3D;open&amp;survey&#x3D;delivery-nps&amp;page&#x3D;2">Go to page 2</a>');
    expect(past.text).not.to.contain('Nothing to follow up.');
    expect(pageLink(past.text, 'next')).to.equal(null);
    expect(pageLink(past.text, 'prev')).to.equal('?status=open&survey=delivery-nps&page=2');
  });

  it('refuses a page that is not a page number with 422 naming page', async () => {
    const editor = await ctx.signIn('editor');
    for (const bad of ['0', 'abc', '-1', '1.5', '99999999']) {
      const res = await editor.agent.get(`/follow-ups?page=${bad}`).set('Accept', 'application/json').expect(422);
      expect(res.body.errors[0].field, bad).to.equal('page');
    }
    const html = await editor.agent.get('/follow-ups?status=done&page=abc').expect(422);
    expect(html.text).to.contain('page: must be a page number');
    // Empty means the first page, as in a form.
    expect(listed((await editor.agent.get('/follow-ups?survey=delivery-nps&page=').expect(200)).text)).to.deep.equal(newestFirst.slice(0, 50));
  });

  it('marking one done on page 2 goes back to page 2; a note error there shows on page 2', async () => {
    const editor = await ctx.signIn('editor');
    const [target, other] = newestFirst.slice(50);
    const form = { survey_filter: 'delivery-nps', page_filter: '2', _csrf: editor.csrf };
    const bad = await editor.agent.post(`/follow-ups/${other}/done`).type('form').send({ ...form, note: 'x'.repeat(2001) }).expect(422);
    expect(listed(bad.text)).to.include(other);
    expect(bad.text).to.contain(`id="note-${other}-error"`);
    await editor.agent
      .post(`/follow-ups/${target}/done`)
      .type('form')
      .send({ ...form, note: 'Called' })
      .expect(303)
      .expect('Location', '/follow-ups?survey=delivery-nps&page=2');
    const after = await editor.agent.get('/follow-ups?survey=delivery-nps&page=2').expect(200);
    expect(listed(after.text)).to.deep.equal(newestFirst.slice(50).filter((id) => id !== target));
    expect(after.text).to.contain('Showing 51–52 of 52 follow-ups.');
    await editor.agent.post(`/follow-ups/${target}/reopen`).type('form').send(form).expect(303).expect('Location', '/follow-ups?status=done&survey=delivery-nps&page=2');
  });

  it('pages the done list too, latest done first, keeping status and survey', async () => {
    const editor = await ctx.signIn('editor');
    const done = newestFirst.slice(0, 51);
    // Done one minute apart, the oldest answer done last.
    await ctx.deps.db('follow_ups').insert(
      done.map((responseId, i) => ({ response_id: responseId, done_at: new Date(Date.parse('2026-11-30T10:00:00Z') + i * MINUTE).toISOString(), done_by: editor.userId, note: '' })),
    );
    const latestDoneFirst = [...done].reverse();
    const first = await editor.agent.get('/follow-ups?status=done&survey=delivery-nps').expect(200);
    expect(listed(first.text)).to.deep.equal(latestDoneFirst.slice(0, 50));
    expect(first.text).to.contain('Showing 1–50 of 51 follow-ups.');
    const next = pageLink(first.text, 'next');
    expect(next).to.equal('?status=done&survey=delivery-nps&page=2');
    const second = await editor.agent.get(`/follow-ups${next}`).expect(200);
    expect(listed(second.text)).to.deep.equal(latestDoneFirst.slice(50));
    expect(second.text).to.contain('Showing 51–51 of 51 follow-ups.');
    // The open list is down to the 2 left: one page, no page links.
    const open = await editor.agent.get('/follow-ups?survey=delivery-nps').expect(200);
    expect(listed(open.text)).to.deep.equal(newestFirst.slice(51));
    expect(open.text).to.contain('>2 follow-ups.</p>');
    expect(open.text).not.to.contain('Pages of the follow-up list');
  });
});

describe('follow-ups in the whole app', () => {
  const ctx = withTestContext();

  it('serves /follow-ups to editors', async function () {
    const editor = await ctx.signIn('editor');
    const res = await editor.agent.get('/follow-ups');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<h1>Follow-ups</h1>');
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.get('/follow-ups').expect(403);
  });
});

describe('follow-ups: alert emails to the survey owner', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  const ctx = withTestContext(() => ({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_RATE_PER_SECOND: '1000', MAIL_FROM: 'Touchpoint <cx@example.com>' } }));
  after(async () => smtp?.close());

  it('sends one email per new detractor comment to the owner, over SMTP, never twice', async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    await answer(ctx, 'nps', 1, 'Before anyone owned the survey');

    const editor = await ctx.signIn('editor');
    const owner = await ctx.signIn('viewer', 'owner@example.com');
    // The form on /follow-ups: the survey with a select of users.
    const page = await editor.agent.get('/follow-ups').expect(200);
    expect(page.text).to.contain('Alert emails: owner per survey');
    expect(page.text).to.contain(`<option value="${owner.userId}">owner@example.com</option>`);
    await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'delivery-nps', user: String(owner.userId) }).expect(403);
    const bad = await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'delivery-nps', user: 'x', _csrf: editor.csrf }).expect(422);
    expect(bad.text).to.contain('choose a user');
    await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'nope', user: String(owner.userId), _csrf: editor.csrf }).expect(422);
    await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'delivery-nps', user: String(owner.userId), _csrf: editor.csrf }).expect(303);
    expect((await editor.agent.get('/follow-ups').expect(200)).text).to.contain(`<option value="${owner.userId}" selected>owner@example.com</option>`);

    ctx.clock.advance(MINUTE);
    const detractor = await answer(ctx, 'nps', 4, 'The parcel was soaked\nand late', { email: 'carol@example.com' });
    await answer(ctx, 'nps', 8, 'Passive comment');
    await answer(ctx, 'nps', 3, null);

    const first = await runFollowUpAlerts(ctx.deps);
    expect(first.sent).to.deep.equal([detractor.responseId]);
    const mails = smtp.messages.filter((m) => m.to.includes('owner@example.com'));
    expect(mails).to.have.length(1);
    const mail = mails[0];
    expect(mail.parsed.from?.address).to.equal('cx@example.com');
    expect(mail.parsed.subject).to.contain('NPS 4');
    expect(mail.parsed.text).to.contain('The parcel was soaked\nand late');
    expect(mail.parsed.text).to.contain('carol@example.com');
    expect(mail.parsed.text).to.contain('http://127.0.0.1:3000/customers/carol%40example.com');
    expect(mail.parsed.text).to.contain('http://127.0.0.1:3000/follow-ups?survey=delivery-nps');
    expect(mail.parsed.html).to.contain('The parcel was soaked');
    expect(mail.header('message-id')).to.contain(`followup-alert-${detractor.responseId}@`);
    expect(smtp.messages.some((m) => (m.parsed.text ?? '').includes('Before anyone owned the survey'))).to.equal(false);

    // Never twice: a second pass, and two passes at once, send nothing more.
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([]);
    const next = await answer(ctx, 'nps', 5, 'Still waiting');
    const [a, b] = await Promise.all([runFollowUpAlerts(ctx.deps), runFollowUpAlerts(ctx.deps)]);
    expect([...a.sent, ...b.sent]).to.deep.equal([next.responseId]);
    expect(smtp.messages.filter((m) => m.to.includes('owner@example.com'))).to.have.length(2);
    expect(smtp.messages).to.have.length(2);

    // A comment added later (within the edit window) is a new detractor comment.
    const edited = await answer(ctx, 'nps', 2, null);
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([]);
    await ctx.deps.db('responses').where({ id: edited.responseId }).update({ comment: 'Added later', updated_at: ctx.clock.now().toISOString() });
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([edited.responseId]);

    // No owner: no email. A survey of another metric has none.
    await answer(ctx, 'csat', 1, 'Nobody owns this one');
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([]);

    // Cleared owner: nothing more.
    await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'delivery-nps', user: '', _csrf: editor.csrf }).expect(303);
    await answer(ctx, 'nps', 0, 'After the owner left');
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([]);
    expect(smtp.messages).to.have.length(3);
  });

  it('tries again after a temporary SMTP failure, and keeps a refused address refused', async () => {
    ctx.clock.set('2026-11-25T10:00:00Z');
    const editor = await ctx.signIn('editor');
    const owner = await ctx.signIn('editor', 'flaky-owner@example.com');
    await activeSurvey(ctx, { key: 'onboarding-ces', metric: 'ces' });
    await editor.agent.post('/follow-ups/owners').type('form').send({ survey: 'onboarding-ces', user: String(owner.userId), _csrf: editor.csrf }).expect(303);
    ctx.clock.advance(MINUTE);
    const detractor = await answer(ctx, 'ces', 2, 'So hard');
    smtp.refuse('flaky-owner@example.com', 451);
    expect((await runFollowUpAlerts(ctx.deps)).failed).to.deep.equal([detractor.responseId]);
    smtp.accept('flaky-owner@example.com');
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([detractor.responseId]);
    expect(smtp.messages.filter((m) => m.to.includes('flaky-owner@example.com'))).to.have.length(1);

    smtp.refuse('flaky-owner@example.com', 550);
    const refused = await answer(ctx, 'ces', 1, 'Worse');
    expect((await runFollowUpAlerts(ctx.deps)).failed).to.deep.equal([refused.responseId]);
    smtp.accept('flaky-owner@example.com');
    expect((await runFollowUpAlerts(ctx.deps)).sent).to.deep.equal([]);
    expect((await ctx.deps.db('follow_up_alerts').where({ response_id: refused.responseId }).first()).error).to.be.a('string');
  });
});
