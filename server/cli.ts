import { parseArgs } from 'node:util';
import { ConfigError } from './config.ts';
import { AppError, fieldSentence } from './errors.ts';
import { bootstrap, serve, shutdown, work } from './main.ts';
import { createUser } from './auth/service.ts';
import { generatePassword } from './auth/password-policy.ts';
import { cliActor } from './audit/record.ts';
import { commandLineManager, createApiKey, revokeApiKeysByName } from './apikeys/service.ts';
import { importResponses } from './imports/responses.ts';
import { importEvents } from './imports/events.ts';
import { loadDemo } from './demo/seed.ts';
import { exportSurveyFile } from './surveys/files.ts';
import { summaryLine, type ImportReport } from './imports/report.ts';
import { signingSecret } from './settings/signing-secrets.ts';
import { allowWidgetOrigin } from './widget/service.ts';
import { plural } from './i18n/index.ts';

const usage = `Usage: touchpoint <command>

  serve                                   the web app and the sending worker (npm start)
  worker                                  only the sending worker
  migrate                                 bring the database schema up to date
  user create --email E --role admin|editor|viewer [--password P] [--name N]
  apikey create --name N [--scopes a,b] [--expires DATE]
                                          prints the new key alone on its last line; without --scopes the key
                                          has every scope: events:write, surveys:read, surveys:write,
                                          metrics:read, responses:read, customers:read, customers:write,
                                          webhooks:write; --expires: a date (the key works through that day in
                                          the reporting time zone) or an ISO 8601 instant
  apikey revoke --name N                  revokes every key of that name not revoked yet
  import responses FILE.csv [--dry-run]   columns: survey, score, answered_at[, response_id, comment, email, customer_id, metric, …];
                                          rows imported before are skipped; --dry-run checks every row and writes nothing
  import events FILE.csv [--dry-run] [--send]
                                          columns: touchpoint, transaction_id, email[, customer_id, name, locale, time_zone, occurred_at, …];
                                          records each event's decision but emails nobody unless --send is given (then
                                          events within each survey's maximum age are surveyed); --dry-run writes nothing
  surveys export KEY                      write a survey as a file in surveys/
  widget secret                           prints the widget's secret alone on its last line (your server signs
                                          each customer id with it: lowercase hex HMAC-SHA256)
  widget allow ORIGIN                     lets the site ORIGIN (such as https://shop.example) show the widget
  demo                                    load a demo workspace with six months of history

Configuration comes from the environment; see .env.example.`;

/** Each refusal by line, what the run means for email (events), and the summary as the last line. */
function printReport(report: ImportReport, events?: { send: boolean }): void {
  for (const refusal of report.refused) console.log(`line ${refusal.line}: ${refusal.reason}`);
  if (events && !events.send) {
    console.log('no email will be sent: pass --send to survey events within each survey\'s maximum age');
  } else if (events && report.dryRun) {
    console.log('--send: events within each survey\'s maximum age would be surveyed as the API decides them');
  } else if (events) {
    const n = report.scheduled ?? 0;
    console.log(`--send: ${n} event${n === 1 ? '' : 's'} scheduled an invitation; events older than a survey's maximum age were recorded as too_old`);
  }
  console.log(summaryLine(report));
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      'dry-run': { type: 'boolean' },
      send: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (!command || values.help) {
    console.log(usage);
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
        console.log('The database is up to date.');
        return 0;
      case 'user create': {
        const password = values.password ?? generatePassword({ email: values.email });
        const user = await createUser(
          deps.db,
          { email: values.email ?? '', role: values.role as 'admin', password, name: values.name },
          deps.clock.now(),
          cliActor,
        );
        console.log(`Created ${user.role} ${user.email}`);
        if (!values.password) console.log(`Password: ${password}`);
        return 0;
      }
      case 'apikey create': {
        // The command line counts as an admin: any scope. Without --scopes: every scope.
        const created = await createApiKey(deps.db, { name: values.name ?? '', scopes: values.scopes ?? null, expires: values.expires ?? null }, deps.clock.now(), commandLineManager);
        console.log(`API key "${created.name}" created with the scopes ${created.scopes.join(', ')}; ${created.expiresAt ? `it expires at ${created.expiresAt}` : 'it does not expire'}.`);
        console.log('It is shown this once; store it now:');
        console.log(created.key);
        return 0;
      }
      case 'apikey revoke': {
        const revoked = await revokeApiKeysByName(deps.db, values.name ?? '', deps.clock.now(), commandLineManager);
        for (const key of revoked) console.log(`Revoked API key "${key.name}" (${key.prefix}…); calls with it are refused from now on.`);
        return 0;
      }
      case 'import responses':
      case 'import events': {
        if (!arg) throw new AppError(2, 'usage', `Name the CSV file: touchpoint ${command} ${sub} FILE.csv`);
        if (sub === 'responses' && values.send) throw new AppError(2, 'usage', '--send is for import events: imported responses send no email');
        const dryRun = !!values['dry-run'];
        const send = !!values.send;
        // Progress only to a terminal (a log file would get the lines glued together).
        let progressShown = false;
        const showProgress = (done: number) => {
          if (!process.stderr.isTTY) return;
          progressShown = true;
          process.stderr.write(`\r${plural(done, 'row')} read…`);
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
        if (!arg) throw new AppError(2, 'usage', 'Name the survey: touchpoint surveys export KEY');
        console.log(`Wrote ${await exportSurveyFile(deps, arg)}`);
        return 0;
      }
      case 'widget secret':
        console.log('The widget secret; keep it on your server, which signs each customer id with it:');
        console.log(await signingSecret(deps.db, 'widget'));
        return 0;
      case 'widget allow': {
        if (!arg) throw new AppError(2, 'usage', 'Name the site: touchpoint widget allow https://shop.example');
        const origins = await allowWidgetOrigin(deps, arg, cliActor);
        console.log(`The widget may be shown on: ${origins.join(', ')}`);
        return 0;
      }
      case 'demo': {
        const summary = await loadDemo(deps);
        console.log(summary);
        return 0;
      }
      default:
        console.error(`Unknown command: ${positionals.join(' ')}\n\n${usage}`);
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
      // Each refused field once, as a sentence naming it.
      for (const e of err.errors) console.error(fieldSentence(e.field, e.message));
    } else if (err instanceof ConfigError || err instanceof AppError) {
      console.error(err.message);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  },
);
