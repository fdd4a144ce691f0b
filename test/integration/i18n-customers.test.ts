import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { DAY, HOUR, MINUTE } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { insertResponse } from '../../server/responses/store.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { reasonTexts, suppressionReasons } from '../../server/eligibility/reasons.ts';
import { t } from '../../server/i18n/index.ts';

/** The page's text without tags, entities undone, spaces collapsed. */
const text = (html: string) =>
  html.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

/** Asserts each German text is on the page and its English original is not. */
function inGerman(html: string, pairs: [de: string, en: string][]) {
  expect(html).to.include('<html lang="de"');
  const page = text(html);
  for (const [de, en] of pairs) {
    expect(page, de).to.include(de);
    expect(page, en).not.to.include(en);
  }
}

describe('customer pages, follow-ups and the digest in German', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let agent: supertest.Agent;

  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    const signedIn = await ctx.signIn('editor');
    agent = signedIn.agent;
    await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
    await ctx.api.post('/api/v1/surveys').send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }).expect(201);
    // Ann: invited on support, then a second event falls into the global cooldown.
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-1', customer: { id: 'ann-1', email: 'ann@example.com' } }).expect(202);
    ctx.clock.advance(3 * DAY);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-2', customer: { id: 'ann-1', email: 'ann@example.com' } }).expect(202);
    ctx.clock.advance(HOUR);
    // Bea's address bounced; Uma unsubscribed.
    const at = toDbTime(ctx.clock.now());
    await ctx.deps.db('customers').insert({ external_id: 'bea-1', email: 'bea-1@example.com', properties: '{}', bounced_at: at, bounce_reason: '550 mailbox unknown', created_at: at, updated_at: at });
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-3', customer: { id: 'uma-2', email: 'uma@example.com' } }).expect(202);
    await ctx.deps.db('customers').where({ external_id: 'uma-2' }).update({ unsubscribed_at: at });
    // A detractor with a comment, for the follow-ups.
    const survey = await activeSurvey(ctx, { key: 'delivery-nps', metric: 'nps' });
    const seeded = await seedInvitation(ctx, { surveyKey: survey.key, metric: 'nps', state: 'sent', email: 'dora@example.com' });
    await writeTransaction(ctx.deps.db, (trx) =>
      insertResponse(trx, { survey_id: seeded.survey.id, invitation_id: seeded.invitationId, customer_id: seeded.customerId, score: 3, comment: 'Zu spät', channel: 'email', answered_at: ctx.clock.now() }, 'Europe/Berlin'),
    );
    ctx.clock.advance(MINUTE);
  });

  it('gives the reasons the same English words as the eligibility rules', () => {
    for (const reason of suppressionReasons) expect(t('en', 'customers.reason', { reason })).to.equal(reasonTexts[reason]);
    expect(t('de', 'customers.reason', { reason: 'something_new' })).to.equal('something_new');
  });

  it('shows the customer search in German', async () => {
    const res = await agent.get('/customers').expect(200);
    inGerman(res.text, [
      ['Zuletzt gesehene Kunden', 'Recently seen customers'],
      ['Kunden-ID oder E-Mail', 'Customer id or email'],
      ['Ein Teil der ID oder der Adresse genügt.', 'Part of the id or the address is enough.'],
      ['Zuletzt gesehen (Europe/Berlin)', 'Last seen'],
      ['abgemeldet', 'unsubscribed'],
    ]);
    expect(res.text).to.include('<title>Kunden');
    const none = await agent.get('/customers').query({ q: 'nobody-here' }).expect(200);
    inGerman(none.text, [
      ['Kunden mit „nobody-here“', 'Customers matching'],
      ['Kein Kunde hat eine ID oder E-Mail, die „nobody-here“ enthält.', 'No customer has an id or email containing'],
    ]);
  });

  it('shows one customer, their status and timeline in German', async () => {
    const ann = await agent.get('/customers/ann-1').expect(200);
    inGerman(ann.text, [
      ['Kann dieser Kunde eine Umfrage bekommen?', 'Can this customer get a survey?'],
      ['Keine Umfrage vor', 'No survey before'],
      ['Globale Sperrfrist: letzte Einladung', 'Global cooldown: last invitation'],
      ['Angaben', 'Details'],
      ['Verlauf', 'Timeline'],
      ['Älteste zuerst. Zeiten in Europe/Berlin', 'Oldest first'],
      ['Ereignis bei support', 'Event on support'],
      ['Keine Umfrage: cooldown_global', 'No survey: cooldown_global'],
      ['Keine Umfrage, denn der Kunde wurde kürzlich eingeladen oder hat kürzlich geantwortet (globale Sperrfrist).', 'No survey because'],
      // The rules' detail, recorded in English, read in German.
      ['cooldown_global: letzte Einladung', 'cooldown_global: last invitation'],
      ['; Regel: 30 Tage', '; rule: 30 days'],
      ['Transaktion', 'Transaction'],
      ['Einladung #', 'Invitation #'],
      ['← Kunden', '← Customers'],
    ]);
    expect(ann.text).to.include('<title>Kunde ann-1');

    const bea = await agent.get('/customers/bea-1').expect(200);
    inGerman(bea.text, [
      ['E-Mails an diesen Kunden sind unzustellbar (Hard Bounce) seit', 'Email to this customer hard-bounced on'],
      ['; der Mailserver antwortete: 550 mailbox unknown', 'the mail server answered'],
      ['Hard Bounce aufheben', 'Clear the hard bounce'],
      ['Bekommt keine Umfrage: E-Mails an den Kunden sind unzustellbar (Hard Bounce).', 'Gets no survey'],
    ]);

    const uma = await agent.get('/customers/uma-2').expect(200);
    inGerman(uma.text, [
      ['Der Kunde hat sich am', 'The customer unsubscribed from all surveys on'],
      ['von allen Umfragen abgemeldet. Nur der Kunde kann das rückgängig machen, Bearbeiter nicht.', 'Only the customer can undo this'],
      ['Von allen Umfragen abgemeldet', 'Unsubscribed from all surveys'],
      ['Bekommt keine Umfrage: der Kunde hat sich abgemeldet.', 'the customer unsubscribed'],
    ]);
  });

  it('shows the follow-ups in German', async () => {
    const res = await agent.get('/follow-ups').expect(200);
    inGerman(res.text, [
      ['Kritiker, die einen Kommentar hinterlassen haben', 'Detractors who left a comment'],
      ['Wochenbericht per E-Mail', 'Weekly digest by email'],
      ['Offen (1)', 'Open (1)'],
      ['1 Nachfassaktion.', '1 follow-up'],
      ['Wert', 'Score'],
      ['Kommentar:', 'Comment:'],
      ['Erledigen', 'Mark done'],
      ['Als nachgefasst markieren', 'Mark followed up'],
      ['Alle Umfragen', 'All surveys'],
      ['Benachrichtigungen: Verantwortliche je Umfrage', 'Alert emails: owner per survey'],
      ['Niemand (keine Benachrichtigungen)', 'Nobody (no alert emails)'],
    ]);
    expect(res.text).to.include('<title>Nachfassen');
    const done = await agent.get('/follow-ups').query({ status: 'done' }).expect(200);
    inGerman(done.text, [['Noch nichts nachgefasst.', 'Nothing followed up yet.']]);
  });

  it('shows the digest page in German', async () => {
    const res = await agent.get('/digest').expect(200);
    inGerman(res.text, [
      ['Jeden Montag ab 07:00 Uhr (Europe/Berlin)', 'Every Monday from'],
      ['Mir montags einen Wochenbericht per E-Mail senden', 'Email me a weekly digest on Mondays'],
      ['auf Deutsch (die Sprache Ihres Kontos)', "your account's language"],
      ['Speichern', 'Save'],
    ]);
    expect(res.text).to.include('<title>Wochenbericht');
  });
});
