import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { apiScopes } from '../../server/apikeys/scopes.ts';

type Run = { code: number; stdout: string; stderr: string };

/** The locale variables as a shell hands them on: only those given are set (an empty one counts as unset). */
const german = { LANG: 'de_DE.UTF-8' };
const english = { LANG: 'C' };

/** The real `touchpoint` command against the test database, in the language its locale variables say (`env` may set others too). */
function touchpoint(ctx: TestContext, locale: Record<string, string>, ...args: string[]): Promise<Run> {
  return promisify(execFile)(process.execPath, ['server/touchpoint.js', ...args], {
    env: {
      ...process.env,
      LC_ALL: '',
      LC_MESSAGES: '',
      LANG: '',
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LOG_LEVEL: 'silent',
      ...locale,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: Run) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}
const lines = (text: string) => text.trimEnd().split('\n');

/** Words of the English output that must not show in the German (data and the English last line aside). */
const englishWords = /\b(line|rows?|taken|refused|skipped|must|is not|the file|Created|Password must|Unknown|There is no)\b/;

describe('the touchpoint command in German (LC_ALL, LC_MESSAGES, LANG)', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-i18n-cli-'));
    // The touchpoint and survey keys of the demo: `touchpoint demo` then finds it loaded.
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports responses in German: each refused row a German sentence naming its column, exit 1, the English summary still the last line', async () => {
    const file = write(
      'responses.csv',
      'survey,score,answered_at,email\n' +
        'delivery-nps,9,2026-05-01T10:00:00Z,de-1@example.com\n' + // 2 taken
        'delivery-nps,11,2026-05-01T10:00:00Z,de-2@example.com\n' + // 3 outside the scale
        'delivery-nps,8,2099-05-01T10:00:00Z,de-3@example.com\n' + // 4 in the future
        'nope,5,2026-05-01T10:00:00Z,\n' + // 5 no such survey
        'delivery-nps,7,2026-05-02T10:00:00Z,not-an-address\n', // 6 not an email address
    );
    const run = await touchpoint(ctx, german, 'import', 'responses', file);
    expect(run.code, 'a command that refused rows exits non-zero').to.equal(1);
    const out = lines(run.stdout);
    expect(out[0]).to.equal('Zeile 3: score 11 liegt außerhalb der NPS-Skala 0–10');
    expect(out[1]).to.match(/^Zeile 4: answered_at „2099-05-01T10:00:00Z“ liegt in der Zukunft \(jetzt ist es \S+\); eine Antwort lässt sich nicht importieren, bevor sie gegeben wurde$/);
    expect(out.slice(2)).to.deep.equal([
      'Zeile 5: unbekannte Umfrage „nope“',
      'Zeile 6: email „not-an-address“ ist keine E-Mail-Adresse',
      '1 Zeile übernommen, 4 Zeilen abgelehnt, 0 Zeilen als bereits importiert übersprungen',
      '1 row taken, 4 rows refused, 0 rows skipped as already imported',
    ]);
    expect(out.slice(0, -1).join('\n')).to.not.match(englishWords);
    // No progress (standard error is no terminal here) and nothing else on standard error.
    expect(run.stderr).to.equal('');

    // The same file in English, as before (a dry run now: the good row was imported above).
    const dry = await touchpoint(ctx, english, 'import', 'responses', file, '--dry-run');
    expect(dry.code).to.equal(1);
    expect(lines(dry.stdout)[0]).to.equal('line 3: score 11 is outside the NPS scale 0–10');
    expect(lines(dry.stdout).slice(2)).to.deep.equal([
      'line 5: unknown survey "nope"',
      'line 6: email "not-an-address" is not an email address',
      '0 rows taken, 4 rows refused, 1 row skipped as already imported (dry run: nothing was written)',
    ]);
    const dryGerman = await touchpoint(ctx, german, 'import', 'responses', file, '--dry-run');
    expect(lines(dryGerman.stdout).slice(-2)).to.deep.equal([
      '0 Zeilen übernommen, 4 Zeilen abgelehnt, 1 Zeile als bereits importiert übersprungen (Probelauf: nichts wurde geschrieben)',
      '0 rows taken, 4 rows refused, 1 row skipped as already imported (dry run: nothing was written)',
    ]);
  });

  it('imports events in German: the service’s refusals by field, the email note and the summary in German, the English summary last', async () => {
    const file = write(
      'events.csv',
      'touchpoint,transaction_id,email,occurred_at\n' +
        'delivery,DE-1,de-ev1@example.com,\n' + // 2 taken (recorded, nobody emailed)
        'nowhere,DE-2,de-ev2@example.com,\n' + // 3 no such touchpoint
        'delivery,DE-3,de-ev3@example.com,yesterday\n' + // 4 not an instant
        'delivery,DE-4,too\n' + // 5 too few fields
        'delivery,DE-1,de-ev1@example.com,\n', // 6 line 2 again
    );
    const run = await touchpoint(ctx, german, 'import', 'events', file);
    expect(run.code).to.equal(1);
    const out = lines(run.stdout);
    expect(out[0]).to.equal('Zeile 3: touchpoint: kein Touchpoint hat den Schlüssel „nowhere“');
    // Not an ISO time: named once (the range is not checked on top of it), in German.
    expect(out[1]).to.equal('Zeile 4: occurred_at: muss eine ISO-8601-Zeit mit Zeitzone sein, etwa 2026-11-23T10:00:00Z');
    expect(out[2]).to.equal('Zeile 5: hat 3 Felder, die Kopfzeile hat 4');
    expect(out[3]).to.match(/^Zeile 6: duplicate_event: diese Transaktion wurde schon einmal empfangen \(Ereignis \d+, suppressed\)$/);
    expect(out.slice(4)).to.deep.equal([
      'Es wird keine E-Mail versandt: Mit --send werden Ereignisse innerhalb des Höchstalters ihrer Umfrage befragt',
      '1 Zeile übernommen, 4 Zeilen abgelehnt',
      '1 row taken, 4 rows refused',
    ]);
    expect(run.stderr).to.equal('');

    const missing = await touchpoint(ctx, german, 'import', 'events', path.join(dir, 'none.csv'));
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim()).to.equal(`Die Datei ${path.join(dir, 'none.csv')} gibt es nicht.`);
    const columns = await touchpoint(ctx, german, 'import', 'events', write('columns.csv', 'touchpoint\ndelivery\n'));
    expect(columns.stderr.trim()).to.equal('Der Datei fehlen die Spalten transaction_id, email.');
    const nameless = await touchpoint(ctx, german, 'import', 'events');
    expect(nameless.code).to.equal(1);
    expect(nameless.stderr.trim()).to.equal('Nennen Sie die CSV-Datei: touchpoint import events FILE.csv');
  });

  it('creates users in German, and refuses each bad field once, in a German sentence naming it', async () => {
    const created = await touchpoint(ctx, german, 'user', 'create', '--email', 'de-user@example.com', '--role', 'editor', '--password', 'a long enough password');
    expect(created.code).to.equal(0);
    expect(lines(created.stdout)).to.deep.equal(['Benutzer de-user@example.com mit der Rolle editor angelegt.', 'Created editor de-user@example.com']);

    const generated = await touchpoint(ctx, german, 'user', 'create', '--email', 'de-gen@example.com', '--role', 'viewer');
    const out = lines(generated.stdout);
    expect(out.slice(0, 2)).to.deep.equal([
      'Benutzer de-gen@example.com mit der Rolle viewer angelegt.',
      'Das für diesen Benutzer erzeugte Passwort folgt; es wird nur dieses eine Mal angezeigt:',
    ]);
    expect(out[2]).to.match(/^Password: [A-Za-z0-9_-]{20}$/);

    const bad = await touchpoint(ctx, german, 'user', 'create', '--email', 'x', '--role', 'boss');
    expect(bad.code).to.equal(1);
    expect(lines(bad.stderr)).to.deep.equal(['Das Feld „email“ muss eine E-Mail-Adresse sein.', 'Das Feld „role“ muss admin, editor oder viewer sein.']);
    expect(bad.stdout).to.equal('');
    const short = await touchpoint(ctx, german, 'user', 'create', '--email', 'de-short@example.com', '--role', 'viewer', '--password', 'short');
    expect(lines(short.stderr)).to.deep.equal(['Das Passwort muss mindestens 12 Zeichen lang sein.']);
    const taken = await touchpoint(ctx, german, 'user', 'create', '--email', 'de-user@example.com', '--role', 'viewer', '--password', 'a long enough password');
    expect(lines(taken.stderr)).to.deep.equal(['Das Feld „email“ ist bereits vergeben.']);
  });

  it('creates and revokes API keys in German; the key stays alone on its last line, the expiry in the reporting time zone', async () => {
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    try {
      const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
      const created = await touchpoint(ctx, german, 'apikey', 'create', '--name', 'de-key', '--scopes', 'metrics:read', '--expires', expires);
      expect(created.code).to.equal(0);
      const out = lines(created.stdout);
      expect(out).to.have.length(3);
      expect(out[0]).to.match(/^API-Schlüssel „de-key“ mit den Berechtigungen metrics:read erstellt; er läuft am \d{1,2}\. [A-Za-zä]+ \d{4} um 00:00 MES?Z ab\.$/);
      expect(out[1]).to.equal('Er wird nur dieses eine Mal angezeigt; speichern Sie ihn jetzt:');
      expect(out[2]).to.match(/^tp_[A-Za-z0-9_-]{20,}$/);

      const soon = await touchpoint(ctx, german, 'apikey', 'create', '--name', 'de-bad', '--expires', 'soon');
      expect(soon.code).to.equal(1);
      expect(lines(soon.stderr)).to.deep.equal([
        'Das Ablaufdatum (--expires) muss ein Datum (JJJJ-MM-TT) oder ein ISO-8601-Zeitpunkt mit Zeitzonenversatz sein, etwa 2027-06-30 oder 2027-06-30T18:00:00Z.',
      ]);
      expect(soon.stdout).to.not.match(/tp_/);
      const scope = await touchpoint(ctx, german, 'apikey', 'create', '--name', 'de-bad', '--scopes', 'everything');
      expect(lines(scope.stderr)).to.deep.equal([`scopes: "everything" ist keine Berechtigung; die Berechtigungen sind ${apiScopes.join(', ')}.`]);
      const nameless = await touchpoint(ctx, german, 'apikey', 'create', '--name', ' ');
      expect(lines(nameless.stderr)).to.deep.equal(['Der Name darf nicht leer sein.']);

      const revoked = await touchpoint(ctx, german, 'apikey', 'revoke', '--name', 'de-key');
      const prefix = out[2].slice(0, 10);
      expect(lines(revoked.stdout)).to.deep.equal([
        `API-Schlüssel „de-key“ (${prefix}…) widerrufen; Aufrufe mit ihm werden ab jetzt abgelehnt.`,
        `Revoked API key "de-key" (${prefix}…); calls with it are refused from now on.`,
      ]);
      const again = await touchpoint(ctx, german, 'apikey', 'revoke', '--name', 'de-key');
      expect(again.code).to.equal(1);
      expect(lines(again.stderr)).to.deep.equal(['Es gibt keinen noch nicht widerrufenen API-Schlüssel namens „de-key“.']);
    } finally {
      await updateSettings(ctx.deps.db, { reporting_time_zone: 'UTC' });
    }
  });

  it('says the other commands’ lines in German, each last line still the English one', async () => {
    expect(lines((await touchpoint(ctx, german, 'migrate')).stdout)).to.deep.equal(['Die Datenbank ist auf dem neuesten Stand.', 'The database is up to date.']);
    const allowed = await touchpoint(ctx, german, 'widget', 'allow', 'https://de.example');
    expect(lines(allowed.stdout)).to.deep.equal(['Das Widget darf gezeigt werden auf: https://de.example', 'The widget may be shown on: https://de.example']);
    const secret = lines((await touchpoint(ctx, german, 'widget', 'secret')).stdout);
    expect(secret).to.have.length(2);
    expect(secret[0]).to.equal('Das Geheimnis des Widgets; bewahren Sie es auf Ihrem Server auf, der damit jede Kunden-ID signiert:');
    expect(secret[1]).to.not.match(/\s/);
    const demo = await touchpoint(ctx, german, 'demo');
    expect(lines(demo.stdout)).to.deep.equal([
      'Der Demo-Arbeitsbereich ist bereits geladen (der Touchpoint delivery ist vorhanden); nichts wurde geändert.',
      'The demo workspace is already loaded (touchpoint delivery exists); nothing was changed.',
    ]);
  });

  it('gives its usage, an unknown command and an unknown flag in German (exit 2), and a bad configuration', async () => {
    const help = await touchpoint(ctx, german, '--help');
    expect(help.stdout).to.contain('Aufruf: touchpoint <Befehl>');
    expect(help.stdout).to.contain('import events FILE.csv [--dry-run] [--send]');
    expect(help.stdout).to.contain('apikey create --name N [--scopes a,b] [--expires DATE]');
    for (const scope of apiScopes) expect(help.stdout).to.contain(scope);
    const unknown = await touchpoint(ctx, german, 'frobnicate');
    expect(unknown.code).to.equal(2);
    expect(lines(unknown.stderr)[0]).to.equal('Unbekannter Befehl: frobnicate');
    expect(unknown.stderr).to.contain('Aufruf: touchpoint <Befehl>');
    const flag = await touchpoint(ctx, german, 'migrate', '--frob');
    expect(flag.code).to.equal(2);
    expect(flag.stderr.trim()).to.equal('Unbekannte Option --frob; touchpoint --help nennt die Optionen.');
    const value = await touchpoint(ctx, german, 'user', 'create', '--email');
    expect(value.stderr.trim()).to.equal('Die Option --email braucht einen Wert, etwa --email WERT.');

    const config = await touchpoint(ctx, { ...german, SESSION_SECRET: 'too short' }, 'migrate');
    expect(config.code).to.equal(1);
    expect(config.stderr.trim()).to.equal('Ungültige Konfiguration:\n  SESSION_SECRET: muss mindestens 32 Zeichen lang sein');
    const configEnglish = await touchpoint(ctx, { ...english, SESSION_SECRET: 'too short' }, 'migrate');
    expect(configEnglish.stderr.trim()).to.equal('Invalid configuration:\n  SESSION_SECRET: must be at least 32 characters');
  });

  it('takes its language from LC_ALL, else LC_MESSAGES, else LANG; C, POSIX and languages without texts are English', async () => {
    const said = async (locale: Record<string, string>) => lines((await touchpoint(ctx, locale, 'migrate')).stdout);
    const germanLines = ['Die Datenbank ist auf dem neuesten Stand.', 'The database is up to date.'];
    const englishLines = ['The database is up to date.'];
    expect(await said({ LANG: 'de_DE.UTF-8' })).to.deep.equal(germanLines);
    expect(await said({ LANG: 'de' })).to.deep.equal(germanLines);
    expect(await said({ LC_MESSAGES: 'de_CH.UTF-8', LANG: 'C' })).to.deep.equal(germanLines);
    expect(await said({ LC_ALL: 'de_DE.UTF-8', LC_MESSAGES: 'C', LANG: 'C' })).to.deep.equal(germanLines);
    expect(await said({ LC_ALL: 'C', LANG: 'de_DE.UTF-8' })).to.deep.equal(englishLines);
    expect(await said({ LC_MESSAGES: 'en_GB.UTF-8', LANG: 'de_DE.UTF-8' })).to.deep.equal(englishLines);
    expect(await said({ LANG: 'POSIX' })).to.deep.equal(englishLines);
    expect(await said({ LANG: 'fr_FR.UTF-8' })).to.deep.equal(englishLines);
    expect(await said({})).to.deep.equal(englishLines);
  });

  // util-linux `script` gives the command a terminal: then, and only then, the import shows its progress.
  const withTerminal = 'script';
  const hasScript = (() => {
    try {
      execFileSync(withTerminal, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (hasScript ? it : it.skip)('shows the import’s progress on a terminal, in German', async () => {
    const file = write('tty.csv', 'survey,score,answered_at\ndelivery-nps,6,2026-06-01T10:00:00Z\ndelivery-nps,6,2026-06-02T10:00:00Z\n');
    const command = [process.execPath, 'server/touchpoint.js', 'import', 'responses', file].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(' ');
    const { stdout } = await promisify(execFile)(withTerminal, ['-qec', command, '/dev/null'], {
      env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'de_DE.UTF-8', DATABASE_URL: ctx.deps.config.databaseUrl, SESSION_SECRET: ctx.deps.config.sessionSecret, LOG_LEVEL: 'silent' },
    });
    expect(stdout).to.contain('\r2 Zeilen gelesen …');
    expect(stdout.replace(/\r/g, '').trimEnd().split('\n').at(-1)).to.equal('2 rows taken, 0 rows refused, 0 rows skipped as already imported');
  });
});
