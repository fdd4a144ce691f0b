import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { HOUR, DAY } from '../../server/clock.ts';
import { toCount } from '../../server/db/dialect.ts';

const SECOND = 1000;
/** The id of the open a page was rendered for (the page sends it back with the answer). */
const openIdOf = (html: string) => /name="view" value="(\d+)"/.exec(html)?.[1];
const checkedScore = (html: string) => /value="(\d+)" checked/.exec(html)?.[1];
const unescape = (html: string) => html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('answering a survey (/r/:token)', () => {
  let ctx: TestContext;
  let http: ReturnType<typeof supertest>;

  before(async () => {
    ctx = await createTestContext();
    http = supertest(ctx.app);
  });
  after(async () => ctx?.close());

  const responsesOf = (invitationId: number) => ctx.deps.db('responses').where({ invitation_id: invitationId });
  const rollup = async (surveyId: number) => {
    const rows: { score: number; count: number }[] = await ctx.deps.db('response_daily').where({ survey_id: surveyId }).select('score', 'count');
    return Object.fromEntries(rows.filter((r) => toCount(r.count) !== 0).map((r) => [Number(r.score), toCount(r.count)]));
  };
  const clicksOf = (invitationId: number) => ctx.deps.db('link_clicks').where({ invitation_id: invitationId }).orderBy('id');
  /** An invitation sent a while ago, so that its answers are not "seconds after sending". */
  async function sentInvitation(opts: Parameters<typeof seedInvitation>[1] = {}) {
    const seeded = await seedInvitation(ctx, { state: 'sent', ...opts });
    ctx.clock.advance(10 * 60 * SECOND);
    return seeded;
  }

  it('renders the page for a score link, with the score selected, and stores no answer (GET nor HEAD)', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'get-nps' });
    const res = await http.get(`/r/${token}?score=9`).set('User-Agent', 'Mozilla/5.0 test').expect(200);
    expect(res.headers['content-type']).to.match(/html/);
    expect(res.text).to.contain('lang="en"');
    expect(unescape(res.text)).to.contain('How likely are you to recommend us');
    expect(checkedScore(res.text)).to.equal('9');
    expect(res.text.match(/type="radio" name="score"/g)).to.have.length(11);
    expect(res.text).to.contain('<textarea id="comment" name="comment"');
    expect(res.text).to.contain('What is the main reason for your score?');
    expect(res.text).to.contain('type="submit"');
    expect(res.text).to.contain('/public/js/survey.js');
    expect(res.text).to.contain('/public/css/survey.css');
    expect(res.text).to.contain('data-autosave="1"');
    expect(res.headers['cache-control']).to.equal('no-store');

    await http.head(`/r/${token}?score=3`).expect(200);

    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await rollup(survey.id)).to.deep.equal({});
    const clicks = await clicksOf(invitationId);
    expect(clicks).to.have.length(1);
    expect(clicks[0]).to.include({ kind: 'open', score: 9, user_agent: 'Mozilla/5.0 test' });
    const invitation = await ctx.deps.db('invitations').where({ id: invitationId }).first();
    expect(invitation.state).to.equal('sent');
  });

  it('shows nothing selected for a score that is not on the scale', async () => {
    const { token, invitationId } = await sentInvitation();
    for (const score of ['99', 'abc', '-1', '5.5', '']) {
      const res = await http.get(`/r/${token}`).query({ score }).expect(200);
      expect(checkedScore(res.text), score).to.equal(undefined);
      expect(res.text).not.to.contain('data-autosave');
    }
    await http.get(`/r/${token}?score=1&score=2`).expect(200);
    expect(await responsesOf(invitationId)).to.have.length(0);
  });

  it('stores one response from the POST, with the event properties, and counts it in the daily rollup', async () => {
    const { token, invitationId, survey, customerId } = await sentInvitation({ surveyKey: 'post-nps', properties: { region: 'south' } });
    const page = await http.get(`/r/${token}?score=9`).expect(200);
    const res = await http
      .post(`/r/${token}`)
      .type('form')
      .send({ score: '9', comment: 'Quick delivery', trigger: 'nojs', view: openIdOf(page.text) })
      .expect(200);
    expect(res.text).to.contain('Thank you for your feedback.');
    expect(res.text).to.contain('Your score: 9 of 10');
    expect(res.text).to.contain('Quick delivery');
    expect(res.text).to.contain('You can change your answer until');

    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: 'Quick delivery', channel: 'email', locale: 'en', survey_id: survey.id, customer_id: customerId });
    expect(JSON.parse(rows[0].properties)).to.deep.equal({ region: 'south' });
    expect(rows[0].answered_at).to.equal(ctx.clock.now().toISOString());
    expect(await rollup(survey.id)).to.deep.equal({ 9: 1 });
    const invitation = await ctx.deps.db('invitations').where({ id: invitationId }).first();
    expect(invitation.state).to.equal('responded');
    expect(invitation.responded_at).to.equal(ctx.clock.now().toISOString());
  });

  it('updates the answer within the edit window (no second row, the rollup moves), then shows it and changes nothing', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'edit-nps' });
    await http.post(`/r/${token}`).type('form').send({ score: '9', trigger: 'auto' }).set('Accept', 'application/json').expect(200);
    expect(await rollup(survey.id)).to.deep.equal({ 9: 1 });

    ctx.clock.advance(2 * HOUR);
    const again = await http.get(`/r/${token}?score=6`).expect(200);
    expect(checkedScore(again.text)).to.equal('6');
    expect(again.text).to.contain('You answered 9 earlier');
    await http.post(`/r/${token}`).type('form').send({ score: '6', comment: 'Changed my mind', trigger: 'click' }).expect(200);
    let rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 6, comment: 'Changed my mind' });
    expect(await rollup(survey.id)).to.deep.equal({ 6: 1 });

    // The background save sends no comment: the stored one stays.
    await http.post(`/r/${token}`).type('form').send({ score: '7', trigger: 'auto' }).set('Accept', 'application/json').expect(200);
    rows = await responsesOf(invitationId);
    expect(rows[0]).to.include({ score: 7, comment: 'Changed my mind' });

    ctx.clock.advance(47 * HOUR);
    const closed = await http.get(`/r/${token}?score=2`).expect(200);
    expect(closed.text).to.contain('You have already answered this survey');
    expect(closed.text).to.contain('Your score: 7 of 10');
    expect(closed.text).to.contain('Changed my mind');
    expect(closed.text).not.to.contain('type="radio"');
    expect(closed.text).not.to.contain('<form');

    const late = await http.post(`/r/${token}`).type('form').send({ score: '2', comment: 'late', trigger: 'nojs' }).expect(200);
    expect(late.text).to.contain('Your score: 7 of 10');
    rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 7, comment: 'Changed my mind' });
    expect(await rollup(survey.id)).to.deep.equal({ 7: 1 });
  });

  it('keeps one response when answers to one invitation arrive together', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'race-nps' });
    const results = await Promise.all(
      [9, 9, 8, 9, 9].map((score) => http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: String(score), trigger: 'auto' })),
    );
    expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    const counts = await rollup(survey.id);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(1);
    expect(counts[rows[0].score]).to.equal(1);
  });

  it('answers JSON to the page script and HTML otherwise', async () => {
    const { token, invitationId } = await sentInvitation();
    const res = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '10', trigger: 'auto' }).expect(200);
    expect(res.headers['content-type']).to.match(/json/);
    expect(res.body).to.include({ saved: true, score: 10 });
    expect(res.body.editable_until).to.be.a('string');
    const bad = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '11', trigger: 'auto' }).expect(422);
    expect(bad.body.saved).to.equal(false);
    expect(bad.body.errors[0].field).to.equal('score');
    expect((await responsesOf(invitationId))[0].score).to.equal(10);
  });

  it('answers an unknown token with a 404 page that reveals nothing', async () => {
    const { token } = await sentInvitation({ surveyKey: 'secret-project-nps' });
    const wrong = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const path of [`/r/${wrong}?score=9`, '/r/short', `/r/${'x'.repeat(400)}`]) {
      const res = await http.get(path).expect(404);
      expect(res.headers['content-type']).to.match(/html/);
      expect(res.text).to.contain('This link does not work');
      expect(unescape(res.text)).not.to.contain('recommend');
      expect(res.text).not.to.contain('secret-project');
      expect(res.text).not.to.contain('<form');
    }
    await http.post(`/r/${wrong}`).type('form').send({ score: '9' }).expect(404);
    await http.head(`/r/${wrong}`).expect(404);
  });

  it('answers an expired link with 410, on GET and POST', async () => {
    const { token, invitationId } = await sentInvitation();
    ctx.clock.advance(31 * DAY);
    const res = await http.get(`/r/${token}?score=9`).expect(410);
    expect(res.text).to.contain('This survey has closed');
    expect(res.text).not.to.contain('<form');
    await http.post(`/r/${token}`).type('form').send({ score: '9', trigger: 'nojs' }).expect(410);
    expect(await responsesOf(invitationId)).to.have.length(0);
  });

  it('stores nothing when a scanner opens several score links and its pages post, then counts the person a minute later', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'scanner-nps' });
    const pages = await Promise.all([0, 5, 10].map((score) => http.get(`/r/${token}?score=${score}`).set('User-Agent', 'HeadlessChrome').expect(200)));
    ctx.clock.advance(4 * SECOND);
    for (const [i, score] of [0, 5, 10].entries()) {
      const res = await http
        .post(`/r/${token}`)
        .type('form')
        .set('Accept', 'application/json')
        .send({ score: String(score), trigger: 'auto', view: openIdOf(pages[i].text) })
        .expect(200);
      expect(res.body.saved, 'looks saved to the scanner').to.equal(true);
    }
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await rollup(survey.id)).to.deep.equal({});
    const automated = await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'automated' }).orderBy('id');
    expect(automated.map((c) => c.score)).to.deep.equal([0, 5, 10]);
    expect(automated.every((c) => c.signal === 'different_scores')).to.equal(true);
    const invitation = await ctx.deps.db('invitations').where({ id: invitationId }).first();
    expect(invitation.state).to.equal('sent');

    ctx.clock.advance(60 * SECOND);
    const page = await http.get(`/r/${token}?score=7`).expect(200);
    expect(page.text, 'the person is not told they already answered').not.to.contain('earlier');
    await http.post(`/r/${token}`).type('form').send({ score: '7', comment: 'real', trigger: 'click', view: openIdOf(page.text) }).expect(200);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 7, comment: 'real' });
    expect(await rollup(survey.id)).to.deep.equal({ 7: 1 });
  });

  it('answers the trap link with a neutral page, and ignores an answer right after it', async () => {
    const { token, invitationId } = await sentInvitation();
    const trap = await http.get(`/r/${token}/t`).expect(200);
    expect(trap.text).not.to.contain('<form');
    expect(unescape(trap.text)).not.to.contain('recommend');
    await http.head(`/r/${token}/t`).expect(200);
    expect(await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'trap' })).to.have.length(1);

    const page = await http.get(`/r/${token}?score=10`).expect(200);
    ctx.clock.advance(1 * SECOND);
    await http.post(`/r/${token}`).type('form').send({ score: '10', trigger: 'auto', view: openIdOf(page.text) }).expect(200);
    expect(await responsesOf(invitationId)).to.have.length(0);
    const automated = await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'automated' });
    expect(automated).to.have.length(1);
    expect(automated[0].signal).to.equal('trap_link');

    await http.get(`/r/not-a-real-token-at-all-000/t`).expect(200);
  });

  it('ignores an answer seconds after sending', async () => {
    const { token, invitationId } = await seedInvitation(ctx, { state: 'sent' });
    ctx.clock.advance(2 * SECOND);
    await http.post(`/r/${token}`).type('form').send({ score: '8', trigger: 'auto' }).expect(200);
    expect(await responsesOf(invitationId)).to.have.length(0);
    const automated = await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'automated' });
    expect(automated[0].signal).to.equal('just_sent');
  });

  it('speaks German to a German invitation', async () => {
    const { token, invitationId } = await sentInvitation({ locale: 'de' });
    const res = await http.get(`/r/${token}?score=8`).expect(200);
    expect(res.text).to.contain('lang="de"');
    expect(res.text).to.contain('Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?');
    expect(res.text).to.contain('Was ist der wichtigste Grund für Ihre Bewertung?');
    expect(res.text).to.contain('Senden');
    const thanks = await http.post(`/r/${token}`).type('form').send({ score: '8', trigger: 'nojs' }).expect(200);
    expect(thanks.text).to.contain('Vielen Dank für Ihr Feedback.');
    expect(thanks.text).to.contain('Ihre Bewertung: 8 von 10');
    expect((await responsesOf(invitationId))[0].locale).to.equal('de');
    const bad = await http.post(`/r/${token}`).type('form').send({ score: 'x' }).expect(422);
    expect(bad.text).to.contain('Bitte wählen Sie eine Bewertung von 0 bis 10.');
  });

  it('shows the edit deadline in the customer\'s time zone, and copes with one it does not know', async () => {
    const berlin = await sentInvitation({ locale: 'de' });
    await ctx.deps.db('customers').where({ id: berlin.customerId }).update({ time_zone: 'Europe/Berlin' });
    const thanks = await http.post(`/r/${berlin.token}`).type('form').send({ score: '8', trigger: 'nojs' }).expect(200);
    expect(thanks.text).to.match(/Sie können Ihre Antwort bis .* (MEZ|MESZ) ändern\./);

    const nowhere = await sentInvitation();
    await ctx.deps.db('customers').where({ id: nowhere.customerId }).update({ time_zone: 'Mars/Olympus_Mons' });
    const page = await http.post(`/r/${nowhere.token}`).type('form').send({ score: '8', trigger: 'nojs' }).expect(200);
    expect(page.text).to.match(/You can change your answer until .* UTC\./);
  });

  it('uses the scale of the survey: CSAT 1–5', async () => {
    const { token, invitationId } = await sentInvitation({ surveyKey: 'support-csat', metric: 'csat' });
    const res = await http.get(`/r/${token}?score=5`).expect(200);
    expect(res.text.match(/type="radio" name="score"/g)).to.have.length(5);
    expect(checkedScore(res.text)).to.equal('5');
    await http.post(`/r/${token}`).type('form').send({ score: '0' }).expect(422);
    await http.post(`/r/${token}`).type('form').send({ score: '5' }).expect(200);
    expect((await responsesOf(invitationId))[0].score).to.equal(5);
  });

  it('refuses bad input with a 4xx page naming the field, keeps the typed comment, never 500', async () => {
    const { token, invitationId } = await sentInvitation();
    const out = await http.post(`/r/${token}`).type('form').send({ score: '99', comment: 'Kept <b>as typed</b>', trigger: 'nojs' }).expect(422);
    expect(out.text).to.contain('id="score-error"');
    expect(out.text).to.contain('Please choose a score from 0 to 10.');
    expect(out.text).to.match(/aria-describedby="scale-hint score-error"/);
    expect(out.text).to.contain('Kept &lt;b&gt;as typed&lt;/b&gt;');

    await http.post(`/r/${token}`).type('form').send({ score: 'abc' }).expect(422);
    await http.post(`/r/${token}`).type('form').send({}).expect(422);
    await http.post(`/r/${token}`).type('form').send('score=1&score=2').expect(422);
    await http.post(`/r/${token}`).type('form').send('score=5&comment=a&comment=b').expect(422);
    const long = await http.post(`/r/${token}`).type('form').send({ score: '5', comment: 'é'.repeat(2001) }).expect(422);
    expect(long.text).to.contain('id="comment-error"');
    const huge = await http.post(`/r/${token}`).type('form').send({ score: '5', comment: 'x'.repeat(100 * 1024) });
    expect(huge.status).to.be.within(400, 499);
    await http.post(`/r/${token}`).type('json').send({ score: 5 }).expect(422);
    expect(await responsesOf(invitationId)).to.have.length(0);

    const odd = 'Ünïcödé ✓ 👍🏽 مرحبا עברית e\u0301 \u200b\u0000end\uFFFD';
    await http.post(`/r/${token}`).type('form').send({ score: '5', comment: odd, trigger: 'nojs' }).expect(200);
    const [row] = await responsesOf(invitationId);
    expect(row.comment).to.equal('Ünïcödé ✓ 👍🏽 مرحبا עברית é \u200bend\uFFFD');
    const page = await http.get(`/r/${token}`).expect(200);
    expect(page.text).to.contain('👍🏽');
  });
});

describe('the web link (/s/:survey)', () => {
  let ctx: TestContext;
  let http: ReturnType<typeof supertest>;

  beforeEach(async () => {
    ctx = await createTestContext();
    http = supertest(ctx.app);
  });
  afterEach(async () => ctx?.close());

  it('renders an active survey with nothing selected and stores a web response', async () => {
    const survey = await activeSurvey(ctx, { key: 'website-nps' });
    const page = await http.get('/s/website-nps').expect(200);
    expect(unescape(page.text)).to.contain('How likely are you to recommend us');
    expect(checkedScore(page.text)).to.equal(undefined);
    expect(page.text).not.to.contain('data-autosave');

    const res = await http.post('/s/website-nps').type('form').send({ score: '8', comment: 'From the website', trigger: 'click', lang: 'en' }).expect(200);
    expect(res.text).to.contain('Thank you for your feedback.');
    const rows = await ctx.deps.db('responses').where({ survey_id: survey.id });
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 8, comment: 'From the website', channel: 'web', invitation_id: null, customer_id: null, locale: 'en' });
    const daily = await ctx.deps.db('response_daily').where({ survey_id: survey.id });
    expect(daily.map((d) => [Number(d.score), toCount(d.count)])).to.deep.equal([[8, 1]]);
  });

  it('picks the language from ?lang=, then Accept-Language', async () => {
    await activeSurvey(ctx, { key: 'website-nps' });
    const byQuery = await http.get('/s/website-nps?lang=de').expect(200);
    expect(byQuery.text).to.contain('lang="de"');
    expect(byQuery.text).to.contain('Wie wahrscheinlich');
    const byHeader = await http.get('/s/website-nps').set('Accept-Language', 'de-AT,de;q=0.9,en;q=0.5').expect(200);
    expect(byHeader.text).to.contain('lang="de"');
    const english = await http.get('/s/website-nps').set('Accept-Language', 'fr').expect(200);
    expect(english.text).to.contain('lang="en"');
    await activeSurvey(ctx, { key: 'german-nps', default_locale: 'de' });
    const german = await http.get('/s/german-nps').expect(200);
    expect(german.text, 'no language asked: the survey default').to.contain('lang="de"');
    await http.post('/s/website-nps').type('form').send({ score: '3', lang: 'de' }).expect(200);
    expect((await ctx.deps.db('responses').first()).locale).to.equal('de');
  });

  it('answers unknown and inactive surveys with a 404 page, and refuses bad scores', async () => {
    await http.get('/s/no-such-survey').expect(404);
    await http.get('/s/NOT%20A%20KEY').expect(404);
    await activeSurvey(ctx, { key: 'paused-nps', status: 'paused' });
    const paused = await http.get('/s/paused-nps').expect(404);
    expect(unescape(paused.text)).not.to.contain('recommend');
    await http.post('/s/paused-nps').type('form').send({ score: '9' }).expect(404);
    await activeSurvey(ctx, { key: 'website-nps' });
    const bad = await http.post('/s/website-nps').type('form').send({ score: '99', comment: 'typed' }).expect(422);
    expect(bad.text).to.contain('typed');
    expect(await ctx.deps.db('responses')).to.have.length(0);
  });

  it('limits answers from one address to 20 a minute', async () => {
    await activeSurvey(ctx, { key: 'website-nps' });
    for (let i = 0; i < 20; i++) await http.post('/s/website-nps').type('form').send({ score: '9' }).expect(200);
    const limited = await http.post('/s/website-nps').type('form').send({ score: '9' }).expect(429);
    expect(limited.text).to.contain('Too many answers');
    expect(await ctx.deps.db('responses')).to.have.length(20);
    // A new app instance has its own counter.
    const other = await createTestContext();
    try {
      await activeSurvey(other, { key: 'website-nps' });
      await supertest(other.app).post('/s/website-nps').type('form').send({ score: '9' }).expect(200);
    } finally {
      await other.close();
    }
  });
});
