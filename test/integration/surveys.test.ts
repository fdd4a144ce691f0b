import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, withTestContext } from '../helpers/context.ts';
import { exportSurveyFile, loadSurveyFiles, surveyFileErrors } from '../../server/surveys/files.ts';
import { findSurveyByKey } from '../../server/surveys/queries.ts';

describe('surveys: API, files and admin pages', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let dir: string;
  const fields = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-surveys-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('API', () => {
    it('creates a survey (201) with the template wording, its public web link off until turned on', async () => {
      const res = await ctx.api
        .post('/api/v1/surveys')
        .send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', question: { en: 'Would you recommend our delivery?' }, status: 'active', send_delay_minutes: 30, quiet_hours: { start: '08:00', end: '21:00' } })
        .expect(201);
      expect(res.body).to.include({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', source: 'api', default_locale: 'en', send_delay_minutes: 30, sample_rate: 100, channel: 'email' });
      expect(res.body.question).to.deep.equal({ en: 'Would you recommend our delivery?' });
      expect(res.body.low_label.en).to.equal('Not at all likely');
      expect(res.body.quiet_hours).to.deep.equal({ start: '08:00', end: '21:00' });
      expect(res.body).to.include({ public_link: false, count_anonymous: true, max_event_age_days: 7 });
      expect(res.body.links.web).to.equal(null);
      expect(res.headers.location).to.equal('/api/v1/surveys/delivery-nps');
      const opened = await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ public_link: true, max_event_age_days: 30 }).expect(200);
      expect(opened.body).to.include({ public_link: true, max_event_age_days: 30 });
      expect(opened.body.links.web).to.equal('http://127.0.0.1:3000/s/delivery-nps');
      await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ public_link: false, max_event_age_days: null }).expect(200);
      const bad = await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ public_link: 'yes', max_event_age_days: 0 }).expect(422);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['public_link', 'max_event_age_days']);
    });

    it('reads one survey and the list', async () => {
      const one = await ctx.api.get('/api/v1/surveys/delivery-nps').expect(200);
      expect(one.body.key).to.equal('delivery-nps');
      const all = await ctx.api.get('/api/v1/surveys').expect(200);
      expect(all.body.surveys.map((s: { key: string }) => s.key)).to.include('delivery-nps');
      await ctx.api.get('/api/v1/surveys/no-such-survey').expect(404).expect('Content-Type', /problem\+json/);
    });

    it('changes only what a PATCH names', async () => {
      const res = await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ sample_rate: 50, question: { de: 'Würden Sie uns empfehlen?' } }).expect(200);
      expect(res.body).to.include({ sample_rate: 50, status: 'active', send_delay_minutes: 30 });
      expect(res.body.question).to.deep.equal({ en: 'Would you recommend our delivery?', de: 'Würden Sie uns empfehlen?' });
      expect(res.body.quiet_hours).to.deep.equal({ start: '08:00', end: '21:00' });
      const moved = await ctx.api.patch('/api/v1/surveys/delivery-nps').send({ metric: 'csat', touchpoint: 'elsewhere' }).expect(422);
      expect(fields(moved)).to.have.members(['metric', 'touchpoint']);
      await ctx.api.patch('/api/v1/surveys/nope-nps').send({ sample_rate: 1 }).expect(404);
    });

    it('names the fields that fail validation', async () => {
      const res = await ctx.api.post('/api/v1/surveys').send({ key: 'Bad Key', touchpoint: 'delivery', metric: 'stars', sample_rate: 150, quiet_hours: { start: '25:00', end: '08:00' } }).expect(422);
      expect(res.type).to.equal('application/problem+json');
      expect(fields(res)).to.include.members(['key', 'metric', 'sample_rate', 'quiet_hours.start']);
      const short = await ctx.api.post('/api/v1/surveys').send({ key: 'short-q', touchpoint: 'delivery', metric: 'nps', question: { en: 'Hi' } }).expect(422);
      expect(fields(short)).to.deep.equal(['question.en']);
      const locale = await ctx.api.post('/api/v1/surveys').send({ key: 'fr-q', touchpoint: 'delivery', metric: 'nps', question: { fr: 'Bonjour ?' } }).expect(422);
      expect(fields(locale)).to.deep.equal(['question']);
      const notObject = await ctx.api.post('/api/v1/surveys').send([1, 2]).expect(422);
      expect(fields(notObject)).to.deep.equal(['(body)']);
      const taken = await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps' }).expect(409);
      expect(fields(taken)).to.deep.equal(['key']);
    });

    it('keeps a sample rate to 2 decimals, refuses one between 0 and 0.01, and refuses control characters in touchpoint_name', async () => {
      const made = await ctx.api.post('/api/v1/surveys').send({ key: 'rate-nps', touchpoint: 'rate', metric: 'nps', sample_rate: 33.3349 }).expect(201);
      expect(made.body.sample_rate).to.equal(33.33);
      expect((await ctx.api.get('/api/v1/surveys/rate-nps').expect(200)).body.sample_rate).to.equal(33.33);
      expect((await ctx.api.patch('/api/v1/surveys/rate-nps').send({ sample_rate: 0.015 }).expect(200)).body.sample_rate).to.equal(0.02);
      expect((await ctx.api.patch('/api/v1/surveys/rate-nps').send({ sample_rate: 0 }).expect(200)).body.sample_rate).to.equal(0);
      for (const tiny of [0.004, 5e-324]) {
        const res = await ctx.api.patch('/api/v1/surveys/rate-nps').send({ sample_rate: tiny }).expect(422);
        expect(fields(res)).to.deep.equal(['sample_rate']);
      }
      const named = await ctx.api.post('/api/v1/surveys').send({ key: 'tab-nps', touchpoint: 'tab', metric: 'nps', touchpoint_name: 'Deli\tvery' }).expect(422);
      expect(fields(named)).to.deep.equal(['touchpoint_name']);
      const patched = await ctx.api.patch('/api/v1/surveys/rate-nps').send({ touchpoint_name: 'Rate\u0000' }).expect(422);
      expect(fields(patched)).to.deep.equal(['touchpoint_name']);
      expect((await ctx.api.patch('/api/v1/surveys/rate-nps').send({ touchpoint_name: '  Rate Ü  ' }).expect(200)).body.touchpoint_name).to.equal('Rate Ü');
    });

    it('refuses a second active survey on one touchpoint with 409', async () => {
      const res = await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-csat', touchpoint: 'delivery', metric: 'csat', status: 'active' }).expect(409);
      expect(fields(res)).to.deep.equal(['status']);
      expect(res.body.title).to.match(/delivery-nps/);
      await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-csat', touchpoint: 'delivery', metric: 'csat' }).expect(201);
      await ctx.api.patch('/api/v1/surveys/delivery-csat').send({ status: 'active' }).expect(409);
    });
  });

  describe('surveys as files', () => {
    it('loads surveys/*.json, reports a broken file and loads the rest', async () => {
      fs.writeFileSync(path.join(dir, 'onboarding-ces.json'), JSON.stringify({ touchpoint: 'onboarding', touchpoint_name: 'Onboarding call', metric: 'ces', status: 'active', sample_rate: 25 }));
      fs.writeFileSync(path.join(dir, 'broken.json'), '{ "key": "broken", ');
      fs.writeFileSync(path.join(dir, 'wrong-metric.json'), JSON.stringify({ touchpoint: 'returns', metric: 'stars' }));
      fs.writeFileSync(path.join(dir, 'named-wrong.json'), JSON.stringify({ key: 'other-name', touchpoint: 'returns', metric: 'nps' }));
      const errors = await loadSurveyFiles(ctx.deps, dir);
      expect(errors.map((e) => path.basename(e.file)).sort()).to.deep.equal(['broken.json', 'named-wrong.json', 'wrong-metric.json']);
      expect(errors.find((e) => e.file.endsWith('wrong-metric.json'))?.message).to.match(/^metric: /);
      expect(surveyFileErrors()).to.deep.equal(errors);
      const survey = await findSurveyByKey(ctx.deps.db, 'onboarding-ces');
      expect(survey).to.include({ source: 'file', status: 'active', metric: 'ces', sample_rate: 25, touchpoint_name: 'Onboarding call' });
      expect(survey?.source_file).to.match(/onboarding-ces\.json$/);
      expect(survey?.content.en.question).to.equal('How easy was it to get what you needed?');
    });

    it('keeps file-managed surveys read-only in the API (409 naming the file)', async () => {
      const res = await ctx.api.patch('/api/v1/surveys/onboarding-ces').send({ sample_rate: 100 }).expect(409);
      expect(res.body.title).to.match(/onboarding-ces\.json/);
      const shown = await ctx.api.get('/api/v1/surveys/onboarding-ces').expect(200);
      expect(shown.body).to.include({ source: 'file', sample_rate: 25 });
    });

    it('applies a changed file at the next load and leaves an unchanged one alone', async () => {
      const before = (await findSurveyByKey(ctx.deps.db, 'onboarding-ces'))!;
      ctx.clock.advance(60_000);
      await loadSurveyFiles(ctx.deps, dir);
      expect((await findSurveyByKey(ctx.deps.db, 'onboarding-ces'))!.updated_at).to.equal(before.updated_at);
      fs.writeFileSync(path.join(dir, 'onboarding-ces.json'), JSON.stringify({ touchpoint: 'onboarding', metric: 'ces', status: 'paused', question: 'How easy was onboarding?' }));
      await loadSurveyFiles(ctx.deps, dir);
      const after = (await findSurveyByKey(ctx.deps.db, 'onboarding-ces'))!;
      expect(after).to.include({ status: 'paused', sample_rate: 100 });
      expect(after.content.en.question).to.equal('How easy was onboarding?');
    });

    it('exports a survey to a file that loads back the same', async () => {
      const file = await exportSurveyFile(ctx.deps, 'delivery-nps', dir);
      expect(path.basename(file)).to.equal('delivery-nps.json');
      const written = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(written).to.include({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', sample_rate: 50 });
      const exported = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
      expect(exported.source).to.equal('file');
      await loadSurveyFiles(ctx.deps, dir);
      const reloaded = (await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!;
      expect(reloaded.content).to.deep.equal(exported.content);
      expect(reloaded.rules).to.deep.equal(exported.rules);
      expect(reloaded.updated_at).to.equal(exported.updated_at);
    });

    it('hands a survey back to the app when its file is gone', async () => {
      fs.rmSync(path.join(dir, 'delivery-nps.json'));
      await loadSurveyFiles(ctx.deps, dir);
      expect((await findSurveyByKey(ctx.deps.db, 'delivery-nps'))!.source).to.equal('ui');
    });

    it('ships examples that load cleanly, and no survey a fresh install would load', async () => {
      const surveysDir = path.resolve(import.meta.dirname, '../../surveys');
      expect(fs.readdirSync(surveysDir).filter((n) => n.endsWith('.json'))).to.deep.equal([]);
      const other = await createTestContext();
      try {
        expect(await loadSurveyFiles(other.deps, path.join(surveysDir, 'examples'))).to.deep.equal([]);
        expect((await findSurveyByKey(other.deps.db, 'example-onboarding-ces'))!.source).to.equal('file');
      } finally {
        await other.close();
      }
    });
  });

  describe('admin pages', () => {
    it('lets an editor create a survey through the form and see it listed', async () => {
      const { agent, csrf } = await ctx.signIn('editor');
      const blank = await agent.get('/surveys/new?metric=csat').expect(200);
      expect(blank.text).to.match(/name="_csrf"/);
      expect(blank.text).to.include('How satisfied are you with your experience?');
      expect(blank.text).to.match(/<label for="f-question_en">/);

      const form = {
        _csrf: csrf,
        touchpoint: 'support',
        touchpoint_name: 'Support ticket closed',
        key: 'support-csat',
        metric: 'csat',
        question_en: 'How happy are you with our support?',
        question_de: '',
        low_label_en: 'Unhappy',
        high_label_en: 'Happy',
        send_delay_minutes: '15',
        sample_rate: '100',
        status: 'draft',
        default_locale: 'en',
        cooldown_after_invitation_days: '60',
        cooldown_after_response_days: '',
        quiet_hours_mode: 'global',
      };
      const bad = await agent.post('/surveys').type('form').send({ ...form, key: 'Not A Key', sample_rate: 'lots' }).expect(422);
      expect(bad.text).to.match(/id="f-key-error"/);
      expect(bad.text).to.match(/id="f-sample_rate-error"/);
      expect(bad.text).to.include('value="Not A Key"');
      expect(bad.text).to.include('value="How happy are you with our support?"');

      const created = await agent.post('/surveys').type('form').send(form).expect(303);
      expect(created.headers.location).to.equal('/surveys/support-csat');
      const survey = (await findSurveyByKey(ctx.deps.db, 'support-csat'))!;
      expect(survey).to.include({ source: 'ui', metric: 'csat', send_delay_minutes: 15, touchpoint_name: 'Support ticket closed' });
      expect(Object.keys(survey.content)).to.deep.equal(['en']);
      expect(survey.content.en).to.include({ question: 'How happy are you with our support?', low_label: 'Unhappy', high_label: 'Happy' });
      expect(survey.rules).to.deep.include({ cooldown_after_invitation_days: 60, cooldown_after_response_days: null });

      await loadSurveyFiles(ctx.deps, dir); // broken.json is still there
      const list = await agent.get('/surveys').expect(200);
      expect(list.text).to.include('href="/surveys/support-csat"');
      expect(list.text).to.include('Support ticket closed');
      expect(list.text).to.include('broken.json'); // the file errors of the last load
    });

    it('lets an editor change, activate and pause a survey; file surveys are read-only', async () => {
      const { agent, csrf } = await ctx.signIn('editor');
      const page = await agent.get('/surveys/support-csat').expect(200);
      expect(page.text).to.include('action="/surveys/support-csat/activate"');
      await agent
        .post('/surveys/support-csat')
        .type('form')
        .send({ _csrf: csrf, question_en: 'How did we do?', question_de: 'Wie war es?', send_delay_minutes: '5', sample_rate: '80', status: 'draft', default_locale: 'en', cooldown_after_invitation_days: '60', cooldown_after_response_days: '30', quiet_hours_mode: 'off' })
        .expect(303);
      const changed = (await findSurveyByKey(ctx.deps.db, 'support-csat'))!;
      expect(changed).to.include({ send_delay_minutes: 5, sample_rate: 80 });
      expect(changed.content.de.question).to.equal('Wie war es?');
      expect(changed.rules.quiet_hours).to.equal(null);
      await agent.post('/surveys/support-csat/activate').type('form').send({ _csrf: csrf }).expect(303);
      expect((await findSurveyByKey(ctx.deps.db, 'support-csat'))!.status).to.equal('active');
      await agent.post('/surveys/support-csat/pause').type('form').send({ _csrf: csrf }).expect(303);
      expect((await findSurveyByKey(ctx.deps.db, 'support-csat'))!.status).to.equal('paused');
      await agent.post('/surveys/support-csat/pause').type('form').send({}).expect(403);

      const filePage = await agent.get('/surveys/onboarding-ces').expect(200);
      expect(filePage.text).to.match(/managed by the file <code>[^<]*onboarding-ces\.json<\/code>/);
      expect(filePage.text).not.to.include('Save changes');
      await agent.post('/surveys/onboarding-ces/activate').type('form').send({ _csrf: csrf }).expect(409);
    });

    it('answers 404 for an unknown survey and asks a signed-out visitor to sign in', async () => {
      const { agent } = await ctx.signIn('editor');
      await agent.get('/surveys/no-such-survey').expect(404);
      const anonymous = await supertest(ctx.app).get('/surveys').expect(303);
      expect(anonymous.headers.location).to.match(/^\/login/);
    });

    it('answers 403 to a viewer', async () => {
      const { agent, csrf } = await ctx.signIn('viewer');
      await agent.get('/surveys').expect(403);
      await agent.get('/surveys/new').expect(403);
      await agent.post('/surveys').type('form').send({ _csrf: csrf, key: 'x-nps' }).expect(403);
    });
  });
});
