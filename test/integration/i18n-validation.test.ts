import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';

/**
 * Issue 16, point 3: the field messages of the shared schemas and services (English in the API and the
 * command line) read in German on a German page, through the catalogue's validation.* texts; an English
 * page keeps them word for word. On SQLite and PostgreSQL.
 */
describe('field messages in the page’s language', function () {
  this.timeout(60_000);
  const ctx = withTestContext();

  it('a refused new user: the summary and each field’s message in German, and in English for an English admin', async () => {
    const german = await ctx.signIn('admin', 'german-admin@example.com');
    await ctx.deps.db('users').where({ email: german.email }).update({ locale: 'de' });
    const de = (await german.agent.post('/users').type('form').send({ _csrf: german.csrf, email: 'nope', name: 'Nia', role: 'viewer', access: 'invite' }).expect(422)).text;
    expect(de).to.contain('Bitte korrigieren Sie die unten markierten Felder.');
    expect(de).to.match(/id="f-email-error"[^>]*>muss eine E-Mail-Adresse sein</);
    expect(de).not.to.contain('must be an email address');

    const english = await ctx.signIn('admin', 'english-admin@example.com');
    const en = (await english.agent.post('/users').type('form').send({ _csrf: english.csrf, email: 'nope', name: 'Nia', role: 'viewer', access: 'invite' }).expect(422)).text;
    expect(en).to.match(/id="f-email-error"[^>]*>must be an email address</);
  });

  it('a service’s own message (the account page’s wrong current password), in German', async () => {
    const german = await ctx.signIn('editor');
    await ctx.deps.db('users').where({ email: german.email }).update({ locale: 'de' });
    const page = (await german.agent.post('/account/password').type('form').send({ _csrf: german.csrf, current_password: 'wrong', password: 'short', password_confirm: 'short' }).expect(422)).text;
    expect(page).to.match(/id="f-current_password-error"[^>]*>ist nicht Ihr aktuelles Passwort</);
    expect(page).not.to.contain('is not your current password');
  });
});

describe('the API’s refusals in the language the caller asks for', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  const bad = { url: 'https://example.com/hook', events: [] };

  it('answers German texts for Accept-Language: de, the same fields and types, and English otherwise', async () => {
    const english = await ctx.api.post('/api/v1/webhooks').send(bad).expect(422);
    const german = await ctx.api.post('/api/v1/webhooks').set('Accept-Language', 'de-DE,de;q=0.9').send(bad).expect(422);
    expect(english.headers['content-language']).to.equal(undefined);
    expect(german.headers['content-language']).to.equal('de');
    expect(english.body.errors).to.deep.equal([{ field: 'events', message: 'must name at least one event type' }]);
    expect(english.body.detail).to.equal('Events must name at least one event type.');
    expect(german.body.errors).to.deep.equal([{ field: 'events', message: 'muss mindestens einen Ereignistyp nennen' }]);
    expect(german.body.detail).to.equal('events: muss mindestens einen Ereignistyp nennen.');
    expect(german.body.type).to.equal(english.body.type);
    expect(german.body.status).to.equal(422);
  });
});
