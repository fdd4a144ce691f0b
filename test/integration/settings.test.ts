import { expect } from 'chai';
import { withTestContextPerTest } from '../helpers/context.ts';
import { defaultSettings, getSettings } from '../../server/settings/service.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { insertResponse } from '../../server/responses/store.ts';

/** The settings form as the page sends it, with the defaults. */
const defaultsForm = (): Record<string, string> => ({
  reporting_time_zone: 'UTC',
  default_locale: 'en',
  sender_name: '',
  sender_address: '',
  reply_to: '',
  brand_color: '#2f5fd0',
  logo_url: '',
  edit_window_hours: '48',
  token_expiry_days: '30',
  min_bucket_responses: '30',
  audit_retention_days: '365',
  cooldown_after_invitation_days: '30',
  cooldown_after_response_days: '',
  cap_count: '3',
  cap_window_days: '90',
  quiet_hours_start: '09:00',
  quiet_hours_end: '20:00',
  override_cooldown_after_response: 'on',
  override_quiet_hours: 'on',
});

describe('settings page', () => {
  const ctx = withTestContextPerTest();

  it('shows the settings in force', async () => {
    const { agent } = await ctx.signIn('admin');
    const page = await agent.get('/settings').expect(200);
    expect(page.text).to.match(/<option value="UTC" selected>/);
    expect(page.text).to.match(/name="cooldown_after_invitation_days" type="number" value="30"/);
    expect(page.text).to.match(/name="cooldown_after_response_days" type="number" value=""/);
    expect(page.text).to.match(/name="quiet_hours_start" type="time" value="09:00"/);
    expect(page.text).to.match(/name="override_quiet_hours" type="checkbox" value="on" checked/);
    expect(page.text).to.match(/name="override_cooldown_after_invitation" type="checkbox" value="on"(?! checked)/);
  });

  it('saves every field; blank turns a rule off', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const form = {
      ...defaultsForm(),
      _csrf: csrf,
      reporting_time_zone: 'Europe/Berlin',
      default_locale: 'de',
      sender_name: 'Acme Care',
      sender_address: 'care@acme.example',
      reply_to: 'replies@acme.example',
      brand_color: '#aa3300',
      logo_url: '  https://cdn.acme.example/logo.png  ',
      edit_window_hours: '24',
      token_expiry_days: '14',
      min_bucket_responses: '10',
      cooldown_after_invitation_days: '',
      cooldown_after_response_days: '60',
      cap_count: '',
      cap_window_days: '',
      quiet_hours_start: '',
      quiet_hours_end: '',
      override_cooldown_after_invitation: 'on',
      override_cooldown_after_response: '',
    };
    delete (form as Record<string, string>).override_quiet_hours;
    const res = await agent.post('/settings').type('form').send(form).expect(303);
    expect(res.headers.location).to.equal('/settings');
    expect(await getSettings(ctx.deps.db)).to.deep.equal({
      reporting_time_zone: 'Europe/Berlin',
      default_locale: 'de',
      sender_name: 'Acme Care',
      sender_address: 'care@acme.example',
      reply_to: 'replies@acme.example',
      brand_color: '#aa3300',
      logo_url: 'https://cdn.acme.example/logo.png',
      edit_window_hours: 24,
      token_expiry_days: 14,
      min_bucket_responses: 10,
      audit_retention_days: 365,
      // Not in the form sent: a checkbox left unticked is off.
      admins_require_two_factor: false,
      // The widget's sites have a form of their own; this one leaves them as they were.
      widget_origins: [],
      contact_rules: {
        cooldown_after_invitation_days: null,
        cooldown_after_response_days: 60,
        cap: null,
        quiet_hours: null,
        survey_may_override: { cooldown_after_invitation: true, cooldown_after_response: false, quiet_hours: false },
      },
    });
    const page = await agent.get('/settings').expect(200);
    expect(page.text).to.contain('Settings saved.');
    expect(page.text).to.match(/<option value="Europe\/Berlin" selected>/);
    expect(page.text).to.match(/name="cap_count" type="number" value=""/);
    expect(page.text).to.match(/name="logo_url" type="url" value="https:\/\/cdn\.acme\.example\/logo\.png"/);
    expect(page.text).to.match(/<figure class="logo-preview">\s*<img src="https:\/\/cdn\.acme\.example\/logo\.png" alt="Your logo">/);
  });

  it('takes only an https address (or blank) as the logo', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const page = await agent.get('/settings').expect(200);
    expect(page.text).not.to.contain('logo-preview');
    for (const bad of ['http://acme.example/logo.png', 'javascript:alert(1)', 'data:image/png;base64,AAAA', 'https://user:pw@acme.example/logo.png', 'logo.png', 'https://acme.example/a b.png', `https://acme.example/${'x'.repeat(2000)}.png`]) {
      const res = await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, logo_url: bad }).expect(422);
      expect(/id="f-logo_url-error"[^>]*>([^<]+)</.exec(res.text)?.[1], bad).to.match(/https:\/\/|2000 characters/);
      expect(res.text, 'no preview of a refused address').not.to.contain('logo-preview');
    }
    expect((await getSettings(ctx.deps.db)).logo_url).to.equal('');

    await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, logo_url: 'https://acme.example/brand/logo.svg?v=2' }).expect(303);
    expect((await getSettings(ctx.deps.db)).logo_url).to.equal('https://acme.example/brand/logo.svg?v=2');
    // A refused change shows the logo still in force, not the one typed.
    const refused = await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, logo_url: 'ftp://acme.example/x.png' }).expect(422);
    expect(refused.text).to.contain('value="ftp://acme.example/x.png"');
    expect(refused.text).to.contain('<img src="https://acme.example/brand/logo.svg?v&#x3D;2" alt="Your logo">');
    // Blank takes the logo away.
    await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, logo_url: '' }).expect(303);
    expect((await getSettings(ctx.deps.db)).logo_url).to.equal('');
  });

  it('shows each error beside its field, keeps what was typed, and saves nothing', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const res = await agent.post('/settings').type('form').send({
      ...defaultsForm(),
      _csrf: csrf,
      reporting_time_zone: 'Mars/Olympus',
      brand_color: 'blue',
      logo_url: 'http://acme.example/logo.png',
      sender_address: 'not an email',
      edit_window_hours: '',
      token_expiry_days: '0',
      min_bucket_responses: 'lots',
      cooldown_after_invitation_days: '-3',
      cap_count: '5',
      cap_window_days: '',
      quiet_hours_start: '25:00',
      quiet_hours_end: '20:00',
    }).expect(422);
    const errorOf = (field: string) => new RegExp(`id="f-${field}-error"[^>]*>([^<]+)<`).exec(res.text)?.[1];
    expect(errorOf('reporting_time_zone')).to.contain('IANA time zone');
    expect(errorOf('brand_color')).to.contain('colour');
    expect(errorOf('logo_url')).to.contain('https://');
    expect(errorOf('sender_address')).to.contain('email address');
    expect(errorOf('edit_window_hours')).to.equal('is required');
    expect(errorOf('token_expiry_days')).to.be.a('string');
    expect(errorOf('min_bucket_responses')).to.equal('must be a whole number');
    expect(errorOf('cooldown_after_invitation_days')).to.equal('must be a whole number');
    expect(errorOf('cap_window_days')).to.contain('leave both blank');
    expect(errorOf('quiet_hours_start')).to.contain('time of day');
    expect(errorOf('cap_count')).to.equal(undefined);
    expect(res.text).to.contain('value="not an email"');
    expect(res.text).to.contain('value="lots"');
    expect(res.text).to.match(/<option value="Mars\/Olympus" selected>/);
    expect(res.text).to.match(/name="cap_count" type="number" value="5"/);
    expect(await getSettings(ctx.deps.db)).to.deep.equal(defaultSettings);
  });

  it('quiet hours must start and end at different times', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const res = await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, quiet_hours_start: '09:00', quiet_hours_end: '09:00' }).expect(422);
    expect(res.text).to.match(/id="f-quiet_hours_end-error"[^>]*>start and end must differ/);
  });

  it('recounts the daily rollup in the new reporting time zone', async () => {
    const db = ctx.deps.db;
    const survey = await createSurvey(db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now(), 'api');
    // 23:30 UTC on 1 March is already 2 March in Berlin.
    await db.transaction((trx) => insertResponse(trx, { survey_id: survey.id, score: 9, channel: 'web', answered_at: new Date('2026-03-01T23:30:00Z') }, 'UTC'));
    const days = async () => (await db('response_daily').select('day', 'score', 'count')).map((r) => ({ day: r.day, score: Number(r.score), count: Number(r.count) }));
    expect(await days()).to.deep.equal([{ day: '2026-03-01', score: 9, count: 1 }]);

    const { agent, csrf } = await ctx.signIn('admin');
    await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, reporting_time_zone: 'Europe/Berlin' }).expect(303);
    expect(await days()).to.deep.equal([{ day: '2026-03-02', score: 9, count: 1 }]);

    // Saving without a zone change leaves the rollup alone.
    await db('response_daily').update({ count: 7 });
    await agent.post('/settings').type('form').send({ ...defaultsForm(), _csrf: csrf, reporting_time_zone: 'Europe/Berlin', sender_name: 'X' }).expect(303);
    expect(await days()).to.deep.equal([{ day: '2026-03-02', score: 9, count: 7 }]);
  });
});
