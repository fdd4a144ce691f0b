import { expect } from 'chai';
import type supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';

/** The admin pages (settings, users, API keys, webhooks) for a user who chose German: German texts, none of the English ones. */
describe('admin pages in German', function () {
  this.timeout(30_000);
  const ctx = withTestContext(() => ({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }));
  let agent: supertest.Agent;
  let csrf: string;

  before(async () => {
    const admin = await ctx.signIn('admin');
    ({ agent, csrf } = admin);
    await ctx.deps.db('users').where({ email: admin.email }).update({ locale: 'de' });
  });

  /** GETs a page: 200, lang="de", each German text there and each English one gone. */
  async function germanPage(path: string, german: string[], english: string[]): Promise<string> {
    const res = await agent.get(path).expect(200);
    expect(res.text).to.include('<html lang="de"');
    for (const text of german) expect(res.text, `${path}: ${text}`).to.include(text);
    for (const text of english) expect(res.text, `${path}: ${text}`).not.to.include(text);
    return res.text;
  }

  it('shows the settings page in German', async () => {
    await germanPage(
      '/settings',
      ['<h1>Einstellungen</h1>', 'Zeitzone der Auswertung', 'Kontaktregeln für alle Umfragen', 'Ruhezeiten', 'Einstellungen speichern', 'Signierte Web-Links', 'Das Umfrage-Widget auf Ihrer Website', 'Etwa „Acme Kundenservice“.'],
      ['<h1>Settings</h1>', 'Reporting time zone', 'Contact rules for every survey', 'Save settings', 'Signed web links', 'The survey widget on your website'],
    );
  });

  it('says in German that the settings are saved, and names a missing half of a rule in German', async () => {
    const form = { _csrf: csrf, reporting_time_zone: 'UTC', default_locale: 'en', brand_color: '#336699', token_expiry_days: '7', min_bucket_responses: '5', edit_window_hours: '1', audit_retention_days: '90' };
    const bad = await agent.post('/settings').type('form').send({ ...form, cap_count: '3' }).expect(422);
    expect(bad.text).to.include('wird ebenfalls benötigt').and.not.include('is needed too');
    await agent.post('/settings').type('form').send(form).expect(303);
    await germanPage('/settings', ['Einstellungen gespeichert.'], ['Settings saved.']);
  });

  it('shows the users pages in German', async () => {
    await germanPage(
      '/users',
      ['<h1>Benutzer</h1>', 'Benutzer hinzufügen', '<th scope="col">Rolle</th>', 'Letzte Anmeldung', '(Sie)', 'Aktiv'],
      ['<h1>Users</h1>', 'Add a user', '<th scope="col">Role</th>', 'Last sign-in', '(you)'],
    );
    await germanPage(
      '/users/new',
      ['<h1>Benutzer hinzufügen</h1>', 'Eine Einladungs-E-Mail senden', 'Jetzt ein Anfangspasswort festlegen', 'mindestens 12 Zeichen', '>Leser</option>'],
      ['<h1>Add a user</h1>', 'Send an invitation email', 'Set an initial password now', '>viewer</option>'],
    );
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'p@example.com', name: 'P', role: 'editor', access: 'password', password: 'a much longer pass phrase 42' }).expect(303);
    await germanPage('/users', ['p@example.com kann sich jetzt als Bearbeiter anmelden.', 'Deaktivieren'], ['can now sign in as', 'Deactivate']);
  });

  it('shows the API keys pages in German', async () => {
    await germanPage(
      '/api-keys',
      ['<h1>API-Schlüssel</h1>', 'Schlüssel beginnt mit', 'Alle Berechtigungen', 'Schlüssel erstellen', 'Umfragen auflisten und lesen', 'Läuft ab (optional)'],
      ['<h1>API keys</h1>', 'Key starts with', 'All scopes', 'Create a key', 'list and read surveys', 'Expires (optional)'],
    );
    const created = await agent.post('/api-keys').type('form').send({ _csrf: csrf, name: 'Shop', scopes_form: '1', scopes: ['events:write'] }).expect(201);
    expect(created.text).to.include('<h1>API-Schlüssel erstellt</h1>').and.include('Der Schlüssel „Shop“').and.not.include('Copy this key now');
    const key = await ctx.deps.db('api_keys').where({ name: 'Shop' }).first();
    await germanPage(`/api-keys/${key.id}`, ['API-Schlüssel „Shop“', 'Berechtigungen einschränken', 'Diesen Schlüssel widerrufen', 'events:write</code>: Transaktionsereignisse senden'], ['Narrow the scopes', 'Revoke this key', 'send transaction events']);
    // A refused form says why in German, naming each field once.
    const refused = await agent.post('/api-keys').type('form').send({ _csrf: csrf, name: '', scopes_form: '1', scopes: ['events:write'], expires: '2000-01-01' }).expect(422);
    expect(refused.text).to.include('Der Name darf nicht leer sein.').and.include('Das Ablaufdatum muss in der Zukunft liegen.').and.not.include('must be in the future');
  });

  it('shows the webhooks pages in German', async () => {
    await germanPage(
      '/webhooks',
      ['<h1>Webhooks</h1>', 'Noch keine Webhooks.', 'Webhook hinzufügen', 'Endpunkt-URL', 'Kritiker (NPS 0–6, CSAT 1–2, CES 1–3)', 'eine Einladungs-E-Mail wurde versandt'],
      ['No webhooks yet.', 'Add a webhook', 'Endpoint URL', 'Detractors (NPS', 'an invitation email went out'],
    );
    const created = await agent.post('/webhooks').type('form').send({ _csrf: csrf, url: 'http://127.0.0.1:9/hooks', kind: 'webhook', events: ['response.created'] }).expect(201);
    expect(created.text).to.include('<h1>Webhook hinzugefügt</h1>').and.include('Kopieren Sie dieses Signaturgeheimnis jetzt.').and.not.include('Copy this signing secret now.');
    const hook = await ctx.deps.db('webhook_endpoints').first();
    await agent.post(`/webhooks/${hook.id}/disable`).type('form').send({ _csrf: csrf }).expect(303);
    await germanPage(
      `/webhooks/${hook.id}`,
      ['Der Webhook ist aus', 'Aus: Ausgeschaltet', 'Testereignis senden', 'Einschalten', 'Nachrichten und ihre Versuche', 'Noch keine Nachrichten.', 'Alle Webhooks'],
      ['Turned off', 'Send a test event', 'Turn on', 'No messages yet.', 'All webhooks'],
    );
  });
});
