import { expect } from 'chai';
import type supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { HOUR } from '../../server/clock.ts';

/** The page's text with Handlebars' entities undone, so catalogue texts can be looked for as written. */
const text = (res: supertest.Response) =>
  res.text.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Expects a German staff page: lang="de", each German text present, each English original gone. */
function expectGerman(res: supertest.Response, german: string[], english: string[]): void {
  const page = text(res);
  expect(res.text).to.match(/<html lang="de">/);
  for (const de of german) expect(page, de).to.contain(de);
  for (const en of english) expect(page, en).not.to.contain(en);
}

describe('the delivery log, the mailbox and the audit log in German', () => {
  const ctx = withTestContext();
  let agent: supertest.Agent;
  let csrf: string;
  let sent: number;

  before(async () => {
    const a = await seedInvitation(ctx, { surveyKey: 'delivery-nps', locale: 'de' });
    await runOnce(ctx.deps);
    sent = a.invitationId;
    // One more, due in 45 minutes: the mailbox names it as the next email.
    await seedInvitation(ctx, { surveyKey: 'delivery-nps', sendAt: new Date(ctx.clock.now().getTime() + 45 * 60_000) });
    ctx.clock.advance(HOUR / 60);
    const signedIn = await ctx.signIn('admin', 'admin-de@example.com');
    await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
    ({ agent, csrf } = signedIn);
  });

  it('shows the delivery log in German, the states as words, their CSS class raw', async () => {
    const res = await agent.get('/deliveries').expect(200);
    expectGerman(
      res,
      ['<h1>Versandprotokoll</h1>', 'Alle Einladungen, die neuesten zuerst', 'Alle Umfragen', 'Alle Status', 'Einladungen 1–2 von 2', '<th scope="col">Letzter Fehler</th>', 'Filter zurücksetzen', '<title>Versandprotokoll'],
      ['Every invitation, newest first', 'All surveys', 'All states', '<th scope="col">Last error</th>', 'Invitations 1–2 of 2', 'Clear filters'],
    );
    expect(res.text).to.match(/<span class="pill state-sent">gesendet<\/span>/);
    expect(res.text).to.match(/<span class="pill state-scheduled">geplant<\/span>/);
    expect(res.text).to.match(/<option value="responded">beantwortet<\/option>/);

    const past = await agent.get('/deliveries?page=9').expect(200);
    expectGerman(past, ['Es gibt keine Seite 9: Die 2 Einladungen passen auf 1 Seite.', 'Zu Seite 1</a>'], ['There is no page', 'Go to page']);
  });

  it('shows one invitation in German', async () => {
    const res = await agent.get(`/deliveries/${sent}`).expect(200);
    expectGerman(
      res,
      [`Einladung #${sent}`, 'Ereignis und Entscheidung', 'Link-Klicks', 'Als Kunde öffnen', 'Ihre Links sind wirkungslos', 'Textteil', 'Geplant für'],
      ['Event and decision', 'Link clicks', 'Open as the customer', 'Its links are inert', 'Text part', 'Scheduled for'],
    );
    expect(res.text).to.contain('<code>preview-token</code>');
  });

  it('marks "Open as the customer" in the staff user’s language, on the customer’s page', async () => {
    const res = await agent.post(`/deliveries/${sent}/as-customer`).type('form').send({ _csrf: csrf }).expect(200);
    expectGerman(res, [`Vorschau der Einladung #${sent}, wie der Kunde sie sieht.`, 'Zurück zur Einladung', '<title>Vorschau: '], ['Preview of invitation', 'Back to the invitation']);
    expect(res.text).to.contain('class="warning as-customer-note" role="note" lang="de"');
  });

  it('shows the mailbox and a message in German, with the next email in words', async () => {
    const res = await agent.get('/mailbox').expect(200);
    expectGerman(
      res,
      ['<h1>Postfach</h1>', 'Solange <code>SMTP_URL</code> nicht gesetzt ist', 'Nächste geplante E-Mail:', '(in 44 Minuten; die Versandverzögerung', 'Insgesamt 1 Einladung geplant.', '<th scope="col">Betreff</th>'],
      ['With no <code>SMTP_URL</code> set', 'Next scheduled email', 'minutes;', 'scheduled in all', '<th scope="col">Subject</th>'],
    );
    const [message] = await ctx.deps.db('mailbox_messages').select('id');
    const show = await agent.get(`/mailbox/${message.id}`).expect(200);
    expectGerman(show, ['← Postfach', 'Mit wirkungslosen Links angezeigt', 'Kopfzeilen', 'Einzeln öffnen'], ['Shown with inert links', 'Open it alone', 'Text part']);
  });

  it('shows the audit log in German, its refused filters too', async () => {
    const res = await agent.get('/audit').expect(200);
    expectGerman(
      res,
      ['<h1>Protokoll</h1>', 'Wer hat was wann und von wo aus getan', 'Alle Aktionen', 'Diese Zeilen als CSV herunterladen', '<th scope="col">Von wo</th>', 'Zeilen 1–', 'Wer (Teil einer E-Mail-Adresse'],
      ['Who did what', 'All actions', 'Download these lines as CSV', '<th scope="col">From where</th>', 'Who (part of an email'],
    );
    const refused = await agent.get('/audit?from=2026-13-01').expect(422);
    expectGerman(refused, ['Diese Filter können nicht verwendet werden: from:'], ['These filters cannot be used']);
  });
});
