import type { Messages } from '../messages.ts';

/**
 * The decision details the contact rules record (server/eligibility/, in English: the API gives them so),
 * and what a German page says instead (eligibility/detail-words.ts reads the English back into these keys
 * and their values). The English must stay exactly what the code writes: the unit test
 * test/unit/detail-words.test.ts writes every form through the rules and reads it back.
 */
export const staffDetailMessages: Messages = {
  en: {
    'detail.no_active_survey': 'no_active_survey: the touchpoint has no active survey',
    'detail.link_only': 'no_active_survey: the survey {key} is answered by web link only; events send no email',
    'detail.invitation_gone': 'no_active_survey: invitation {id} does not exist',
    'detail.survey_not_active': 'no_active_survey: the survey {key} is {status, select, draft {draft} paused {paused} archived {archived} other {{status}}}',
    'detail.survey_gone': 'no_active_survey: the survey is gone',
    'detail.imported': 'too_old: imported without --send; events from an import are recorded, not surveyed',
    'detail.too_old':
      'too_old: the event occurred {days, plural, one {# day} other {# days}} ago ({date}); this survey asks about events up to {limit, plural, one {# day} other {# days}} old',
    'detail.too_old_more':
      'too_old: the event occurred more than {limit, plural, one {# day} other {# days}} ago ({date}); this survey asks about events up to {limit, plural, one {# day} other {# days}} old',
    'detail.invalid_email': 'invalid_contact: the email is not an address',
    'detail.no_email': 'invalid_contact: no email address',
    'detail.erased': 'erased: the customer was erased on {date}',
    'detail.unsubscribed_all': 'unsubscribed: from all surveys on {date}',
    'detail.unsubscribed_touchpoint': 'unsubscribed: from this touchpoint on {date}',
    'detail.bounced': 'bounced: the address hard-bounced on {date}',
    'detail.sampled': 'sampled_out: sample rate {rate} %; this transaction falls at {bucket} %',
    'detail.target_met':
      'sampled_out: {target} is met by the answers in hand and on their way; no more invitations this period (a 0 % sample); this transaction falls at {bucket} %',
    'detail.target_on_track': 'sampled_out: {target} is met at a {rate} % sample; this transaction falls at {bucket} %',
    'detail.target_short': 'sampled_out: sample rate {rate} %, the most the survey allows; {target} needs more; this transaction falls at {bucket} %',
    'detail.target_learning': 'sampled_out: sample rate {rate} % while {target} learns the volume and response rate; this transaction falls at {bucket} %',
    'detail.target': 'the {margin} target for {period}',
    'detail.target_segment': 'the {margin} target for {period} ({name} {value})',
    'detail.period_week': 'the week of {date}',
    'detail.period_quarter': 'Q{quarter} {year}',
    'detail.cooldown':
      '{reason}: {what, select, invitation {last invitation} response {last response} survey_invitation {last invitation from this survey} other {last response to this survey}} {date}, {ago, select, past {{days, plural, one {# day ago} other {# days ago}}} today {less than a day ago} later_today {planned for later today} other {planned in {days, plural, one {# day} other {# days}}}}; rule: {rule, plural, one {# day} other {# days}}{after, select, response { after a response} other {}}',
    'detail.cap':
      'cap_window: {count, plural, one {# invitation} other {# invitations}} since {date}; rule: at most {max} in {days, plural, one {# day} other {# days}}',
    'detail.ignored':
      "the survey's {rule, select, global_invitation {global cooldown after invitation} global_response {global cooldown after response} other {quiet hours}} is ignored: the contact rules do not let surveys override it",
    'detail.zone_unknown': 'the customer\'s time zone "{zone}" is unknown; used {fallback}',
    'detail.moved': 'send time moved from {from} to {to}: quiet hours {start}–{end} {zone}',
    'detail.test_event': 'a test event: sent at once, without delay, quiet hours or contact rules, and left out of every figure',
  },
  de: {
    'detail.no_active_survey': 'no_active_survey: Der Kontaktpunkt hat keine aktive Umfrage',
    'detail.link_only': 'no_active_survey: Die Umfrage {key} wird nur über ihren Web-Link beantwortet; Ereignisse verschicken keine E-Mail',
    'detail.invitation_gone': 'no_active_survey: Die Einladung {id} gibt es nicht',
    'detail.survey_not_active': 'no_active_survey: Die Umfrage {key} ist {status, select, draft {ein Entwurf} paused {pausiert} archived {archiviert} other {{status}}}',
    'detail.survey_gone': 'no_active_survey: Die Umfrage gibt es nicht mehr',
    'detail.imported': 'too_old: ohne --send importiert; Ereignisse aus einem Import werden erfasst, nicht befragt',
    'detail.too_old':
      'too_old: Das Ereignis fand vor {days, plural, one {# Tag} other {# Tagen}} statt ({date}); diese Umfrage fragt nach Ereignissen bis {limit, plural, one {# Tag} other {# Tage}} alt',
    'detail.too_old_more':
      'too_old: Das Ereignis fand vor mehr als {limit, plural, one {# Tag} other {# Tagen}} statt ({date}); diese Umfrage fragt nach Ereignissen bis {limit, plural, one {# Tag} other {# Tage}} alt',
    'detail.invalid_email': 'invalid_contact: Die E-Mail ist keine Adresse',
    'detail.no_email': 'invalid_contact: keine E-Mail-Adresse',
    'detail.erased': 'erased: Der Kunde wurde am {date} gelöscht',
    'detail.unsubscribed_all': 'unsubscribed: von allen Umfragen am {date}',
    'detail.unsubscribed_touchpoint': 'unsubscribed: von diesem Kontaktpunkt am {date}',
    'detail.bounced': 'bounced: Die Adresse kam am {date} endgültig zurück',
    'detail.sampled': 'sampled_out: Stichprobenquote {rate} %; diese Transaktion liegt bei {bucket} %',
    'detail.target_met':
      'sampled_out: {target} ist mit den vorliegenden und erwarteten Antworten erreicht; keine weiteren Einladungen in diesem Zeitraum (Stichprobe 0 %); diese Transaktion liegt bei {bucket} %',
    'detail.target_on_track': 'sampled_out: {target} wird mit einer Stichprobe von {rate} % erreicht; diese Transaktion liegt bei {bucket} %',
    'detail.target_short': 'sampled_out: Stichprobenquote {rate} %, das Höchste, was die Umfrage erlaubt; {target} braucht mehr; diese Transaktion liegt bei {bucket} %',
    'detail.target_learning': 'sampled_out: Stichprobenquote {rate} %, während {target} Menge und Antwortquote lernt; diese Transaktion liegt bei {bucket} %',
    'detail.target': 'das Ziel {margin} für {period}',
    'detail.target_segment': 'das Ziel {margin} für {period} ({name} {value})',
    'detail.period_week': 'die Woche ab {date}',
    'detail.period_quarter': 'Q{quarter} {year}',
    'detail.cooldown':
      '{reason}: {what, select, invitation {letzte Einladung} response {letzte Antwort} survey_invitation {letzte Einladung dieser Umfrage} other {letzte Antwort auf diese Umfrage}} {date}, {ago, select, past {vor {days, plural, one {# Tag} other {# Tagen}}} today {vor weniger als einem Tag} later_today {geplant für später heute} other {geplant in {days, plural, one {# Tag} other {# Tagen}}}}; Regel: {rule, plural, one {# Tag} other {# Tage}}{after, select, response { nach einer Antwort} other {}}',
    'detail.cap':
      'cap_window: {count, plural, one {# Einladung} other {# Einladungen}} seit {date}; Regel: höchstens {max} in {days, plural, one {# Tag} other {# Tagen}}',
    'detail.ignored':
      '{rule, select, global_invitation {Die globale Sperrfrist nach einer Einladung} global_response {Die globale Sperrfrist nach einer Antwort} other {Die Ruhezeiten}} der Umfrage {rule, select, quiet_hours {gelten} other {gilt}} nicht: Die Kontaktregeln erlauben Umfragen nicht, sie zu ändern',
    'detail.zone_unknown': 'Die Zeitzone „{zone}“ des Kunden ist unbekannt; verwendet wurde {fallback}',
    'detail.moved': 'Versandzeit verschoben von {from} auf {to}: Ruhezeiten {start}–{end} {zone}',
    'detail.test_event': 'ein Testereignis: sofort verschickt, ohne Verzögerung, Ruhezeiten oder Kontaktregeln, und aus allen Zahlen herausgehalten',
  },
};
