import { expect } from 'chai';
import type supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { audit, cliActor, systemActor } from '../../server/audit/record.ts';

/** The page's text with Handlebars' entities undone, so catalogue texts can be looked for as written. */
const text = (res: supertest.Response) =>
  res.text.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The audit log's lines (who did what) in the reader's language; the CSV stays English. */
describe('the audit log’s sentences in German', () => {
  const ctx = withTestContext();
  let german: supertest.Agent;
  let english: supertest.Agent;

  before(async () => {
    const now = ctx.clock.now();
    const db = ctx.deps.db;
    await audit(db, { actor: { type: 'user', id: 1, label: 'boss@example.com' }, action: 'user.created', target: { type: 'user', id: 7, label: 'ann@example.com' }, detail: { role: 'admin' } }, now);
    await audit(db, { actor: { type: 'user', id: 1, label: 'boss@example.com' }, action: 'user.role_changed', target: { type: 'user', id: 7, label: 'ann@example.com' }, detail: { from: 'editor', to: 'admin' } }, now);
    await audit(db, { actor: { type: 'api_key', id: 2, label: 'shop' }, action: 'customer.erased', target: { type: 'customer', id: 4, label: 'c-4' } }, now);
    await audit(db, { actor: cliActor, action: 'import.responses', detail: { file: 'answers.csv', taken: 2, refused: 1, skipped: 0 } }, now);
    await audit(db, { actor: systemActor, action: 'audit.pruned', detail: { deleted: 3, retention_days: 365, before: '2025-11-23T10:00:00.000Z' } }, now);
    await audit(db, { actor: { type: 'user', id: 1, label: 'boss@example.com' }, action: 'settings.changed', detail: { changes: { reporting_time_zone: { from: 'UTC', to: 'Europe/Berlin' }, logo_url: { from: '', to: 'https://x.example/l.png' } } } }, now);
    await audit(db, { actor: { type: 'anonymous' }, action: 'auth.sign_in_failed', target: { type: 'user', label: 'eve@example.com' } }, now);
    await audit(db, { actor: { type: 'user', id: 1, label: 'boss@example.com' }, action: 'auth.totp_enrolled', target: { type: 'user', id: 7, label: 'ann@example.com' } }, now);
    const de = await ctx.signIn('admin', 'admin-de@example.com');
    await db('users').where({ email: de.email }).update({ locale: 'de' });
    german = de.agent;
    english = (await ctx.signIn('admin', 'admin-en@example.com')).agent;
  });

  it('words each line in German, the data as stored', async () => {
    const res = await german.get('/audit').expect(200);
    const page = text(res);
    expect(res.text).to.match(/<html lang="de">/);
    for (const de of [
      'hat den Benutzer ann@example.com mit der Rolle admin angelegt',
      'hat die Rolle von ann@example.com von editor auf admin geändert',
      'API-Schlüssel shop',
      'hat den Kunden c-4 gelöscht',
      '<td>Kommandozeile</td>',
      'hat Antworten aus answers.csv importiert: 2 Zeilen übernommen, 1 Zeile abgelehnt, 0 Zeilen als bereits importiert übersprungen',
      '<td>System</td>',
      'hat 3 Protokollzeilen gelöscht, die älter als 365 Tage waren (vor 2025-11-23T10:00:00.000Z)',
      'hat die Einstellungen geändert: Berichtszeitzone von UTC auf Europe/Berlin; Logo-Adresse von (leer) auf https://x.example/l.png',
      '<td>anonym</td>',
      'konnte sich nicht als eve@example.com anmelden',
      'Aktion auth.totp_enrolled: ann@example.com',
      'hat sich angemeldet',
    ]) {
      expect(page, de).to.contain(de);
    }
    for (const en of [
      'created the user',
      'changed the role of',
      'API key shop',
      'erased the customer',
      // ("command line" may still appear as data: the owner an API key was made by, as stored.)
      '<td>command line</td>',
      'imported responses',
      '<td>system</td>',
      'deleted 3 audit lines',
      'changed the settings',
      'reporting time zone',
      '<td>anonymous</td>',
      'failed to sign in',
      'totp enrolled (auth)',
      'signed in',
    ]) {
      expect(page, en).not.to.contain(en);
    }
  });

  it('keeps the English page and the CSV in English', async () => {
    const page = text(await english.get('/audit').expect(200));
    expect(page).to.contain('created the user ann@example.com with the role admin');
    expect(page).to.contain('changed the settings: reporting time zone from UTC to Europe/Berlin; logo address from (blank) to https://x.example/l.png');
    expect(page).to.contain('totp enrolled (auth): ann@example.com');
    expect(page).not.to.contain('hat den Benutzer');

    const csv = (await german.get('/audit.csv').expect(200)).text;
    expect(csv).to.contain('changed the role of ann@example.com from editor to admin');
    expect(csv).to.contain('API key shop');
    expect(csv).to.contain('command line');
    expect(csv).not.to.contain('hat die Rolle');
    expect(csv).not.to.contain('Kommandozeile');
  });
});
