import { parseArgs } from 'node:util';
import { ConfigError } from './config.ts';
import { AppError, fieldSentence, type FieldError } from './errors.ts';
import { bootstrap, serve, shutdown, work } from './main.ts';
import { createUser } from './auth/service.ts';
import { generatePassword } from './auth/password-policy.ts';
import { cliActor } from './audit/record.ts';
import { commandLineManager, createApiKey, revokeApiKeysByName } from './apikeys/service.ts';
import { importResponses } from './imports/responses.ts';
import { importEvents } from './imports/events.ts';
import { demoSummary, seedDemo } from './demo/seed.ts';
import { exportSurveyFile } from './surveys/files.ts';
import { summaryLine, type ImportReport, type RefusedRow } from './imports/report.ts';
import { signingSecret } from './settings/signing-secrets.ts';
import { getSettings } from './settings/service.ts';
import { allowWidgetOrigin } from './widget/service.ts';
import { formatInstant } from './dates.ts';
import { catalogs, pickLocale, t, translateKnown, type Locale } from './i18n/index.ts';

/**
 * The language the command speaks, chosen as command-line tools choose it: LC_ALL, else LC_MESSAGES, else
 * LANG, the first that is set and not empty (de_DE.UTF-8 → de; C, POSIX, a language without texts, or
 * nothing set → en). Every text comes from the catalogue (server/i18n/cli.ts); data (keys, emails, ids,
 * file names) is never translated, and JSON log lines stay as they are.
 */
function commandLocale(env: NodeJS.ProcessEnv): Locale {
  const setting = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => !!value);
  // language[_territory][.codeset][@modifier]
  return pickLocale(setting?.split(/[.@]/)[0]);
}

const locale = commandLocale(process.env);

/**
 * A command's last line: the English one, exactly as scripts and the tests read it, whatever the language;
 * in another language the same sentence in that language comes just before it.
 */
function lastLine(key: string, vars: Record<string, string | number> = {}): void {
  if (locale !== 'en') console.log(t(locale, key, vars));
  console.log(t('en', key, vars));
}

/** The cli.known.* texts' English as patterns ({name} a value to read back out), compiled once. */
let knownPatterns: { key: string; pattern: RegExp }[] | null = null;

function knownTexts(): { key: string; pattern: RegExp }[] {
  knownPatterns ??= Object.entries(catalogs.en)
    .filter(([key]) => key.startsWith('cli.known.'))
    .map(([key, text]) => ({
      key,
      pattern: new RegExp(`^${text.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => `(?<${name}>.+?)`)}$`),
    }));
  return knownPatterns;
}

/**
 * A message the services give in English (a refused field, a key that is not there), in the command's
 * language when the catalogue knows it (cli.known.* first, then validation.* and error.*: its values read back out of
 * the English), else as it is. A full stop at its end stays.
 */
function sayKnown(text: string): string {
  if (locale === 'en' || !text) return text;
  const stop = text.endsWith('.') ? '.' : '';
  const bare = stop ? text.slice(0, -1) : text;
  // The command line's own words first (they name its flags), then the pages' and the API's.
  for (const { key, pattern } of knownTexts()) {
    const match = pattern.exec(bare);
    if (match) return t(locale, key, { ...match.groups }) + stop;
  }
  const whole = translateKnown(locale, text);
  if (whole !== text) return whole;
  const known = translateKnown(locale, bare);
  if (known !== bare) return known + stop;
  return text;
}

/**
 * A refused field as one sentence naming it, once: in English as the API says it ("Role must be admin,
 * editor or viewer."); in another language its message from the catalogue, a sentence of its own when it
 * is one ("Das Passwort muss …"), else with the field ("Das Feld „role“ muss …"). A message the
 * catalogue does not know stays the English sentence.
 */
function fieldSentenceIn(error: FieldError): string {
  const said = sayKnown(error.message);
  if (locale === 'en' || said === error.message) return fieldSentence(error.field, error.message);
  const message = said.replace(/[.]$/, '');
  // "muss …", "ist …": after the field; "Das Passwort …": a sentence of its own; anything else (a quoted value first) after its name.
  if (/^\p{Lu}/u.test(message)) return `${message}.`;
  return /^\p{Ll}/u.test(message) ? t(locale, 'cli.field_sentence', { field: error.field, message }) : `${error.field}: ${message}.`;
}

/** A configuration refused ("Invalid configuration:" and a line per variable), in the command's language as far as the catalogue knows it. */
function configMessage(message: string): string {
  if (locale === 'en') return message;
  const [first, ...rest] = message.split('\n');
  if (first !== t('en', 'cli.invalid_configuration')) return sayKnown(message);
  const lines = rest.map((line) => {
    const parts = /^(\s*)([^:\s]+): (.*)$/.exec(line);
    return parts ? `${parts[1]}${parts[2]}: ${sayKnown(parts[3])}` : line;
  });
  return [t(locale, 'cli.invalid_configuration'), ...lines].join('\n');
}

/** Why a row was refused, in the command's language: its catalogue text, or the service's refused fields, or its reason. */
function reasonIn(row: RefusedRow): string {
  if (locale === 'en') return row.reason;
  if (row.text) return t(locale, row.text.key, row.text.vars);
  if (row.errors?.length) return row.errors.map((e) => `${e.field}: ${sayKnown(e.message)}`).join('; ');
  return sayKnown(row.reason);
}

/** Each refusal by line, what the run means for email (events), and the summary as the last line. */
function printReport(report: ImportReport, events?: { send: boolean }): void {
  for (const row of report.refused) console.log(t(locale, 'cli.import_refused', { line: row.line, reason: reasonIn(row) }));
  if (events && !events.send) {
    console.log(t(locale, 'cli.events_no_send'));
  } else if (events && report.dryRun) {
    console.log(t(locale, 'cli.events_send_dry_run'));
  } else if (events) {
    console.log(t(locale, 'cli.events_sent', { count: report.scheduled ?? 0 }));
  }
  if (locale !== 'en') console.log(summaryLine(report, locale));
  console.log(summaryLine(report));
}

const options = {
  email: { type: 'string' },
  role: { type: 'string' },
  password: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  expires: { type: 'string' },
  'dry-run': { type: 'boolean' },
  send: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What is wrong with the flags (an unknown one, one without its value) as a sentence, instead of Node's error and its stack; null for another error. */
function flagsRefusal(err: unknown): string | null {
  const { code, message = '' } = err as { code?: string; message?: string };
  const option = /'(-[^'\s]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return t(locale, 'cli.unknown_option', { option });
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return null;
  return /argument missing/.test(message) ? t(locale, 'cli.option_value_missing', { option }) : t(locale, 'cli.option_no_value', { option });
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (err) {
    const refusal = flagsRefusal(err);
    if (refusal === null) throw err;
    console.error(refusal);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, arg] = positionals;
  if (!command || values.help) {
    // The usage in the command's language (it is read, not parsed).
    console.log(t(locale, 'cli.usage'));
    return command || values.help ? 0 : 2;
  }
  // serve and worker log to standard output; every other command keeps it for its own output and logs to standard error.
  const longRunning = command === 'serve' || command === 'worker';
  const deps = await bootstrap(undefined, { logTo: longRunning ? 1 : 2, longRunning });
  if (command === 'serve') return serve(deps).then(() => -1);
  if (command === 'worker') return work(deps).then(() => -1);
  try {
    switch (`${command} ${sub ?? ''}`.trim()) {
      case 'migrate':
        lastLine('cli.up_to_date');
        return 0;
      case 'user create': {
        const password = values.password ?? generatePassword({ email: values.email });
        const user = await createUser(
          deps.db,
          { email: values.email ?? '', role: values.role as 'admin', password, name: values.name },
          deps.clock.now(),
          cliActor,
        );
        const who = { role: user.role, email: user.email };
        if (values.password) {
          lastLine('cli.user_created', who);
        } else {
          // The password made is the last line, as in English ("Password: …").
          console.log(t(locale, 'cli.user_created', who));
          if (locale !== 'en') console.log(t(locale, 'cli.user_password_below'));
          console.log(t('en', 'cli.user_password', { password }));
        }
        return 0;
      }
      case 'apikey create': {
        // The command line counts as an admin: any scope. Without --scopes: every scope.
        const created = await createApiKey(deps.db, { name: values.name ?? '', scopes: values.scopes ?? null, expires: values.expires ?? null }, deps.clock.now(), commandLineManager);
        // English gives the instant as stored (ISO 8601); another language as its reader reads it, in the reporting time zone.
        const timeZone = created.expiresAt && locale !== 'en' ? (await getSettings(deps.db)).reporting_time_zone : 'UTC';
        const expiresAt = !created.expiresAt ? '' : locale === 'en' ? created.expiresAt : formatInstant(created.expiresAt, { timeZone, locale, style: 'long', zone: true });
        console.log(t(locale, 'cli.apikey_created', { name: created.name, scopes: created.scopes.join(', '), expiry: created.expiresAt ? 'at' : 'none', expiresAt }));
        console.log(t(locale, 'cli.apikey_shown_once'));
        // The key alone on the last line.
        console.log(created.key);
        return 0;
      }
      case 'apikey revoke': {
        const revoked = await revokeApiKeysByName(deps.db, values.name ?? '', deps.clock.now(), commandLineManager);
        revoked.forEach((key, i) => {
          const named = { name: key.name, prefix: key.prefix };
          if (i < revoked.length - 1) console.log(t(locale, 'cli.apikey_revoked', named));
          else lastLine('cli.apikey_revoked', named);
        });
        return 0;
      }
      case 'import responses':
      case 'import events': {
        if (!arg) throw new AppError(2, 'usage', t(locale, 'cli.import_needs_file', { command: `${command} ${sub}` }));
        if (sub === 'responses' && values.send) throw new AppError(2, 'usage', t(locale, 'cli.import_send_for_events'));
        const dryRun = !!values['dry-run'];
        const send = !!values.send;
        // Progress only to a terminal (a log file would get the lines glued together).
        let progressShown = false;
        const showProgress = (done: number) => {
          if (!process.stderr.isTTY) return;
          progressShown = true;
          process.stderr.write(`\r${t(locale, 'cli.import_progress', { count: done })}`);
        };
        const report = await (sub === 'responses'
          ? importResponses(deps, arg, showProgress, { dryRun })
          : importEvents(deps, arg, showProgress, { dryRun, send })
        ).finally(() => progressShown && process.stderr.write('\n'));
        printReport(report, sub === 'events' ? { send } : undefined);
        // A command that refused anything exits non-zero (what it took stays taken).
        return report.refused.length ? 1 : 0;
      }
      case 'surveys export': {
        if (!arg) throw new AppError(2, 'usage', t(locale, 'cli.survey_needs_key'));
        lastLine('cli.survey_written', { file: await exportSurveyFile(deps, arg) });
        return 0;
      }
      case 'widget secret':
        console.log(t(locale, 'cli.widget_secret'));
        // The secret alone on the last line.
        console.log(await signingSecret(deps.db, 'widget'));
        return 0;
      case 'widget allow': {
        if (!arg) throw new AppError(2, 'usage', t(locale, 'cli.widget_needs_origin'));
        const origins = await allowWidgetOrigin(deps, arg, cliActor);
        lastLine('cli.widget_allowed', { origins: origins.join(', ') });
        return 0;
      }
      case 'demo': {
        const outcome = await seedDemo(deps);
        if (locale !== 'en') console.log(demoSummary(outcome, locale));
        console.log(demoSummary(outcome));
        return 0;
      }
      default:
        console.error(`${t(locale, 'cli.unknown_command', { command: positionals.join(' ') })}\n\n${t(locale, 'cli.usage')}`);
        return 2;
    }
  } finally {
    await shutdown(deps);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    if (err instanceof AppError && err.errors.length) {
      // Each refused field once, as a sentence naming it, in the command's language.
      for (const e of err.errors) console.error(fieldSentenceIn(e));
    } else if (err instanceof ConfigError) {
      console.error(configMessage(err.message));
    } else if (err instanceof AppError) {
      console.error(sayKnown(err.message));
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  },
);
