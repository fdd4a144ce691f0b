import express from 'express';
import supertest from 'supertest';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { findSurveyByKey } from '../../server/surveys/queries.ts';
import { formFromTemplate } from '../../server/survey-editor/form.ts';
import { copyKey } from '../../server/survey-editor/preview.ts';

const EN_Q = 'How likely are you to recommend our parcel lockers?';
const DE_Q = 'Wie wahrscheinlich empfehlen Sie unsere Paketstationen weiter?';

/** The new-survey form as an editor fills it in. */
function newForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...formFromTemplate('nps'),
    touchpoint: 'locker-pickup',
    touchpoint_name: 'Locker pickup',
    key: 'locker-nps',
    question_en: EN_Q,
    question_de: DE_Q,
    ...overrides,
  };
}

const count = async (ctx: TestContext, table: string) => Number((await ctx.deps.db(table).count({ n: '*' }))[0].n);
const frames = (html: string) => [...html.matchAll(/<iframe[^>]* src="([^"]+)"/g)].map((m) => m[1]);
const draftId = (html: string) => /name="draft" value="([0-9a-f]{16})"/.exec(html)?.[1];
const unescape = (html: string) => html.replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=');

describe('survey preview: the unsaved draft as the customer sees it', () => {
  const ctx = withTestContext();
  let app: express.Express;
  let editor: Awaited<ReturnType<TestContext["signIn"]>>;
  before(async () => {
    app = ctx.app;
    editor = await ctx.signIn('editor');
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now(), 'ui');
  });

  it('previews a new draft in English and German (email HTML, text, survey page) and saves nothing', async () => {
    const before = { surveys: await count(ctx, 'surveys'), touchpoints: await count(ctx, 'touchpoints') };
    const res = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm(), _csrf: editor.csrf }).expect(200);
    expect(res.text).to.include('Preview of locker-nps');
    expect(res.text).to.include('not saved');
    expect(res.text).to.include('href="#preview-en"').and.include('href="#preview-de"');
    // The text parts, on the page: both questions, links inert.
    expect(unescape(res.text)).to.include(EN_Q).and.include(DE_Q);
    expect(res.text).not.to.match(/\/r\/preview-token|\/u\/preview-token/);

    const srcs = frames(res.text);
    const emailEn = srcs.find((s) => s.endsWith('/en/email'))!;
    const emailDe = srcs.find((s) => s.endsWith('/de/email'))!;
    const pageDe = srcs.find((s) => s.endsWith('/de/page'))!;
    const thanksDe = srcs.find((s) => s.endsWith('/de/thanks'))!;
    expect(emailEn, 'an email frame per locale').to.match(/^\/surveys\/preview\/draft\/[0-9a-f]{16}\/en\/email$/);

    const en = await editor.agent.get(emailEn).expect(200);
    expect(en.headers['content-security-policy']).to.match(/^sandbox;/);
    expect(unescape(en.text)).to.include(EN_Q);
    expect(en.text).to.include('href="#"');
    expect(en.text).not.to.include('/r/').and.not.include('/u/');

    const de = await editor.agent.get(emailDe).expect(200);
    expect(unescape(de.text)).to.include(DE_Q);
    expect(de.text).to.include('lang="de"');

    const page = await editor.agent.get(pageDe).expect(200);
    expect(page.headers['content-security-policy']).to.match(/^sandbox allow-same-origin;/).and.include("form-action 'none'");
    expect(unescape(page.text)).to.include(DE_Q);
    expect(page.text).to.include('name="score"').and.include('/public/css/survey.css');
    expect(page.text, 'no survey script in the preview').not.to.include('survey.js');

    const thanks = await editor.agent.get(thanksDe).expect(200);
    expect(unescape(thanks.text)).to.include('Vielen Dank');

    expect(await count(ctx, 'surveys')).to.equal(before.surveys);
    expect(await count(ctx, 'touchpoints')).to.equal(before.touchpoints);
    expect(await findSurveyByKey(ctx.deps.db, 'locker-nps')).to.equal(undefined);
  });

  it('goes back from the preview to the form with everything as typed, and the form then creates the survey', async () => {
    const res = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm({ key: 'kiosk-nps', touchpoint: 'kiosk' }), _csrf: editor.csrf }).expect(200);
    const back = /<a href="(\/surveys\/preview\/draft\/[0-9a-f]{16}\/edit)">Back to the form, with everything as you typed it<\/a>/.exec(res.text)?.[1];
    expect(back, 'the way back').to.be.a('string');
    const form = await editor.agent.get(back!).expect(200);
    expect(form.text).to.include('action="/surveys"');
    expect(form.text).to.match(/name="key"[^>]*value="kiosk-nps"|value="kiosk-nps"[^>]*name="key"/);
    expect(form.text).to.match(/name="touchpoint"[^>]*value="kiosk"|value="kiosk"[^>]*name="touchpoint"/);
    expect(unescape(form.text)).to.include(DE_Q);
    expect(await findSurveyByKey(ctx.deps.db, 'kiosk-nps')).to.equal(undefined);
  });

  it('shows only the languages the draft has', async () => {
    const res = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm({ question_de: '' }), _csrf: editor.csrf }).expect(200);
    expect(res.text).to.include('id="preview-en"');
    expect(res.text).not.to.include('id="preview-de"');
    const id = draftId(res.text)!;
    await editor.agent.get(`/surveys/preview/draft/${id}/de/email`).expect(404);
  });

  it('shows the field errors of an invalid draft and saves nothing', async () => {
    const before = await count(ctx, 'surveys');
    const res = await editor.agent
      .post('/surveys/preview')
      .type('form')
      .send({ ...newForm({ question_de: 'x', send_delay_minutes: 'soon', key: 'Bad Key' }), _csrf: editor.csrf })
      .expect(422);
    expect(res.text).to.include('must be a whole number');
    expect(res.text).to.include('lower-case letters');
    expect(res.text).not.to.include('Preview of');
    const again = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm({ question_de: 'x' }), _csrf: editor.csrf }).expect(422);
    expect(again.text).to.include('must be at least 3 characters');
    expect(await count(ctx, 'surveys')).to.equal(before);
  });

  it('previews the edit form of a saved survey without changing it, and the saved survey itself', async () => {
    const saved = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    const { touchpoint: _t, key: _k, metric: _m, touchpoint_name: _n, ...editForm } = newForm({ question_en: 'Did your parcel arrive in one piece?' });
    const res = await editor.agent.post('/surveys/delivery-nps/preview').type('form').send({ ...editForm, _csrf: editor.csrf }).expect(200);
    expect(res.text).to.include('Preview of delivery-nps');
    const emailEn = frames(res.text).find((s) => s.endsWith('/en/email'))!;
    expect(unescape((await editor.agent.get(emailEn).expect(200)).text)).to.include('Did your parcel arrive in one piece?');
    const after = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    expect(after.content).to.deep.equal(saved.content);
    expect(after.updated_at).to.equal(saved.updated_at);

    const shown = await editor.agent.get('/surveys/delivery-nps/preview').expect(200);
    expect(shown.text).to.include('the saved survey');
    const savedEmail = frames(shown.text).find((s) => s.endsWith('/de/email'))!;
    expect(savedEmail).to.equal('/surveys/delivery-nps/preview/de/email');
    const html = unescape((await editor.agent.get(savedEmail).expect(200)).text);
    expect(html).to.include(saved.content.de.question);
    await editor.agent.get('/surveys/nope/preview').expect(404);
    await editor.agent.get('/surveys/preview/draft/0123456789abcdef').expect(404);
  });

  it('sends a draft test to the signed-in editor through the mailbox, "[Test]", links inert, no invitation', async () => {
    const res = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm(), _csrf: editor.csrf }).expect(200);
    const id = draftId(res.text)!;
    expect(id).to.be.a('string');
    const sent = await editor.agent.post('/surveys/preview/test').type('form').send({ draft: id, locale: 'de', _csrf: editor.csrf }).expect(303);
    expect(sent.headers.location).to.equal(`/surveys/preview/draft/${id}`);
    const back = await editor.agent.get(sent.headers.location).expect(200);
    expect(back.text).to.include(`was sent to ${editor.email}`);
    expect(back.text).to.include('Preview of locker-nps');

    const mails = await ctx.deps.db('mailbox_messages').where({ to: editor.email });
    expect(mails).to.have.length(1);
    expect(mails[0].subject).to.match(/^\[Test\] /);
    expect(unescape(mails[0].html)).to.include(DE_Q);
    expect(mails[0].html).not.to.include('/r/').and.not.include('/u/');
    expect(mails[0].text).to.include(DE_Q).and.not.include('/r/');
    expect(JSON.parse(mails[0].headers)).not.to.have.property('List-Unsubscribe');
    expect(await count(ctx, 'invitations')).to.equal(0);
    expect(await count(ctx, 'customers')).to.equal(0);
    expect(await findSurveyByKey(ctx.deps.db, 'locker-nps')).to.equal(undefined);
  });

  it('sends a test of the saved survey in the chosen language and returns to the given page', async () => {
    const sent = await editor.agent.post('/surveys/delivery-nps/test').type('form').send({ locale: 'en', next: '/surveys/delivery-nps', _csrf: editor.csrf }).expect(303);
    expect(sent.headers.location).to.equal('/surveys/delivery-nps');
    const mail = await ctx.deps.db('mailbox_messages').where({ to: editor.email }).orderBy('id', 'desc').first();
    expect(mail.subject).to.match(/^\[Test\] /);
    const saved = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    expect(unescape(mail.html)).to.include(saved.content.en.question);
    // Elsewhere than this site: back to the preview.
    const away = await editor.agent.post('/surveys/delivery-nps/test').type('form').send({ locale: 'xx', next: '//evil.example', _csrf: editor.csrf }).expect(303);
    expect(away.headers.location).to.equal('/surveys/delivery-nps/preview');
    expect(await count(ctx, 'invitations')).to.equal(0);
  });

  it('duplicates a survey as a draft <key>-copy, then -copy-2, managed in the UI', async () => {
    const original = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
    const first = await editor.agent.post('/surveys/delivery-nps/duplicate').type('form').send({ _csrf: editor.csrf }).expect(303);
    expect(first.headers.location).to.equal('/surveys/delivery-nps-copy');
    const copy = (await findSurveyByKey(ctx.deps.db, 'delivery-nps-copy'))!;
    expect(copy.status).to.equal('draft');
    expect(copy.source).to.equal('ui');
    expect(copy.touchpoint_key).to.equal(original.touchpoint_key);
    expect(copy.metric).to.equal(original.metric);
    expect(copy.content).to.deep.equal(original.content);
    expect(copy.rules).to.deep.equal(original.rules);
    const page = await editor.agent.get(first.headers.location).expect(200);
    expect(page.text).to.include('copied to delivery-nps-copy');
    const second = await editor.agent.post('/surveys/delivery-nps/duplicate').type('form').send({ _csrf: editor.csrf }).expect(303);
    expect(second.headers.location).to.equal('/surveys/delivery-nps-copy-2');
    expect((await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!.status).to.equal('active');
    await editor.agent.post('/surveys/nope/duplicate').type('form').send({ _csrf: editor.csrf }).expect(404);
  });

  it('keeps copies of long keys within 100 characters', () => {
    const long = `a${'-b'.repeat(49)}c`.slice(0, 100);
    expect(copyKey(long, 1)).to.have.length.at.most(100).and.match(/-copy$/);
    expect(copyKey(long, 12)).to.have.length.at.most(100).and.match(/[a-z0-9]-copy-12$/);
  });

  it('refuses viewers (403) and forms without a CSRF token (403), sending and saving nothing', async () => {
    const viewer = await ctx.signIn('viewer');
    const surveys = await count(ctx, 'surveys');
    const mails = await count(ctx, 'mailbox_messages');
    await viewer.agent.post('/surveys/preview').type('form').send({ ...newForm(), _csrf: viewer.csrf }).expect(403);
    await viewer.agent.get('/surveys/delivery-nps/preview').expect(403);
    await viewer.agent.get('/surveys/delivery-nps/preview/en/email').expect(403);
    await viewer.agent.post('/surveys/delivery-nps/test').type('form').send({ _csrf: viewer.csrf }).expect(403);
    await viewer.agent.post('/surveys/delivery-nps/duplicate').type('form').send({ _csrf: viewer.csrf }).expect(403);

    await editor.agent.post('/surveys/preview').type('form').send(newForm()).expect(403);
    await editor.agent.post('/surveys/delivery-nps/test').type('form').send({ locale: 'en' }).expect(403);
    await editor.agent.post('/surveys/delivery-nps/duplicate').type('form').send({ _csrf: 'forged' }).expect(403);
    expect(await count(ctx, 'surveys')).to.equal(surveys);
    expect(await count(ctx, 'mailbox_messages')).to.equal(mails);

    const anonymous = supertest.agent(app);
    const login = await anonymous.get('/surveys/delivery-nps/preview').expect(303);
    expect(login.headers.location).to.match(/^\/login\?next=/);
  });
});

describe('survey preview: a test through SMTP', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  const ctx = withTestContext(() => ({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } }));
  after(async () => smtp?.close());

  it('delivers the test to the editor over SMTP, not to the mailbox', async () => {
    const editor = await ctx.signIn('editor');
    const res = await editor.agent.post('/surveys/preview').type('form').send({ ...newForm(), _csrf: editor.csrf }).expect(200);
    await editor.agent.post('/surveys/preview/test').type('form').send({ draft: draftId(res.text), locale: 'en', _csrf: editor.csrf }).expect(303);
    expect(smtp.messages).to.have.length(1);
    const [mail] = smtp.messages;
    expect(mail.to).to.deep.equal([editor.email]);
    expect(mail.parsed.subject).to.match(/^\[Test\] /);
    expect(mail.parsed.html).to.include('href="#"');
    expect(unescape(mail.parsed.html ?? '')).to.include(EN_Q);
    expect(mail.parsed.html).not.to.include('/r/');
    expect(mail.header('list-unsubscribe')).to.equal(undefined);
    expect(await count(ctx, 'mailbox_messages')).to.equal(0);
    expect(await count(ctx, 'invitations')).to.equal(0);
  });

  it('says so when the mail server refuses the test', async () => {
    const editor = await ctx.signIn('editor');
    await createSurvey(ctx.deps.db, { key: 'refused-nps', touchpoint: 'refused', metric: 'nps' }, ctx.clock.now(), 'ui');
    smtp.refuse(editor.email, 550);
    const before = smtp.messages.length;
    const sent = await editor.agent.post('/surveys/refused-nps/test').type('form').send({ locale: 'de', _csrf: editor.csrf }).expect(303);
    const page = await editor.agent.get(sent.headers.location).expect(200);
    expect(page.text).to.include('The test email was not sent');
    expect(smtp.messages.length).to.equal(before);
  });
});
