import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom } from '../helpers/context.ts';
import { withSmtpTestContext, type ReceivedMail, type SmtpReceiver } from '../helpers/smtp.ts';
import { linkTokenOf } from '../helpers/accounts.ts';
import { updateSettings } from '../../server/settings/service.ts';

/** The reset email goes out after the page's answer: wait (a bounded while) until `count` messages arrived. */
async function mailCount(smtp: SmtpReceiver, count: number): Promise<ReceivedMail[]> {
  for (let i = 0; i < 200 && smtp.messages.length < count; i++) await new Promise((r) => setTimeout(r, 25));
  expect(smtp.messages, 'messages received').to.have.length(count);
  return smtp.messages;
}

/** The email's text part with its lines joined (the text part may wrap a long line). */
const textOf = (mail: ReceivedMail) => (mail.parsed.text ?? '').replace(/\s+/g, ' ');
const htmlOf = (mail: ReceivedMail) => (mail.parsed.html ?? '').replace(/\s+/g, ' ');

describe('account emails in the recipient’s language, their expiry in the reporting time zone', function () {
  this.timeout(30_000);
  const t = withSmtpTestContext();

  const askForReset = async (email: string) => {
    const agent = supertest.agent(t.ctx.app);
    const csrf = await csrfFrom(agent, '/password/forgot');
    await agent.post('/password/forgot').type('form').send({ _csrf: csrf, email }).expect(200);
  };

  it('invites in the workspace’s language (the invitee has chosen none yet), the expiry in its time zone, named', async () => {
    // The test clock stands at 2026-11-23 10:00 UTC: the invitation works 7 days, until 11:00 in Berlin (CET, MEZ in German).
    await updateSettings(t.ctx.deps.db, { reporting_time_zone: 'Europe/Berlin', default_locale: 'de' });
    const { agent, csrf } = await t.ctx.signIn('admin');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'Nora@Example.com', name: 'Nora Neu', role: 'viewer', access: 'invite', password: '' }).expect(303);

    const [mail] = await mailCount(t.smtp, 1);
    expect(mail.parsed.subject).to.equal('Sie sind zu Touchpoint eingeladen');
    const text = textOf(mail);
    expect(text).to.contain('Hallo Nora Neu,');
    expect(text).to.contain('Der Link funktioniert einmal, 7 Tage lang (bis 30. November 2026 um 11:00 MEZ).');
    expect(text).to.contain('Ihre Anmelde-E-Mail-Adresse ist Nora@Example.com.');
    expect(text).to.not.contain('UTC');
    expect(text).to.not.match(/\b(The link|Hello|Choose your password)\b/);
    const html = htmlOf(mail);
    expect(html).to.contain('<html lang="de">');
    expect(html).to.contain('bis 30. November 2026 um 11:00 MEZ');
    expect(html).to.contain('Falls die Schaltfläche nicht funktioniert, öffnen Sie diese Adresse:');
    linkTokenOf(mail);
  });

  it('invites in English with an English workspace, in its time zone (not UTC)', async () => {
    await updateSettings(t.ctx.deps.db, { reporting_time_zone: 'America/New_York', default_locale: 'en' });
    const { agent, csrf } = await t.ctx.signIn('admin');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'ned@example.com', name: '', role: 'viewer', access: 'invite', password: '' }).expect(303);
    const [mail] = await mailCount(t.smtp, 1);
    expect(mail.parsed.subject).to.equal('You are invited to Touchpoint');
    expect(textOf(mail)).to.contain('The link works once, for 7 days (until 30 November 2026 at 05:00 GMT-5).');
    expect(htmlOf(mail)).to.contain('<html lang="en">');
  });

  it('sends a reset in the language the user chose on the Account page, whatever the workspace’s', async () => {
    await updateSettings(t.ctx.deps.db, { reporting_time_zone: 'Europe/Berlin', default_locale: 'en' });
    const { agent, csrf, email } = await t.ctx.signIn('editor');
    await agent.post('/account/language').type('form').send({ _csrf: csrf, locale: 'de' }).expect(303);

    await askForReset(email);
    const [mail] = await mailCount(t.smtp, 1);
    expect(mail.parsed.subject).to.equal('Touchpoint-Passwort zurücksetzen');
    // Asked at 10:00 UTC: an hour, until 12:00 in Berlin.
    expect(textOf(mail)).to.contain('Der Link funktioniert einmal, 1 Stunde lang (bis 23. November 2026 um 12:00 MEZ).');
    expect(htmlOf(mail)).to.contain('<html lang="de">');
  });

  it('keeps English for a user who has signed in with English, though the workspace’s default is German', async () => {
    await updateSettings(t.ctx.deps.db, { reporting_time_zone: 'Europe/Berlin', default_locale: 'de' });
    const { email } = await t.ctx.signIn('viewer');
    await askForReset(email);
    const [mail] = await mailCount(t.smtp, 1);
    expect(mail.parsed.subject).to.equal('Reset your Touchpoint password');
    expect(textOf(mail)).to.contain('The link works once, for 1 hour (until 23 November 2026 at 12:00 CET).');
  });
});
