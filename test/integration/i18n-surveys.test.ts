import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { DAY } from '../../server/clock.ts';
import { formFromTemplate } from '../../server/survey-editor/form.ts';

/** The survey list, editor, preview and rule simulation for a German-speaking editor: German texts, English ones gone. */
describe('survey pages in German', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let agent: supertest.Agent;
  let csrf: string;
  /** The page's text: tags gone, entities of quotes undone, spaces collapsed. */
  const text = (html: string) =>
    html
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#x27;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&#x3D;/g, '=')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ');
  /** The page is German: its language, these texts there, their English originals not. */
  const german = (html: string, present: string[], absent: string[]) => {
    expect(html).to.include('<html lang="de"');
    const shown = text(html);
    for (const de of present) expect(shown, de).to.include(de);
    for (const en of absent) expect(shown, en).not.to.include(en);
  };

  before(async () => {
    const signedIn = await ctx.signIn('editor');
    ({ agent, csrf } = signedIn);
    await ctx.deps.db('users').where({ email: signedIn.email }).update({ locale: 'de' });
    const start = new Date('2026-08-01T10:00:00Z');
    ctx.clock.set(start);
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    await ctx.api.post('/api/v1/surveys').send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'paused' }).expect(201);
    for (let day = 0; day <= 80; day += 10) {
      ctx.clock.set(new Date(start.getTime() + day * DAY));
      for (const who of ['ann', 'bob']) {
        await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: `${who}-${day}`, customer: { id: who, email: `${who}@example.com` } }).expect(202);
      }
    }
    ctx.clock.set(new Date(start.getTime() + 85 * DAY));
  });

  it('lists the surveys', async () => {
    const res = await agent.get('/surveys').expect(200);
    expect(res.text).to.include('<title>Umfragen');
    german(
      res.text,
      ['Neue Umfrage', 'Kennzahl', 'Verwaltet über', 'Aktionen', 'pausiert', 'Vorschau', 'Duplizieren'],
      ['New survey', 'Managed by', 'Metric', 'Actions', 'Preview', 'Duplicate', 'paused', 'the API'],
    );
  });

  it('shows the new-survey form, and its errors', async () => {
    const res = await agent.get('/surveys/new').expect(200);
    german(
      res.text,
      ['Neue Umfrage', 'Mit der vorgegebenen Formulierung beginnen für', 'Touchpoint-Schlüssel', 'Formulierung auf Englisch', 'Stichprobenquote (%)', 'Ruhezeiten', 'Umfrage anlegen', 'Alle Umfragen', 'Den globalen Ruhezeiten folgen'],
      ['Start from the built-in wording', 'Touchpoint key', 'Wording in', 'Sample rate', 'Quiet hours', 'Create survey', 'All surveys', 'Follow the global quiet hours', 'Web link only'],
    );
    const bad = await agent
      .post('/surveys')
      .type('form')
      .send({ ...formFromTemplate('nps'), _csrf: csrf, touchpoint: 'kiosk', key: 'kiosk-nps', quiet_hours_mode: 'own' })
      .expect(422);
    german(bad.text, ['Bitte korrigieren Sie die unten markierten Felder.', 'wird für eigene Ruhezeiten der Umfrage benötigt'], ['Please correct the fields', 'is needed for the survey']);
  });

  it('shows a survey, and says what its buttons did', async () => {
    const res = await agent.get('/surveys/support-csat').expect(200);
    german(
      res.text,
      ['Umfrage support-csat', 'Weblink', 'Vorschau von E-Mail und Seite', 'Test an mich senden', 'Aktivieren', 'Kontaktregeln simulieren', 'Kontaktregeln dieser Umfrage', 'Änderungen speichern'],
      ['Web link', 'Preview email and page', 'Send a test to me', 'Activate', 'Simulate contact rules', "This survey's contact rules", 'Save changes'],
    );
    await agent.post('/surveys/delivery-nps/duplicate').type('form').send({ _csrf: csrf }).expect(303);
    const copied = await agent.get('/surveys/delivery-nps-copy').expect(200);
    german(copied.text, ['Umfrage delivery-nps nach delivery-nps-copy kopiert, als Entwurf.'], ['copied to']);
    await agent.get('/surveys/nope').expect(404);
  });

  it('previews a survey', async () => {
    const res = await agent.get('/surveys/delivery-nps/preview').expect(200);
    german(
      res.text,
      ['Vorschau von delivery-nps', 'Dies ist die gespeicherte Umfrage (aktiv).', 'Englisch (Standardsprache)', 'Die E-Mail', 'Betreff', 'Die Umfrageseite', 'Nach dem Antworten'],
      ['Preview of', 'This is the saved survey', 'default language', 'The email', 'Subject', 'The survey page', 'After answering', 'phone width'],
    );
    expect(res.text).to.include('title="Die E-Mail auf Deutsch, Telefonbreite"').and.not.include('phone width');
    expect(res.text, 'the staff texts among the English preview are tagged German').not.to.match(/ lang="en">/);
    await agent.post('/surveys/delivery-nps/test').type('form').send({ _csrf: csrf, locale: 'de' }).expect(303);
    const after = await agent.get('/surveys/delivery-nps/preview').expect(200);
    german(after.text, ['Eine Test-E-Mail (Deutsch) wurde an'], ['A test email', 'was sent to']);
  });

  it('simulates contact rules', async () => {
    const form = await agent.get('/surveys/support-csat/simulate').expect(200);
    german(
      form.text,
      ['Kontaktregeln für support-csat simulieren', 'Die Umfrage ist pausiert', 'Globale Kontaktregeln (alle Umfragen)', 'Leer: aus.', 'Die letzten 90 Tage simulieren'],
      ['Simulate contact rules', 'The survey is paused', 'Global contact rules', 'Blank: off.', 'Simulate the last 90 days'],
    );
    const res = await agent
      .post('/surveys/delivery-nps/simulate')
      .type('form')
      .send({ _csrf: csrf, sample_rate: '100', send_delay_minutes: '0', cooldown_after_invitation_days: '', cooldown_after_response_days: '', quiet_hours_mode: 'global' })
      .expect(200);
    german(
      res.text,
      ['Was diese Regeln bewirkt hätten', '18 Ereignisse von 2 Kunden', '12 Ereignisse wären anders entschieden worden.', 'die Sperrfrist der Umfrage nach einer Einladung: 90 → aus', 'Keine Umfrage: globale Sperrfrist', 'Anders entschiedene Ereignisse', 'unterdrückt: cooldown_survey'],
      ['What these rules would have done', 'events of', 'decided differently', 'cooldown after an invitation', 'No survey:', 'send at', 'suppressed:'],
    );
    const bad = await agent.post('/surveys/delivery-nps/simulate').type('form').send({ _csrf: csrf, sample_rate: '500', global_cap_count: '' }).expect(422);
    german(bad.text, ['muss zwischen 0 und 100 liegen', 'geben Sie die Zahl der Einladungen und den Zeitraum an'], ['must be between', 'give both']);
  });
});
