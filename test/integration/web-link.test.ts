import crypto from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContextPerTest } from '../helpers/context.ts';
import { activeSurvey } from '../helpers/invitations.ts';
import { toCount } from '../../server/db/dialect.ts';
import { createApp } from '../../server/app.ts';
import { settleDueAnswers } from '../../server/responses/settle.ts';
import { HOUR, DAY } from '../../server/clock.ts';

const unescape = (html: string) => html.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
const checkedScore = (html: string) => /value="(\d+)" checked/.exec(html)?.[1];
const PERSON = { trigger: 'click', input: 'key' };
/** What a company's server does: HMAC-SHA256 of the query string, lowercase hex, appended as the last parameter. */
const signed = (secret: string, query: string) => `${query}&sig=${crypto.createHmac('sha256', secret).update(query, 'utf8').digest('hex')}`;

describe('the public web link (/s/:survey)', () => {
  const ctx = withTestContextPerTest();
  let http: ReturnType<typeof supertest>;
  beforeEach(() => {
    http = supertest(ctx.app);
  });

  const responses = () => ctx.deps.db('responses').orderBy('id');
  const metrics = async (survey: string, query: Record<string, string> = {}) =>
    (await ctx.api.get('/api/v1/metrics').query({ survey, ...query }).expect(200)).body;
  /** The secret an admin copies from the Settings page. */
  async function linkSecret(): Promise<string> {
    const { agent } = await ctx.signIn('admin');
    const page = await agent.get('/settings').expect(200);
    const match = /id="link-secret"[^>]*>([^<]+)</.exec(page.text);
    if (!match) throw new Error('no link secret on the Settings page');
    return match[1].trim();
  }

  it('is off for an email survey unless the editor turns it on: a forged post stores nothing', async () => {
    await activeSurvey(ctx, { key: 'email-nps' });
    const page = await http.get('/s/email-nps').expect(404);
    expect(unescape(page.text)).not.to.contain('recommend');
    await http.post('/s/email-nps').type('form').send({ score: '0', comment: 'Click here: https://phish.example', ...PERSON }).expect(404);
    expect(await responses()).to.have.length(0);
    expect(await ctx.deps.db('answers')).to.have.length(0);

    await ctx.api.patch('/api/v1/surveys/email-nps').send({ public_link: true }).expect(200);
    await http.get('/s/email-nps').expect(200);
    await http.post('/s/email-nps').type('form').send({ score: '9', ...PERSON }).expect(200);
    expect(await responses()).to.have.length(1);
  });

  it('takes anonymous answers on a link-only survey: a source of their own, settled when a person sends them', async () => {
    const survey = await activeSurvey(ctx, { key: 'website-nps', channel: 'link' });
    const page = await http.get('/s/website-nps').expect(200);
    expect(unescape(page.text)).to.contain('How likely are you to recommend us');
    expect(checkedScore(page.text)).to.equal(undefined);
    expect(page.text).not.to.contain('data-autosave');

    const res = await http.post('/s/website-nps').type('form').send({ score: '8', comment: 'From the website', ...PERSON, lang: 'en' }).expect(200);
    expect(res.text).to.contain('Thank you for your feedback.');
    const rows = await responses();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 8, comment: 'From the website', channel: 'link', source: 'anonymous', invitation_id: null, customer_id: null, locale: 'en' });
    const daily = await ctx.deps.db('response_daily').where({ survey_id: survey.id });
    expect(daily.map((d) => [Number(d.score), toCount(d.count)])).to.deep.equal([[8, 1]]);

    // A post with no sign of a person is held, and counts once it settles.
    await http.post('/s/website-nps').type('form').send({ score: '3' }).expect(200);
    expect(await responses()).to.have.length(1);
    expect((await metrics('website-nps')).overall).to.include({ n: 1, held: 1 });
    ctx.clock.advance(600_000);
    await settleDueAnswers(ctx.deps);
    expect((await metrics('website-nps')).overall).to.include({ n: 2, held: 0 });
  });

  it('reports anonymous answers as their own source, filterable, and left out by default where the editor says so', async () => {
    await activeSurvey(ctx, { key: 'mixed-nps', channel: 'link' });
    const secret = await linkSecret();
    for (const score of ['10', '9']) await http.post('/s/mixed-nps').type('form').send({ score, ...PERSON }).expect(200);
    await http.post(`/s/mixed-nps?${signed(secret, 'customer=c-1&region=north')}`).type('form').send({ score: '0', ...PERSON }).expect(200);

    expect((await metrics('mixed-nps')).overall.n).to.equal(3);
    expect((await metrics('mixed-nps', { source: 'anonymous' })).overall).to.include({ n: 2, score: 100 });
    const identified = await metrics('mixed-nps', { source: 'identified' });
    expect(identified.overall).to.include({ n: 1, score: -100 });
    expect(identified.source).to.equal('identified');
    const bad = await ctx.api.get('/api/v1/metrics').query({ survey: 'mixed-nps', source: 'robots' }).expect(422);
    expect(bad.body.errors[0].field).to.equal('source');

    await ctx.api.patch('/api/v1/surveys/mixed-nps').send({ count_anonymous: false }).expect(200);
    const byDefault = await metrics('mixed-nps');
    expect(byDefault.source).to.equal('identified');
    expect(byDefault.overall.n).to.equal(1);
    expect((await metrics('mixed-nps', { source: 'all' })).overall.n).to.equal(3);

    const listed = await ctx.api.get('/api/v1/responses').query({ survey: 'mixed-nps', source: 'anonymous' }).expect(200);
    expect(listed.body.responses.map((r: { source: string }) => r.source)).to.deep.equal(['anonymous', 'anonymous']);

    const { agent } = await ctx.signIn('viewer');
    const dashboard = await agent.get('/dashboard/mixed-nps?source=anonymous').expect(200);
    expect(dashboard.text).to.contain('Anonymous web-link answers only');
    expect(dashboard.text).to.match(/2 responses/);
    const identifiedPage = await agent.get('/dashboard/mixed-nps').expect(200);
    expect(identifiedPage.text).to.match(/1 response\b(?!s)/);
  });

  it('gives a signed link\'s answer to its customer, with the link\'s properties, one answer per link', async () => {
    await activeSurvey(ctx, { key: 'signed-nps', channel: 'link' });
    const secret = await linkSecret();
    const query = signed(secret, 'customer=cust-42&email=ada%40example.com&region=north&plan=pro');
    const page = await http.get(`/s/signed-nps?${query}`).expect(200);
    // The form posts back to the link as signed.
    expect(unescape(page.text)).to.contain(`action="/s/signed-nps?${query}"`);
    await http.post(`/s/signed-nps?${query}`).type('form').send({ score: '6', comment: 'slow', ...PERSON }).expect(200);
    let rows = await responses();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 6, comment: 'slow', source: 'signed', channel: 'link' });
    expect(JSON.parse(rows[0].properties)).to.deep.equal({ region: 'north', plan: 'pro' });
    const customer = await ctx.deps.db('customers').where({ id: rows[0].customer_id }).first();
    expect(customer).to.include({ external_id: 'cust-42', email: 'ada@example.com' });

    // The same link again changes that answer (within the edit window); the customer's timeline has it.
    const again = await http.get(`/s/signed-nps?${query}`).expect(200);
    expect(checkedScore(again.text)).to.equal('6');
    await http.post(`/s/signed-nps?${query}`).type('form').send({ score: '7', ...PERSON }).expect(200);
    rows = await responses();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 7, comment: 'slow' });
    const segments = await metrics('signed-nps', { segment: 'region' });
    expect(segments.segments.north.n).to.equal(1);
    const timeline = await ctx.api.get('/api/v1/customers/cust-42/timeline').expect(200);
    expect(JSON.stringify(timeline.body)).to.contain('"score":7');

    // After the edit window the page shows the answer and takes no other.
    ctx.clock.advance(49 * HOUR);
    const closed = await http.get(`/s/signed-nps?${query}`).expect(200);
    expect(closed.text).to.contain('Your score: 7 of 10');
    expect(closed.text).not.to.contain('type="radio"');
    await http.post(`/s/signed-nps?${query}`).type('form').send({ score: '1', ...PERSON }).expect(200);
    expect((await responses())[0].score).to.equal(7);
  });

  it('refuses a bad signature, a changed link and an expired one; an erased customer\'s link answers 410', async () => {
    await activeSurvey(ctx, { key: 'signed-nps', channel: 'link' });
    const secret = await linkSecret();
    const good = signed(secret, 'customer=cust-7&region=north');
    await http.get(`/s/signed-nps?${good.replace('north', 'south')}`).expect(404);
    await http.post(`/s/signed-nps?${good.replace('north', 'south')}`).type('form').send({ score: '9', ...PERSON }).expect(404);
    await http.get(`/s/signed-nps?customer=cust-7&region=north&sig=${'0'.repeat(64)}`).expect(404);
    await http.get('/s/signed-nps?customer=cust-7').expect(404);
    await http.get(`/s/signed-nps?${signed('not-the-secret', 'customer=cust-7')}`).expect(404);
    const expires = Math.floor((ctx.clock.now().getTime() - DAY) / 1000);
    await http.get(`/s/signed-nps?${signed(secret, `customer=cust-7&expires=${expires}`)}`).expect(410);
    expect(await responses()).to.have.length(0);

    await http.post(`/s/signed-nps?${good}`).type('form').send({ score: '9', ...PERSON }).expect(200);
    await ctx.api.post('/api/v1/customers/cust-7/erase').expect(200);
    await http.get(`/s/signed-nps?${good}`).expect(410);
    await http.post(`/s/signed-nps?${good}`).type('form').send({ score: '1', ...PERSON }).expect(410);
    expect(await responses()).to.have.length(1);
    expect((await responses())[0].score).to.equal(9);
  });

  it('lets an admin replace the link secret: links signed with the old one stop working', async () => {
    await activeSurvey(ctx, { key: 'signed-nps', channel: 'link' });
    const old = await linkSecret();
    const { agent, csrf } = await ctx.signIn('admin');
    await agent.post('/settings/link-secret').type('form').send({ _csrf: csrf }).expect(303);
    const fresh = await linkSecret();
    expect(fresh).not.to.equal(old);
    await http.get(`/s/signed-nps?${signed(old, 'customer=c-1')}`).expect(404);
    await http.get(`/s/signed-nps?${signed(fresh, 'customer=c-1')}`).expect(200);
    const { agent: editor } = await ctx.signIn('editor');
    await editor.get('/settings').expect(403);
  });

  it('picks the language from ?lang=, then Accept-Language', async () => {
    await activeSurvey(ctx, { key: 'website-nps', channel: 'link' });
    const byQuery = await http.get('/s/website-nps?lang=de').expect(200);
    expect(byQuery.text).to.contain('lang="de"');
    expect(byQuery.text).to.contain('Wie wahrscheinlich');
    const byHeader = await http.get('/s/website-nps').set('Accept-Language', 'de-AT,de;q=0.9,en;q=0.5').expect(200);
    expect(byHeader.text).to.contain('lang="de"');
    const english = await http.get('/s/website-nps').set('Accept-Language', 'fr').expect(200);
    expect(english.text).to.contain('lang="en"');
    await activeSurvey(ctx, { key: 'german-nps', default_locale: 'de', channel: 'link' });
    const german = await http.get('/s/german-nps').expect(200);
    expect(german.text, 'no language asked: the survey default').to.contain('lang="de"');
    await http.post('/s/website-nps').type('form').send({ score: '3', lang: 'de', ...PERSON }).expect(200);
    expect((await ctx.deps.db('responses').first()).locale).to.equal('de');
  });

  it('answers unknown and inactive surveys with a 404 page, and refuses bad scores', async () => {
    await http.get('/s/no-such-survey').expect(404);
    await http.get('/s/NOT%20A%20KEY').expect(404);
    await activeSurvey(ctx, { key: 'paused-nps', status: 'paused', channel: 'link' });
    const paused = await http.get('/s/paused-nps').expect(404);
    expect(unescape(paused.text)).not.to.contain('recommend');
    await http.post('/s/paused-nps').type('form').send({ score: '9' }).expect(404);
    await activeSurvey(ctx, { key: 'website-nps', channel: 'link' });
    const bad = await http.post('/s/website-nps').type('form').send({ score: '99', comment: 'typed' }).expect(422);
    expect(bad.text).to.contain('typed');
    expect(await ctx.deps.db('responses')).to.have.length(0);
  });

  it('limits anonymous answers from one address to 20 an hour, counted in the database so every process sees it', async () => {
    await activeSurvey(ctx, { key: 'website-nps', channel: 'link' });
    for (let i = 0; i < 20; i++) await http.post('/s/website-nps').type('form').send({ score: '9', ...PERSON }).expect(200);
    const limited = await http.post('/s/website-nps').type('form').send({ score: '9', ...PERSON }).expect(429);
    expect(limited.text).to.contain('Too many answers');
    expect(await ctx.deps.db('responses')).to.have.length(20);
    // A second app process on the same database has the same count.
    const second = supertest(createApp(ctx.deps));
    await second.post('/s/website-nps').type('form').send({ score: '9', ...PERSON }).expect(429);
    ctx.clock.advance(HOUR);
    await second.post('/s/website-nps').type('form').send({ score: '9', ...PERSON }).expect(200);
    expect(await ctx.deps.db('responses')).to.have.length(21);
  });

  it('never alerts a survey owner about an anonymous answer, but does about a signed one', async () => {
    const survey = await activeSurvey(ctx, { key: 'alert-nps', channel: 'link' });
    const secret = await linkSecret();
    const admin = await ctx.deps.db('users').where({ email: 'admin@example.com' }).first();
    await ctx.deps.db('survey_owners').insert({ survey_id: survey.id, user_id: admin.id, since: new Date(0).toISOString() });
    await http.post('/s/alert-nps').type('form').send({ score: '0', comment: 'Urgent: log in at https://phish.example', ...PERSON }).expect(200);
    await http.post(`/s/alert-nps?${signed(secret, 'customer=c-9')}`).type('form').send({ score: '1', comment: 'A real complaint', ...PERSON }).expect(200);
    const { runFollowUpAlerts } = await import('../../server/followups/alerts.ts');
    const result = await runFollowUpAlerts(ctx.deps);
    expect(result.sent).to.have.length(1);
    const mail = await ctx.deps.db('mailbox_messages').orderBy('id');
    expect(mail.map((m) => m.text).join('\n')).to.contain('A real complaint');
    expect(mail.map((m) => m.text).join('\n')).not.to.contain('phish');
  });
});
