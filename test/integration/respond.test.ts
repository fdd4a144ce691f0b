import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { HOUR, DAY } from '../../server/clock.ts';
import { toCount } from '../../server/db/dialect.ts';
import { settleDueAnswers } from '../../server/responses/settle.ts';

const SECOND = 1000;
/** ANSWER_SETTLE_SECONDS by default. */
const SETTLE = 600 * SECOND;
/** What the page sends when a person pressed Send after using it. */
const PERSON = { trigger: 'click', input: 'pointer' };
/** The id of the open a page was rendered for (the page sends it back with the answer). */
const openIdOf = (html: string) => /name="view" value="(\d+)"/.exec(html)?.[1];
const checkedScore = (html: string) => /value="(\d+)" checked/.exec(html)?.[1];
const unescape = (html: string) => html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('answering a survey (/r/:token)', () => {
  const ctx = withTestContext();
  let http: ReturnType<typeof supertest>;

  before(async () => {
    http = supertest(ctx.app);
  });

  const responsesOf = (invitationId: number) => ctx.deps.db('responses').where({ invitation_id: invitationId });
  const rollup = async (surveyId: number) => {
    const rows: { score: number; count: number }[] = await ctx.deps.db('response_daily').where({ survey_id: surveyId }).select('score', 'count');
    return Object.fromEntries(rows.filter((r) => toCount(r.count) !== 0).map((r) => [Number(r.score), toCount(r.count)]));
  };
  const answersOf = (invitationId: number) => ctx.deps.db('answers').where({ invitation_id: invitationId }).orderBy('id');
  const metricsOf = async (survey: string) => (await ctx.api.get('/api/v1/metrics').query({ survey }).expect(200)).body;
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

  it('counts a person\'s answer (Send after input) at once, with the event properties, however soon after sending', async () => {
    const { token, invitationId, survey, customerId } = await seedInvitation(ctx, { state: 'sent', surveyKey: 'post-nps', properties: { region: 'south' } });
    ctx.clock.advance(1 * SECOND);
    const page = await http.get(`/r/${token}?score=9`).expect(200);
    const res = await http
      .post(`/r/${token}`)
      .type('form')
      .send({ score: '9', comment: 'Quick delivery', ...PERSON, view: openIdOf(page.text) })
      .expect(200);
    expect(res.text).to.contain('Thank you for your feedback.');
    expect(res.text).to.contain('Your score: 9 of 10');
    expect(res.text).to.contain('Quick delivery');
    expect(res.text).to.contain('You can change your answer until');

    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: 'Quick delivery', channel: 'email', source: 'invitation', locale: 'en', survey_id: survey.id, customer_id: customerId });
    expect(JSON.parse(rows[0].properties)).to.deep.equal({ region: 'south' });
    expect(rows[0].answered_at).to.equal(ctx.clock.now().toISOString());
    expect(await rollup(survey.id)).to.deep.equal({ 9: 1 });
    const invitation = await ctx.deps.db('invitations').where({ id: invitationId }).first();
    expect(invitation.state).to.equal('responded');
    expect(invitation.responded_at).to.equal(ctx.clock.now().toISOString());
    const [answer] = await answersOf(invitationId);
    expect(answer).to.include({ state: 'settled', reason: 'person', trigger: 'click', input: 'pointer', score: 9, response_id: rows[0].id, seconds_since_sent: 1 });
  });

  it('holds an answer the page saved on its own, counts it once the settle window has passed, dated when it was given', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'held-nps' });
    const page = await http.get(`/r/${token}?score=8`).expect(200);
    const givenAt = ctx.clock.now().toISOString();
    const res = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '8', trigger: 'auto', view: openIdOf(page.text) }).expect(200);
    expect(res.body).to.include({ saved: true, state: 'held', score: 8 });
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await rollup(survey.id)).to.deep.equal({});
    let metrics = await metricsOf('held-nps');
    expect(metrics.overall).to.include({ n: 0, held: 1 });
    expect(metrics.series.reduce((sum: number, b: { held: number }) => sum + b.held, 0)).to.equal(1);
    // The page shows the stored (held) answer.
    const again = await http.get(`/r/${token}`).expect(200);
    expect(checkedScore(again.text)).to.equal('8');

    ctx.clock.advance(SETTLE - SECOND);
    expect((await settleDueAnswers(ctx.deps)).settled).to.deep.equal([]);
    ctx.clock.advance(SECOND);
    const settled = await settleDueAnswers(ctx.deps);
    expect(settled.settled).to.have.length(1);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 8, answered_at: givenAt, comment: null });
    expect(await rollup(survey.id)).to.deep.equal({ 8: 1 });
    metrics = await metricsOf('held-nps');
    expect(metrics.overall).to.include({ n: 1, held: 0 });
    const [answer] = await answersOf(invitationId);
    expect(answer).to.include({ state: 'settled', reason: 'settle_window', trigger: 'auto', response_id: rows[0].id });
    expect((await ctx.deps.db('invitations').where({ id: invitationId }).first()).state).to.equal('responded');
    // A second pass finds nothing to do.
    expect(await settleDueAnswers(ctx.deps)).to.deep.equal({ settled: [], discarded: [] });
  });

  it('holds a form sent without the page\'s script, and a Send with no input before it', async () => {
    const { token, invitationId } = await sentInvitation();
    await http.post(`/r/${token}`).type('form').send({ score: '6', comment: 'no script here', trigger: 'nojs' }).expect(200);
    await http.post(`/r/${token}`).type('form').send({ score: '7', trigger: 'click' }).expect(200);
    const answers = await answersOf(invitationId);
    expect(answers.map((a) => [a.state, a.reason, a.trigger])).to.deep.equal([
      ['discarded', 'replaced', 'nojs'],
      ['held', 'held', 'click'],
    ]);
    expect(await responsesOf(invitationId)).to.have.length(0);
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    // A held answer that sent no comment keeps none; one that did would keep it.
    expect((await responsesOf(invitationId))[0]).to.include({ score: 7, comment: null });
  });

  it('updates the answer within the edit window (no second row, the rollup moves), then shows it and changes nothing', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'edit-nps' });
    await http.post(`/r/${token}`).type('form').send({ score: '9', ...PERSON }).expect(200);
    expect(await rollup(survey.id)).to.deep.equal({ 9: 1 });

    ctx.clock.advance(2 * HOUR);
    const again = await http.get(`/r/${token}?score=6`).expect(200);
    expect(checkedScore(again.text)).to.equal('6');
    expect(again.text).to.contain('You answered 9 earlier');
    await http.post(`/r/${token}`).type('form').send({ score: '6', comment: 'Changed my mind', ...PERSON }).expect(200);
    let rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 6, comment: 'Changed my mind' });
    expect(await rollup(survey.id)).to.deep.equal({ 6: 1 });

    // An hour later the score-7 link is opened and its page saves on its own: no comment is sent, so once it settles the stored comment stays.
    ctx.clock.advance(HOUR);
    const seven = await http.get(`/r/${token}?score=7`).expect(200);
    await http.post(`/r/${token}`).type('form').send({ score: '7', trigger: 'auto', view: openIdOf(seven.text) }).set('Accept', 'application/json').expect(200);
    expect((await responsesOf(invitationId))[0]).to.include({ score: 6 });
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    rows = await responsesOf(invitationId);
    expect(rows[0]).to.include({ score: 7, comment: 'Changed my mind' });

    ctx.clock.advance(46 * HOUR);
    const closed = await http.get(`/r/${token}?score=2`).expect(200);
    expect(closed.text).to.contain('You have already answered this survey');
    expect(closed.text).to.contain('Your score: 7 of 10');
    expect(closed.text).to.contain('Changed my mind');
    expect(closed.text).not.to.contain('type="radio"');
    expect(closed.text).not.to.contain('<form');

    const late = await http.post(`/r/${token}`).type('form').send({ score: '2', comment: 'late', ...PERSON }).expect(200);
    expect(late.text).to.contain('Your score: 7 of 10');
    rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 7, comment: 'Changed my mind' });
    expect(await rollup(survey.id)).to.deep.equal({ 7: 1 });
  });

  it('keeps one response when answers to one invitation arrive together', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'race-nps' });
    const results = await Promise.all(
      [9, 9, 8, 9, 9].map((score) => http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: String(score), ...PERSON })),
    );
    expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    const counts = await rollup(survey.id);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(1);
    expect(counts[rows[0].score]).to.equal(1);
    expect(await answersOf(invitationId)).to.have.length(5);
  });

  it('answers JSON to the page script and HTML otherwise', async () => {
    const { token, invitationId } = await sentInvitation();
    const res = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '10', ...PERSON }).expect(200);
    expect(res.headers['content-type']).to.match(/json/);
    expect(res.body).to.include({ saved: true, state: 'settled', score: 10 });
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
    await http.post(`/r/${token}`).type('form').send({ score: '9', ...PERSON }).expect(410);
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await answersOf(invitationId)).to.have.length(0);
  });

  it('discards a scanner\'s answers (several score links opened, their pages posting on their own), keeps them visible, then counts the person', async () => {
    const { token, invitationId, survey } = await sentInvitation({ surveyKey: 'scanner-nps' });
    const pages = await Promise.all([0, 5, 10].map((score) => http.get(`/r/${token}?score=${score}`).set('User-Agent', 'HeadlessChrome').expect(200)));
    ctx.clock.advance(4 * SECOND);
    const replies = [];
    for (const [i, score] of [0, 5, 10].entries()) {
      const res = await http
        .post(`/r/${token}`)
        .type('form')
        .set('Accept', 'application/json')
        .send({ score: String(score), trigger: 'auto', view: openIdOf(pages[i].text) })
        .expect(200);
      replies.push(res.body);
    }
    // The page never calls a discarded answer saved.
    expect(replies.map((r) => [r.saved, r.state])).to.deep.equal([
      [false, 'discarded'],
      [false, 'discarded'],
      [false, 'discarded'],
    ]);
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await rollup(survey.id)).to.deep.equal({});
    const answers = await answersOf(invitationId);
    expect(answers.map((a) => [a.score, a.state, a.reason])).to.deep.equal([
      [0, 'discarded', 'different_scores'],
      [5, 'discarded', 'different_scores'],
      [10, 'discarded', 'different_scores'],
    ]);
    expect((await ctx.deps.db('invitations').where({ id: invitationId }).first()).state).to.equal('sent');
    expect((await metricsOf('scanner-nps')).overall).to.include({ n: 0, held: 0 });
    // Kept visible in the delivery log, each with its reason.
    const { agent } = await ctx.signIn('editor');
    const log = await agent.get(`/deliveries/${invitationId}`).expect(200);
    expect(log.text.match(/data-answer="discarded"/g)).to.have.length(3);
    expect(log.text).to.contain('discarded as automated: another score of this email was opened within its window');

    ctx.clock.advance(60 * SECOND);
    const page = await http.get(`/r/${token}?score=7`).expect(200);
    expect(page.text, 'the person is not told they already answered').not.to.contain('earlier');
    await http.post(`/r/${token}`).type('form').send({ score: '7', comment: 'real', ...PERSON, view: openIdOf(page.text) }).expect(200);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 7, comment: 'real' });
    expect(await rollup(survey.id)).to.deep.equal({ 7: 1 });
  });

  it('discards a slow scanner: one score link every 5 seconds, each page saving on its own, judged at the end of the window', async () => {
    const { token, invitationId } = await sentInvitation({ surveyKey: 'slow-scanner-nps' });
    for (const score of [0, 5, 10]) {
      const page = await http.get(`/r/${token}?score=${score}`).expect(200);
      ctx.clock.advance(4 * SECOND);
      await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: String(score), trigger: 'auto', view: openIdOf(page.text) }).expect(200);
      ctx.clock.advance(1 * SECOND);
    }
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect((await answersOf(invitationId)).every((a) => a.state === 'discarded')).to.equal(true);
    expect((await metricsOf('slow-scanner-nps')).overall.n).to.equal(0);
  });

  it('discards a held answer when another score link is opened after it, within the window', async () => {
    const { token, invitationId } = await sentInvitation({ surveyKey: 'later-open-nps' });
    const page = await http.get(`/r/${token}?score=3`).expect(200);
    ctx.clock.advance(4 * SECOND);
    const first = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '3', trigger: 'auto', view: openIdOf(page.text) }).expect(200);
    expect(first.body.state).to.equal('held');
    ctx.clock.advance(5 * 60 * SECOND);
    await http.get(`/r/${token}?score=9`).expect(200);
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect((await answersOf(invitationId))[0]).to.include({ state: 'discarded', reason: 'different_scores' });
  });

  it('answers the trap link with a neutral page, and discards a held answer around it', async () => {
    const { token, invitationId } = await sentInvitation();
    const trap = await http.get(`/r/${token}/t`).expect(200);
    expect(trap.text).not.to.contain('<form');
    expect(unescape(trap.text)).not.to.contain('recommend');
    await http.head(`/r/${token}/t`).expect(200);
    expect(await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'trap' })).to.have.length(1);

    const page = await http.get(`/r/${token}?score=10`).expect(200);
    ctx.clock.advance(1 * SECOND);
    const res = await http.post(`/r/${token}`).type('form').send({ score: '10', trigger: 'auto', view: openIdOf(page.text) }).expect(200);
    expect(res.text, 'a discarded answer is not called saved').not.to.contain('Your score');
    expect(res.text).to.contain('press Send to confirm');
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect((await answersOf(invitationId))[0]).to.include({ state: 'discarded', reason: 'trap_link' });

    // A person's Send still counts.
    await http.post(`/r/${token}`).type('form').send({ score: '10', ...PERSON }).expect(200);
    expect(await responsesOf(invitationId)).to.have.length(1);
    await http.get(`/r/not-a-real-token-at-all-000/t`).expect(200);
  });

  it('speaks German to a German invitation', async () => {
    const { token, invitationId } = await sentInvitation({ locale: 'de' });
    const res = await http.get(`/r/${token}?score=8`).expect(200);
    expect(res.text).to.contain('lang="de"');
    expect(res.text).to.contain('Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?');
    expect(res.text).to.contain('Was ist der wichtigste Grund für Ihre Bewertung?');
    expect(res.text).to.contain('Senden');
    const thanks = await http.post(`/r/${token}`).type('form').send({ score: '8', ...PERSON }).expect(200);
    expect(thanks.text).to.contain('Vielen Dank für Ihr Feedback.');
    expect(thanks.text).to.contain('Ihre Bewertung: 8 von 10');
    expect((await responsesOf(invitationId))[0].locale).to.equal('de');
    const bad = await http.post(`/r/${token}`).type('form').send({ score: 'x' }).expect(422);
    expect(bad.text).to.contain('Bitte wählen Sie eine Bewertung von 0 bis 10.');
  });

  it('shows the edit deadline in the customer\'s time zone, and copes with one it does not know', async () => {
    const berlin = await sentInvitation({ locale: 'de' });
    await ctx.deps.db('customers').where({ id: berlin.customerId }).update({ time_zone: 'Europe/Berlin' });
    const thanks = await http.post(`/r/${berlin.token}`).type('form').send({ score: '8', ...PERSON }).expect(200);
    expect(thanks.text).to.match(/Sie können Ihre Antwort bis .* (MEZ|MESZ) ändern\./);

    const nowhere = await sentInvitation();
    await ctx.deps.db('customers').where({ id: nowhere.customerId }).update({ time_zone: 'Mars/Olympus_Mons' });
    const page = await http.post(`/r/${nowhere.token}`).type('form').send({ score: '8', ...PERSON }).expect(200);
    expect(page.text).to.match(/You can change your answer until .* UTC\./);
  });

  it('uses the scale of the survey: CSAT 1–5', async () => {
    const { token, invitationId } = await sentInvitation({ surveyKey: 'support-csat', metric: 'csat' });
    const res = await http.get(`/r/${token}?score=5`).expect(200);
    expect(res.text.match(/type="radio" name="score"/g)).to.have.length(5);
    expect(checkedScore(res.text)).to.equal('5');
    await http.post(`/r/${token}`).type('form').send({ score: '0' }).expect(422);
    await http.post(`/r/${token}`).type('form').send({ score: '5', ...PERSON }).expect(200);
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
    expect(await answersOf(invitationId), 'a refused answer is not stored').to.have.length(0);

    const odd = 'Ünïcödé ✓ 👍🏽 مرحبا עברית e\u0301 \u200b\u0000end\uFFFD';
    await http.post(`/r/${token}`).type('form').send({ score: '5', comment: odd, ...PERSON }).expect(200);
    const [row] = await responsesOf(invitationId);
    expect(row.comment).to.equal('Ünïcödé ✓ 👍🏽 مرحبا עברית é \u200bend\uFFFD');
    const page = await http.get(`/r/${token}`).expect(200);
    expect(page.text).to.contain('👍🏽');
  });

  it('answers an erased customer\'s links with 410 and stores nothing', async () => {
    const { token, invitationId, customerId } = await sentInvitation({ surveyKey: 'erased-nps' });
    const held = await http.post(`/r/${token}`).type('form').set('Accept', 'application/json').send({ score: '4', comment: 'held then erased', trigger: 'auto' }).expect(200);
    expect(held.body.state).to.equal('held');
    const customer = await ctx.deps.db('customers').where({ id: customerId }).first();
    await ctx.api.post(`/api/v1/customers/${encodeURIComponent(customer.external_id)}/erase`).expect(200);
    const clicksBefore = (await clicksOf(invitationId)).length;
    const page = await http.get(`/r/${token}?score=9`).expect(410);
    expect(page.text).not.to.contain('<form');
    await http.head(`/r/${token}`).expect(410);
    await http.post(`/r/${token}`).type('form').send({ score: '9', comment: 'after erasure', ...PERSON }).expect(410);
    await http.get(`/r/${token}/t`).expect(410);
    expect(await clicksOf(invitationId)).to.have.length(clicksBefore);
    expect(await responsesOf(invitationId)).to.have.length(0);
    const answers = await answersOf(invitationId);
    expect(answers).to.have.length(1);
    expect(answers[0]).to.include({ state: 'discarded', reason: 'erased', comment: null });
    ctx.clock.advance(SETTLE);
    await settleDueAnswers(ctx.deps);
    expect(await responsesOf(invitationId)).to.have.length(0);
  });
});
