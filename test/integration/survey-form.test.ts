import { expect } from 'chai';
import supertest from 'supertest';
import { DAY } from '../../server/clock.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { findSurveyByKey } from '../../server/surveys/queries.ts';
import { withTestContext } from '../helpers/context.ts';

/** The survey form's reminder and channel fields, and the reserved survey keys. */
describe('survey form: reminder, channel, reserved keys', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  const newForm = (csrf: string, extra: Record<string, string> = {}) => ({
    _csrf: csrf,
    touchpoint: 'returns',
    touchpoint_name: 'Return processed',
    key: 'returns-nps',
    metric: 'nps',
    question_en: 'Would you recommend our returns service?',
    question_de: '',
    send_delay_minutes: '0',
    sample_rate: '100',
    status: 'draft',
    default_locale: 'en',
    channel: 'email',
    reminder_after_days: '',
    cooldown_after_invitation_days: '90',
    cooldown_after_response_days: '90',
    quiet_hours_mode: 'off',
    ...extra,
  });
  /** The edit form as the page sends it back, with some fields changed. */
  const editForm = (csrf: string, extra: Record<string, string>) => {
    const { touchpoint: _t, touchpoint_name: _n, key: _k, metric: _m, ...rest } = newForm(csrf);
    return { ...rest, ...extra };
  };
  const inputValue = (html: string, name: string) => html.match(new RegExp(`<input id="f-${name}" name="${name}"[^>]* value="([^"]*)"`))?.[1];
  const selected = (html: string, name: string) => html.match(new RegExp(`<select id="f-${name}"[\\s\\S]*?<option value="([^"]*)" selected>`))?.[1];

  it('offers the reminder and channel fields, labelled, on a new survey', async () => {
    const { agent } = await ctx.signIn('editor');
    const page = await agent.get('/surveys/new').expect(200);
    expect(page.text).to.match(/<label for="f-reminder_after_days">Send one reminder after this many days to those who have not answered<\/label>/);
    expect(page.text).to.match(/<label for="f-channel">Channel<\/label>/);
    expect(inputValue(page.text, 'reminder_after_days')).to.equal('');
    expect(selected(page.text, 'channel')).to.equal('email');
  });

  it('stores a reminder set through the form in the rules, shows it again, and clears it when left blank', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    await agent.post('/surveys').type('form').send(newForm(csrf, { reminder_after_days: '3' })).expect(303);
    let survey = (await findSurveyByKey(ctx.deps.db, 'returns-nps'))!;
    expect(survey.rules.reminder_after_days).to.equal(3);
    expect(survey.channel).to.equal('email');
    let page = await agent.get('/surveys/returns-nps').expect(200);
    expect(inputValue(page.text, 'reminder_after_days')).to.equal('3');

    // A rule the form does not show (set through the API) stays when the form is saved.
    await ctx.api.patch('/api/v1/surveys/returns-nps').send({ rules: { global_cooldown_after_invitation_days: 7 } }).expect(200);
    await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { reminder_after_days: '14' })).expect(303);
    survey = (await findSurveyByKey(ctx.deps.db, 'returns-nps'))!;
    expect(survey.rules).to.deep.include({ reminder_after_days: 14, global_cooldown_after_invitation_days: 7 });

    await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { reminder_after_days: '' })).expect(303);
    survey = (await findSurveyByKey(ctx.deps.db, 'returns-nps'))!;
    expect(survey.rules.reminder_after_days ?? null).to.equal(null);
    expect(survey.rules.global_cooldown_after_invitation_days).to.equal(7);
    page = await agent.get('/surveys/returns-nps').expect(200);
    expect(inputValue(page.text, 'reminder_after_days')).to.equal('');
  });

  it('shows an out-of-range or non-numeric reminder as an error beside the field, keeping what was typed', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { reminder_after_days: '5' })).expect(303);
    for (const typed of ['0', '61', 'soon', '2.5']) {
      const res = await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { reminder_after_days: typed, sample_rate: '40' })).expect(422);
      expect(res.text, typed).to.match(/<p class="field-error" id="f-reminder_after_days-error">[^<]+<\/p>/);
      expect(res.text, typed).to.match(/aria-describedby="f-reminder_after_days-hint f-reminder_after_days-error"/);
      expect(inputValue(res.text, 'reminder_after_days'), typed).to.equal(typed);
      expect(inputValue(res.text, 'sample_rate'), typed).to.equal('40');
    }
    const survey = (await findSurveyByKey(ctx.deps.db, 'returns-nps'))!;
    expect(survey.rules.reminder_after_days).to.equal(5);
    expect(survey.sample_rate).to.equal(100);

    // A new survey too: nothing is created.
    const res = await agent.post('/surveys').type('form').send(newForm(csrf, { key: 'other-nps', touchpoint: 'other', reminder_after_days: '90' })).expect(422);
    expect(res.text).to.include('must be from 1 to 60 days');
    expect(await findSurveyByKey(ctx.deps.db, 'other-nps')).to.equal(undefined);
  });

  it('refuses a form without the CSRF token', async () => {
    const { agent } = await ctx.signIn('editor');
    const { _csrf: _c, ...form } = editForm('', { reminder_after_days: '9' });
    await agent.post('/surveys/returns-nps').type('form').send(form).expect(403);
    expect((await findSurveyByKey(ctx.deps.db, 'returns-nps'))!.rules.reminder_after_days).to.equal(5);
  });

  it('refuses the reserved keys (new, preview) with 422 naming key, in the form and the API', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    for (const key of ['preview', 'new']) {
      const page = await agent.post('/surveys').type('form').send(newForm(csrf, { key, touchpoint: 'reserved' })).expect(422);
      expect(page.text).to.match(/<p class="field-error" id="f-key-error">[^<]*reserved[^<]*<\/p>/);
      expect(inputValue(page.text, 'key')).to.equal(key);
      const res = await ctx.api.post('/api/v1/surveys').send({ key, touchpoint: 'reserved', metric: 'nps' }).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['key']);
      expect(res.body.errors[0].message).to.include('reserved');
      expect(await findSurveyByKey(ctx.deps.db, key)).to.equal(undefined);
    }
    // A key that only starts with a reserved word is fine.
    await ctx.api.post('/api/v1/surveys').send({ key: 'preview-nps', touchpoint: 'reserved', metric: 'nps' }).expect(201);
  });

  it('sends no email for a web-link-only survey: its events are suppressed, and what was scheduled before the switch is not sent', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    const event = (id: string) => ctx.api.post('/api/v1/events').send({ touchpoint: 'returns', transaction_id: id, customer: { id: `c-${id}`, email: `${id}@example.com` } });

    // Email: the event schedules an invitation.
    await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { status: 'active' })).expect(303);
    const emailed = await event('t1').expect(202);
    expect(emailed.body.status).to.equal('scheduled');

    // Switched to web link only through the form.
    await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { status: 'active', channel: 'link' })).expect(303);
    const survey = (await findSurveyByKey(ctx.deps.db, 'returns-nps'))!;
    expect(survey.channel).to.equal('link');
    const page = await agent.get('/surveys/returns-nps').expect(200);
    expect(selected(page.text, 'channel')).to.equal('link');

    const linkOnly = await event('t2').expect(202);
    expect(linkOnly.body).to.include({ status: 'suppressed', reason: 'no_active_survey' });
    const row = await ctx.deps.db('events').where({ id: linkOnly.body.id }).first();
    expect(row.reason_detail).to.include('web link only');
    expect(row.survey_id).to.equal(survey.id);
    expect(await ctx.deps.db('invitations').where({ event_id: linkOnly.body.id })).to.have.length(0);

    // The invitation scheduled while it was an email survey is suppressed at send time.
    ctx.clock.advance(2 * DAY);
    const run = await runOnce(ctx.deps);
    expect(run.sent).to.deep.equal([]);
    const invitation = await ctx.deps.db('invitations').where({ id: emailed.body.invitation_id }).first();
    expect(invitation).to.include({ state: 'suppressed', reason: 'no_active_survey' });

    // The web link still takes answers.
    await supertest(ctx.app).get('/s/returns-nps').expect(200);

    // An unknown channel is a field error.
    const bad = await agent.post('/surveys/returns-nps').type('form').send(editForm(csrf, { status: 'active', channel: 'fax' })).expect(422);
    expect(bad.text).to.match(/id="f-channel-error"/);
  });
});
