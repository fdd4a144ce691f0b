import { expect } from 'chai';
import supertest from 'supertest';
import { generate } from 'otplib';
import { csrfFrom, TEST_PASSWORD, withTestContext, withTestContextPerTest } from '../helpers/context.ts';
import { createApp } from '../../server/app.ts';
import { issuePasswordLink } from '../../server/auth/links.ts';

/**
 * The sign-in, password, two-factor, setup, account and error pages in German: signed-out pages in the
 * browser's language (Accept-Language), signed-in ones in the user's choice; the English texts absent.
 */

/** A German page: 200 (or `status`), <html lang="de">, these texts present and their English originals absent. */
function expectGerman(page: string, german: string[], english: string[]) {
  expect(page).to.contain('<html lang="de">');
  for (const text of german) expect(page, text).to.contain(text);
  for (const text of english) expect(page, text).to.not.contain(text);
}

const secretOn = (page: string) => /<code id="two-factor-secret">([A-Z2-7 ]+)<\/code>/.exec(page)![1].replace(/ /g, '');
const csrfOn = (page: string) => /name="csrf-token" content="([^"]+)"/.exec(page)![1];

describe('the account pages in German', () => {
  describe('signed out, in the browser’s language', () => {
    const ctx = withTestContext();

    it('shows the sign-in page and its refusal in German', async () => {
      const page = (await supertest(ctx.app).get('/login').set('Accept-Language', 'de').expect(200)).text;
      expectGerman(page, ['<title>Anmelden', '>Passwort</label>', 'Passwort vergessen?', '>E-Mail</label>'], ['Sign in', 'Forgot your password?', '>Password</label>']);

      const agent = supertest.agent(ctx.app);
      const csrf = await csrfFrom(agent, '/login');
      const wrong = await agent.post('/login').set('Accept-Language', 'de').type('form').send({ _csrf: csrf, email: 'admin@example.com', password: 'not the password' }).expect(401);
      expectGerman(wrong.text, ['E-Mail oder Passwort ist falsch.'], ['The email or password is wrong.']);
    });

    it('shows the forgotten-password pages in German', async () => {
      const forgot = (await supertest(ctx.app).get('/password/forgot').set('Accept-Language', 'de').expect(200)).text;
      expectGerman(forgot, ['Passwort vergessen?', 'Link senden', 'Zurück zur Anmeldung'], ['Send the link', 'Back to sign in', 'Enter the email you sign in with']);

      const agent = supertest.agent(ctx.app);
      const csrf = await csrfFrom(agent, '/password/forgot');
      const bad = await agent.post('/password/forgot').set('Accept-Language', 'de').type('form').send({ _csrf: csrf, email: 'nope' }).expect(422);
      expectGerman(bad.text, ['Bitte korrigieren Sie die unten markierten Felder.', 'muss eine E-Mail-Adresse sein'], ['Please correct the fields marked below.']);

      const sent = await agent.post('/password/forgot').set('Accept-Language', 'de').type('form').send({ _csrf: csrf, email: 'nobody@example.com' }).expect(200);
      expectGerman(sent.text, ['nobody@example.com', 'Der Link funktioniert einmal, eine Stunde lang.'], ['The link works once, for one hour.', 'Back to sign in']);
    });

    it('shows the set-password page and a dead link in German', async () => {
      const admin = await ctx.deps.db('users').where({ email: 'admin@example.com' }).first();
      const { token } = await issuePasswordLink(ctx.deps.db, admin.id, 'reset', ctx.clock.now());
      const set = (await supertest(ctx.app).get(`/password/set/${token}`).set('Accept-Language', 'de').expect(200)).text;
      expectGerman(
        set,
        ['<title>Neues Passwort wählen', 'Wählen Sie ein neues Passwort für <strong>admin@example.com</strong>.', 'Neues Passwort wiederholen', 'Mindestens 12 Zeichen', 'Passwort setzen und anmelden'],
        ['Choose a new password', 'New password again', 'At least 12 characters', 'Set password and sign in'],
      );

      await ctx.deps.db('user_tokens').where({ user_id: admin.id }).update({ used_at: ctx.clock.now().toISOString() });
      const gone = (await supertest(ctx.app).get(`/password/set/${token}`).set('Accept-Language', 'de').expect(410)).text;
      expectGerman(gone, ['Dieser Link funktioniert nicht mehr', 'Dieser Link wurde bereits verwendet.', 'Fordern Sie einen neuen Link an</a> oder <a href="/login">melden Sie sich an</a>.'], ['This link no longer works', 'Ask for a new link']);
    });

    it('shows the error page in German', async () => {
      const missing = (await supertest(ctx.app).get('/nothing-here').set('Accept-Language', 'de').set('Accept', 'text/html').expect(404)).text;
      expectGerman(missing, ['<title>Nicht gefunden', 'Unter dieser Adresse gibt es nichts', 'Zurück zum Anfang'], ['Not found', 'There is nothing at this address', 'Back to the start']);
    });
  });

  describe('the first-run setup', () => {
    const ctx = withTestContextPerTest();

    it('shows the setup page in German', async () => {
      await ctx.deps.db('users').del();
      const app = createApp(ctx.deps);
      const page = (await supertest(app).get('/setup').set('Accept-Language', 'de').expect(200)).text;
      expectGerman(
        page,
        ['<title>Touchpoint einrichten', 'Legen Sie das erste Administratorkonto an.', 'Passwort wiederholen', 'Zeitzone der Auswertung', 'Einen Demo-Arbeitsbereich laden', 'Konto anlegen und starten', '„Acme Kundenservice“'],
        ['Set up Touchpoint', 'Create the first administrator account', 'Password again', 'Reporting time zone', 'Create account and start'],
      );
    });
  });

  describe('signed in, in the user’s language', () => {
    const ctx = withTestContext();
    let agent: supertest.Agent;

    before(async () => {
      const signedIn = await ctx.signIn('editor');
      agent = signedIn.agent;
      await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
    });

    it('shows the account page in German', async () => {
      const page = (await agent.get('/account').expect(200)).text;
      expectGerman(
        page,
        ['<title>Ihr Konto', '<dt>Rolle</dt><dd>Bearbeiter</dd>', 'Passwort ändern', 'Aktuelles Passwort', 'Die Zwei-Faktor-Anmeldung ist <strong>ausgeschaltet</strong>.', 'Zwei-Faktor-Anmeldung einschalten', 'Sprache speichern'],
        ['Your account', 'Change your password', 'Current password', 'Two-factor sign-in is', 'Turn on two-factor sign-in', 'Save language'],
      );
    });

    it('shows the language and password refusals in German', async () => {
      const csrf = csrfOn((await agent.get('/account').expect(200)).text);
      const bad = await agent.post('/account/password').type('form').send({ _csrf: csrf, current_password: 'wrong one', password: 'x', password_confirm: 'x' }).expect(422);
      expectGerman(bad.text, ['Bitte korrigieren Sie die unten markierten Felder.'], ['Please correct the fields marked below.']);
    });

    it('shows enrolment, the recovery codes and the manage page in German', async () => {
      const setup = (await agent.get('/account/two-factor/setup').expect(200)).text;
      expectGerman(
        setup,
        ['<title>Zwei-Faktor-Anmeldung einschalten', 'Scannen Sie diesen QR-Code mit der App:', 'Den Code eingeben, den die App anzeigt', 'Nicht jetzt: zurück zu Ihrem Konto'],
        ['Turn on two-factor sign-in', 'Scan this QR code', 'Enter the code the app shows', 'Not now'],
      );
      const wrong = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrfOn(setup), code: '000000' }).expect(422);
      expectGerman(wrong.text, ['Der Code ist falsch.'], ['The code is wrong.']);

      const secret = secretOn(setup);
      const code = await generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });
      const codes = (await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrfOn(setup), code }).expect(200)).text;
      expectGerman(
        codes,
        ['<title>Ihre Wiederherstellungscodes', 'Die Zwei-Faktor-Anmeldung ist eingeschaltet.', 'Bewahren Sie diese Wiederherstellungscodes jetzt sicher auf', 'aria-label="Wiederherstellungscodes"'],
        ['Your recovery codes', 'Keep these recovery codes', 'I have kept my recovery codes'],
      );

      const manage = (await agent.get('/account/two-factor').expect(200)).text;
      expectGerman(
        manage,
        ['<title>Zwei-Faktor-Anmeldung', 'Sie haben noch 10 von 10 Wiederherstellungscodes.', 'Neue Wiederherstellungscodes erstellen', 'Zwei-Faktor-Anmeldung ausschalten', '← Ihr Konto'],
        ['Make new recovery codes', 'Turn off two-factor sign-in', 'recovery codes left'],
      );

      const account = (await agent.get('/account').expect(200)).text;
      expectGerman(account, ['Sie haben 10 unbenutzte Wiederherstellungscodes.', 'Zwei-Faktor-Anmeldung verwalten'], ['unused recovery codes', 'Manage two-factor sign-in']);
    });

    it('asks for the code at sign-in in German', async () => {
      const user = await ctx.deps.db('users').where({ locale: 'de' }).first();
      const browser = supertest.agent(ctx.app);
      const csrf = await csrfFrom(browser, '/login');
      await browser.post('/login').set('Accept-Language', 'de').type('form').send({ _csrf: csrf, email: user.email, password: TEST_PASSWORD }).expect(303).expect('Location', '/login/code');
      const page = (await browser.get('/login/code').set('Accept-Language', 'de').expect(200)).text;
      expectGerman(
        page,
        ['<title>Code eingeben', 'Ihr Passwort ist richtig.', 'Stattdessen einen Wiederherstellungscode verwenden', 'Mit Wiederherstellungscode anmelden', 'Abbrechen und als jemand anderes anmelden'],
        ['Enter your code', 'Use a recovery code instead', 'Sign in with a recovery code', 'Cancel and sign in as someone else'],
      );
    });
  });
});
