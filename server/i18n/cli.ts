import type { Messages } from './messages.ts';

/**
 * The command line's messages (touchpoint …), in the language of LC_ALL, else LC_MESSAGES, else LANG
 * (de_DE.UTF-8 → de; C, POSIX or none → en): en and de kept in step. The English is exactly what the
 * command has always printed: the last line of each command stays English whatever the language (scripts
 * read it), so its key's English must not change.
 *
 * - cli.*: what the commands print.
 * - cli.refused_*: why an import refused a row ("line 3: …"); the import code makes its English reason
 *   from these, and the command line says the same key in its language.
 * - cli.known.*: the English the services give the command line (a refused field, a missing key); the
 *   command line finds such a text here by its English, its {values} read back out of it, as
 *   translateKnown does for validation.*. The English must stay exactly what the code says (no trailing
 *   full stop: one is matched and kept).
 */
export const cliMessages: Messages = {
  en: {
    'cli.usage': `Usage: touchpoint '<command>'

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

Configuration comes from the environment; see .env.example.`,
    'cli.unknown_command': 'Unknown command: {command}',
    'cli.unknown_option': 'Unknown option {option}; touchpoint --help lists the options.',
    'cli.option_value_missing': 'The option {option} needs a value, as in {option} VALUE.',
    'cli.option_no_value': 'The option {option} takes no value.',
    'cli.invalid_configuration': 'Invalid configuration:',
    'cli.field_sentence': 'The field "{field}" {message}.',
    'cli.up_to_date': 'The database is up to date.',
    'cli.user_created': 'Created {role} {email}',
    'cli.user_password_below': 'The password made for this user follows; it is shown this once:',
    'cli.user_password': 'Password: {password}',
    'cli.apikey_created': 'API key "{name}" created with the scopes {scopes}; {expiry, select, none {it does not expire} other {it expires at {expiresAt}}}.',
    'cli.apikey_shown_once': 'It is shown this once; store it now:',
    'cli.apikey_revoked': 'Revoked API key "{name}" ({prefix}…); calls with it are refused from now on.',
    'cli.import_needs_file': 'Name the CSV file: touchpoint {command} FILE.csv',
    'cli.import_send_for_events': '--send is for import events: imported responses send no email',
    'cli.import_progress': '{count, plural, one {# row} other {# rows}} read…',
    'cli.import_refused': 'line {line}: {reason}',
    'cli.import_summary':
      '{taken, plural, one {{taken} row} other {{taken} rows}} taken, {refused, plural, one {{refused} row} other {{refused} rows}} refused' +
      '{withSkipped, select, yes {, {skipped, plural, one {{skipped} row} other {{skipped} rows}} skipped as already imported} other {}}' +
      '{dryRun, select, yes { (dry run: nothing was written)} other {}}',
    'cli.events_no_send': "no email will be sent: pass --send to survey events within each survey's maximum age",
    'cli.events_send_dry_run': "--send: events within each survey's maximum age would be surveyed as the API decides them",
    'cli.events_sent':
      "--send: {count, plural, one {{count} event} other {{count} events}} scheduled an invitation; events older than a survey's maximum age were recorded as too_old",
    'cli.refused_field_count': 'has {count, plural, one {{count} field} other {{count} fields}}, the header has {header}',
    'cli.refused_not_csv': 'the file is not valid CSV from here on ({error}); the rest was not read',
    'cli.refused_survey_empty': 'survey is empty',
    'cli.refused_unknown_survey': 'unknown survey "{key}"',
    'cli.refused_metric_mismatch': 'metric {metric} does not match survey {survey}, which asks {asks}',
    'cli.refused_unknown_metric': 'unknown metric "{metric}" does not match survey {survey}, which asks {asks}',
    'cli.refused_score_not_whole': 'score "{score}" is not a whole number',
    'cli.refused_score_outside': 'score {score} is outside the {scale} scale {min}–{max}',
    'cli.refused_answered_at_format': 'answered_at "{value}" is not an ISO 8601 instant with an offset, such as 2026-03-01T09:30:00Z',
    'cli.refused_answered_at_future': 'answered_at "{value}" is in the future (it is now {now}); an answer cannot be imported before it was given',
    'cli.refused_response_id_long': 'response_id is longer than {max} characters',
    'cli.refused_response_id_control': 'response_id holds control characters',
    'cli.refused_comment_long': 'comment is longer than {max} characters',
    'cli.refused_email': 'email "{email}" is not an email address',
    'cli.refused_duplicate_before': 'duplicate_event: this transaction was received before (event {id}, {status})',
    'cli.refused_duplicate_in_file': 'duplicate_event: this transaction is on line {line} of this file too',
    'cli.survey_needs_key': 'Name the survey: touchpoint surveys export KEY',
    'cli.survey_written': 'Wrote {file}',
    'cli.widget_secret': 'The widget secret; keep it on your server, which signs each customer id with it:',
    'cli.widget_needs_origin': 'Name the site: touchpoint widget allow https://shop.example',
    'cli.widget_allowed': 'The widget may be shown on: {origins}',
    'cli.demo_loaded':
      'Demo workspace loaded: {touchpoints} touchpoints, {customers, plural, one {{customers} customer} other {{customers} customers}}, ' +
      '{events, plural, one {{events} event} other {{events} events}}, {invitations, plural, one {{invitations} invitation} other {{invitations} invitations}} sent, ' +
      '{responses, plural, one {{responses} response} other {{responses} responses}} over {days} days.',
    'cli.demo_already_loaded': 'The demo workspace is already loaded ({kind, select, touchpoint {touchpoint {key}} other {survey {key}}} exists); nothing was changed.',
    // What the import files' reading and the services say (matched by their English).
    'cli.known.no_such_file': 'no such file: {file}',
    'cli.known.missing_column': 'the file lacks the column {columns}',
    'cli.known.missing_columns': 'the file lacks the columns {columns}',
    'cli.known.role': 'must be admin, editor or viewer',
    'cli.known.name_empty': 'Name must not be empty',
    'cli.known.name_long': 'Name must be at most {n} characters',
    'cli.known.scopes_none': 'Scopes must include at least one scope ({scopes})',
    'cli.known.scope_unknown': '{named} is not a scope; the scopes are {scopes}',
    'cli.known.scopes_unknown': '{named} are not scopes; the scopes are {scopes}',
    'cli.known.expires_format': 'Expires must be a date (YYYY-MM-DD) or an ISO 8601 instant with an offset, such as 2027-06-30 or 2027-06-30T18:00:00Z',
    'cli.known.expires_past': 'Expires must be in the future',
    'cli.known.expires_far': 'Expires must be at most {n} years from now',
    'cli.known.no_key_named': 'There is no API key named "{name}" that is not revoked yet',
    'cli.known.no_survey_key': 'No survey has the key {key}',
    'cli.known.site_origin': "must be a site's origin such as https://shop.example (scheme and host, a port if any, no path or trailing slash)",
    'cli.known.at_most_sites': 'must be at most {n} sites',
    'cli.known.password_text': 'The password must be text',
    'cli.known.no_touchpoint': 'no touchpoint has the key "{key}"',
    'cli.known.touchpoint_key': 'must be a touchpoint key',
    'cli.known.touchpoint_key_control': 'must be a touchpoint key (it holds control characters or a lone surrogate)',
    'cli.known.string': 'must be a string',
    'cli.known.unicode': 'must be valid Unicode text (it holds a lone surrogate)',
    'cli.known.iso_time': 'must be an ISO 8601 time with a zone, such as 2026-11-23T10:00:00Z',
    'cli.known.instant_range': 'must be an instant between {from} and {to}',
    'cli.known.after_first_date': 'must be after 2000-01-01',
    'cli.known.year_ahead': 'must be at most a year ahead',
    'cli.known.customer_id_or_email': 'give customer.id or customer.email',
    'cli.known.language_tag': 'must be a language tag such as en or de-AT',
    'cli.known.property_name': 'is not allowed as a property name',
    'cli.known.property_value': 'must be a string, a number or true/false',
    'cli.known.at_most_properties': 'must have at most {n} properties',
    'cli.known.absolute_url': 'must be an absolute URL such as https://feedback.example.com',
    'cli.known.smtp_url': 'must start with smtp:// or smtps://',
    'cli.known.host': 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name of this machine',
  },
  de: {
    'cli.usage': `Aufruf: touchpoint '<Befehl>'

  serve                                   die Web-App und der Versand-Worker (npm start)
  worker                                  nur der Versand-Worker
  migrate                                 das Datenbankschema auf den neuesten Stand bringen
  user create --email E --role admin|editor|viewer [--password P] [--name N]
  apikey create --name N [--scopes a,b] [--expires DATE]
                                          gibt den neuen Schlüssel allein in der letzten Zeile aus; ohne --scopes hat
                                          der Schlüssel jede Berechtigung: events:write, surveys:read, surveys:write,
                                          metrics:read, responses:read, customers:read, customers:write,
                                          webhooks:write; --expires: ein Datum (der Schlüssel gilt bis zum Ende dieses
                                          Tages in der Zeitzone der Auswertung) oder ein ISO-8601-Zeitpunkt
  apikey revoke --name N                  widerruft jeden noch nicht widerrufenen Schlüssel dieses Namens
  import responses FILE.csv [--dry-run]   Spalten: survey, score, answered_at[, response_id, comment, email, customer_id, metric, …];
                                          schon importierte Zeilen werden übersprungen; --dry-run prüft jede Zeile und schreibt nichts
  import events FILE.csv [--dry-run] [--send]
                                          Spalten: touchpoint, transaction_id, email[, customer_id, name, locale, time_zone, occurred_at, …];
                                          hält die Entscheidung zu jedem Ereignis fest, mailt aber niemandem, außer mit --send (dann
                                          werden Ereignisse innerhalb des Höchstalters ihrer Umfrage befragt); --dry-run schreibt nichts
  surveys export KEY                      eine Umfrage als Datei in surveys/ schreiben
  widget secret                           gibt das Geheimnis des Widgets allein in der letzten Zeile aus (Ihr Server
                                          signiert damit jede Kunden-ID: HMAC-SHA256, hexadezimal in Kleinbuchstaben)
  widget allow ORIGIN                     erlaubt der Website ORIGIN (etwa https://shop.example), das Widget zu zeigen
  demo                                    einen Demo-Arbeitsbereich mit sechs Monaten Verlauf laden

Die Konfiguration kommt aus der Umgebung; siehe .env.example.`,
    'cli.unknown_command': 'Unbekannter Befehl: {command}',
    'cli.unknown_option': 'Unbekannte Option {option}; touchpoint --help nennt die Optionen.',
    'cli.option_value_missing': 'Die Option {option} braucht einen Wert, etwa {option} WERT.',
    'cli.option_no_value': 'Die Option {option} nimmt keinen Wert.',
    'cli.invalid_configuration': 'Ungültige Konfiguration:',
    'cli.field_sentence': 'Das Feld „{field}“ {message}.',
    'cli.up_to_date': 'Die Datenbank ist auf dem neuesten Stand.',
    'cli.user_created': 'Benutzer {email} mit der Rolle {role} angelegt.',
    'cli.user_password_below': 'Das für diesen Benutzer erzeugte Passwort folgt; es wird nur dieses eine Mal angezeigt:',
    'cli.user_password': 'Passwort: {password}',
    'cli.apikey_created': 'API-Schlüssel „{name}“ mit den Berechtigungen {scopes} erstellt; {expiry, select, none {er läuft nicht ab} other {er läuft am {expiresAt} ab}}.',
    'cli.apikey_shown_once': 'Er wird nur dieses eine Mal angezeigt; speichern Sie ihn jetzt:',
    'cli.apikey_revoked': 'API-Schlüssel „{name}“ ({prefix}…) widerrufen; Aufrufe mit ihm werden ab jetzt abgelehnt.',
    'cli.import_needs_file': 'Nennen Sie die CSV-Datei: touchpoint {command} FILE.csv',
    'cli.import_send_for_events': '--send gilt nur für import events: importierte Antworten versenden keine E-Mail',
    'cli.import_progress': '{count, plural, one {# Zeile} other {# Zeilen}} gelesen …',
    'cli.import_refused': 'Zeile {line}: {reason}',
    'cli.import_summary':
      '{taken, plural, one {# Zeile} other {# Zeilen}} übernommen, {refused, plural, one {# Zeile} other {# Zeilen}} abgelehnt' +
      '{withSkipped, select, yes {, {skipped, plural, one {# Zeile} other {# Zeilen}} als bereits importiert übersprungen} other {}}' +
      '{dryRun, select, yes { (Probelauf: nichts wurde geschrieben)} other {}}',
    'cli.events_no_send': 'Es wird keine E-Mail versandt: Mit --send werden Ereignisse innerhalb des Höchstalters ihrer Umfrage befragt',
    'cli.events_send_dry_run': '--send: Ereignisse innerhalb des Höchstalters ihrer Umfrage würden befragt, so wie die API über sie entscheidet',
    'cli.events_sent':
      '--send: {count, plural, one {# Ereignis hat} other {# Ereignisse haben}} eine Einladung geplant; Ereignisse, die älter als das Höchstalter ihrer Umfrage sind, wurden als too_old festgehalten',
    'cli.refused_field_count': 'hat {count, plural, one {# Feld} other {# Felder}}, die Kopfzeile hat {header}',
    'cli.refused_not_csv': 'die Datei ist ab hier kein gültiges CSV ({error}); der Rest wurde nicht gelesen',
    'cli.refused_survey_empty': 'survey ist leer',
    'cli.refused_unknown_survey': 'unbekannte Umfrage „{key}“',
    'cli.refused_metric_mismatch': 'metric {metric} passt nicht zur Umfrage {survey}, die nach {asks} fragt',
    'cli.refused_unknown_metric': 'die unbekannte metric „{metric}“ passt nicht zur Umfrage {survey}, die nach {asks} fragt',
    'cli.refused_score_not_whole': 'score „{score}“ ist keine ganze Zahl',
    'cli.refused_score_outside': 'score {score} liegt außerhalb der {scale}-Skala {min}–{max}',
    'cli.refused_answered_at_format': 'answered_at „{value}“ ist kein ISO-8601-Zeitpunkt mit Zeitzonenversatz wie 2026-03-01T09:30:00Z',
    'cli.refused_answered_at_future':
      'answered_at „{value}“ liegt in der Zukunft (jetzt ist es {now}); eine Antwort lässt sich nicht importieren, bevor sie gegeben wurde',
    'cli.refused_response_id_long': 'response_id ist länger als {max} Zeichen',
    'cli.refused_response_id_control': 'response_id enthält Steuerzeichen',
    'cli.refused_comment_long': 'comment ist länger als {max} Zeichen',
    'cli.refused_email': 'email „{email}“ ist keine E-Mail-Adresse',
    'cli.refused_duplicate_before': 'duplicate_event: diese Transaktion wurde schon einmal empfangen (Ereignis {id}, {status})',
    'cli.refused_duplicate_in_file': 'duplicate_event: diese Transaktion steht auch in Zeile {line} dieser Datei',
    'cli.survey_needs_key': 'Nennen Sie die Umfrage: touchpoint surveys export KEY',
    'cli.survey_written': '{file} geschrieben.',
    'cli.widget_secret': 'Das Geheimnis des Widgets; bewahren Sie es auf Ihrem Server auf, der damit jede Kunden-ID signiert:',
    'cli.widget_needs_origin': 'Nennen Sie die Website: touchpoint widget allow https://shop.example',
    'cli.widget_allowed': 'Das Widget darf gezeigt werden auf: {origins}',
    'cli.demo_loaded':
      'Demo-Arbeitsbereich geladen: {touchpoints} Touchpoints, {customers, plural, one {# Kunde} other {# Kunden}}, ' +
      '{events, plural, one {# Ereignis} other {# Ereignisse}}, {invitations, plural, one {# versandte Einladung} other {# versandte Einladungen}}, ' +
      '{responses, plural, one {# Antwort} other {# Antworten}} aus {days} Tagen.',
    'cli.demo_already_loaded':
      'Der Demo-Arbeitsbereich ist bereits geladen ({kind, select, touchpoint {der Touchpoint {key}} other {die Umfrage {key}}} ist vorhanden); nichts wurde geändert.',
    'cli.known.no_such_file': 'Die Datei {file} gibt es nicht',
    'cli.known.missing_column': 'Der Datei fehlt die Spalte {columns}',
    'cli.known.missing_columns': 'Der Datei fehlen die Spalten {columns}',
    'cli.known.role': 'muss admin, editor oder viewer sein',
    'cli.known.name_empty': 'Der Name darf nicht leer sein',
    'cli.known.name_long': 'Der Name darf höchstens {n} Zeichen lang sein',
    'cli.known.scopes_none': 'Nennen Sie bei --scopes mindestens eine Berechtigung ({scopes})',
    'cli.known.scope_unknown': '{named} ist keine Berechtigung; die Berechtigungen sind {scopes}',
    'cli.known.scopes_unknown': '{named} sind keine Berechtigungen; die Berechtigungen sind {scopes}',
    'cli.known.expires_format':
      'Das Ablaufdatum (--expires) muss ein Datum (JJJJ-MM-TT) oder ein ISO-8601-Zeitpunkt mit Zeitzonenversatz sein, etwa 2027-06-30 oder 2027-06-30T18:00:00Z',
    'cli.known.expires_past': 'Das Ablaufdatum (--expires) muss in der Zukunft liegen',
    'cli.known.expires_far': 'Das Ablaufdatum (--expires) darf höchstens {n} Jahre in der Zukunft liegen',
    'cli.known.no_key_named': 'Es gibt keinen noch nicht widerrufenen API-Schlüssel namens „{name}“',
    'cli.known.no_survey_key': 'Keine Umfrage hat den Schlüssel {key}',
    'cli.known.site_origin': 'muss der Ursprung einer Website sein, etwa https://shop.example (Schema und Host, gegebenenfalls ein Port, kein Pfad und kein Schrägstrich am Ende)',
    'cli.known.at_most_sites': 'darf höchstens {n} Websites nennen',
    'cli.known.password_text': 'Das Passwort muss Text sein',
    'cli.known.no_touchpoint': 'kein Touchpoint hat den Schlüssel „{key}“',
    'cli.known.touchpoint_key': 'muss ein Touchpoint-Schlüssel sein',
    'cli.known.touchpoint_key_control': 'muss ein Touchpoint-Schlüssel sein (er enthält Steuerzeichen oder ein einzelnes Surrogat)',
    'cli.known.string': 'muss eine Zeichenkette sein',
    'cli.known.unicode': 'muss gültiger Unicode-Text sein (er enthält ein einzelnes Surrogat)',
    'cli.known.iso_time': 'muss eine ISO-8601-Zeit mit Zeitzone sein, etwa 2026-11-23T10:00:00Z',
    'cli.known.instant_range': 'muss ein Zeitpunkt zwischen {from} und {to} sein',
    'cli.known.after_first_date': 'muss nach dem 2000-01-01 liegen',
    'cli.known.year_ahead': 'darf höchstens ein Jahr in der Zukunft liegen',
    'cli.known.customer_id_or_email': 'geben Sie customer.id oder customer.email an',
    'cli.known.language_tag': 'muss ein Sprachkürzel wie en oder de-AT sein',
    'cli.known.property_name': 'ist als Name einer Eigenschaft nicht erlaubt',
    'cli.known.property_value': 'muss eine Zeichenkette, eine Zahl oder true/false sein',
    'cli.known.at_most_properties': 'darf höchstens {n} Eigenschaften haben',
    'cli.known.absolute_url': 'muss eine absolute URL wie https://feedback.example.com sein',
    'cli.known.smtp_url': 'muss mit smtp:// oder smtps:// beginnen',
    'cli.known.host': 'muss eine IP-Adresse (127.0.0.1, 0.0.0.0, ::) oder ein Hostname dieses Rechners sein',
  },
};
