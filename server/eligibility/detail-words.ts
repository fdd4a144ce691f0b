import { t, type Locale } from '../i18n/index.ts';

/**
 * The decision details the rules record are English (the API gives them so, and they are kept as written):
 * "cooldown_global: last invitation 2026-11-02, 21 days ago; rule: 30 days". A page in another language
 * reads each back into its catalogue key and values (i18n/staff/details.ts) and says it in its language.
 * A detail is one form, or notes joined by "; "; one that no form matches is shown as it is.
 */

type Groups = Record<string, string | undefined>;
type Values = Record<string, string | number>;

interface Form {
  key: string;
  /** The English form: matched at a position, up to "; " or the end. */
  pattern: RegExp;
  values?: (g: Groups, locale: Locale) => Values;
}

const DAYS = String.raw`(\d+) days?`;
const DATE = String.raw`\d{4}-\d{2}-\d{2}`;
const num = (text: string | undefined) => Number(text);

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A precision target's period label ("May 2027", "Q2 2027", "the week of 2027-05-03") in the locale. */
function periodIn(locale: Locale, label: string): string {
  const week = /^the week of (\d{4}-\d{2}-\d{2})$/.exec(label);
  if (week) return t(locale, 'detail.period_week', { date: week[1] });
  const quarter = /^Q(\d) (\d{4})$/.exec(label);
  if (quarter) return t(locale, 'detail.period_quarter', { quarter: quarter[1], year: quarter[2] });
  const month = /^(\w+) (\d{4})$/.exec(label);
  const index = month ? monthNames.indexOf(month[1]) : -1;
  if (!month || index < 0) return label;
  return new Intl.DateTimeFormat(locale === 'de' ? 'de-DE' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(Number(month[2]), index, 15)));
}

const TARGET = String.raw`the (?<margin>±[\d.]+(?: %)?) target for (?<period>the week of ${DATE}|Q\d \d{4}|\w+ \d{4})(?: \((?<name>[^ ()]+) (?<value>[^()]*)\))?`;
const target = (g: Groups, locale: Locale) =>
  g.name === undefined
    ? t(locale, 'detail.target', { margin: g.margin!, period: periodIn(locale, g.period!) })
    : t(locale, 'detail.target_segment', { margin: g.margin!, period: periodIn(locale, g.period!), name: g.name, value: g.value! });
const BUCKET = String.raw`; this transaction falls at (?<bucket>[\d.]+) %`;

const whatOf: Record<string, string> = {
  'last invitation from this survey': 'survey_invitation',
  'last response to this survey': 'survey_response',
  'last invitation': 'invitation',
  'last response': 'response',
};
const ruleOf: Record<string, string> = {
  'global cooldown after invitation': 'global_invitation',
  'global cooldown after response': 'global_response',
  'quiet hours': 'quiet_hours',
};

function ago(text: string): Values {
  const past = /^(\d+) days? ago$/.exec(text);
  if (past) return { ago: 'past', days: num(past[1]) };
  const later = /^planned in (\d+) days?$/.exec(text);
  if (later) return { ago: 'later', days: num(later[1]) };
  return { ago: text === 'less than a day ago' ? 'today' : 'later_today', days: 0 };
}

const forms: Form[] = [
  { key: 'detail.no_active_survey', pattern: /no_active_survey: the touchpoint has no active survey/ },
  { key: 'detail.link_only', pattern: /no_active_survey: the survey (?<key>\S+) is answered by web link only; events send no email/, values: (g) => ({ key: g.key! }) },
  { key: 'detail.invitation_gone', pattern: /no_active_survey: invitation (?<id>\d+) does not exist/, values: (g) => ({ id: g.id! }) },
  { key: 'detail.survey_gone', pattern: /no_active_survey: the survey is gone/ },
  { key: 'detail.survey_not_active', pattern: /no_active_survey: the survey (?<key>\S+) is (?<status>draft|paused|archived|active)/, values: (g) => ({ key: g.key!, status: g.status! }) },
  { key: 'detail.imported', pattern: /too_old: imported without --send; events from an import are recorded, not surveyed/ },
  {
    key: 'detail.too_old_more',
    pattern: new RegExp(String.raw`too_old: the event occurred more than ${DAYS} ago \((?<date>${DATE})\); this survey asks about events up to (?<limit>\d+) days? old`),
    values: (g) => ({ limit: num(g.limit), date: g.date! }),
  },
  {
    key: 'detail.too_old',
    pattern: new RegExp(String.raw`too_old: the event occurred (?<days>\d+) days? ago \((?<date>${DATE})\); this survey asks about events up to (?<limit>\d+) days? old`),
    values: (g) => ({ days: num(g.days), limit: num(g.limit), date: g.date! }),
  },
  { key: 'detail.invalid_email', pattern: /invalid_contact: the email is not an address/ },
  { key: 'detail.no_email', pattern: /invalid_contact: no email address/ },
  { key: 'detail.erased', pattern: new RegExp(`erased: the customer was erased on (?<date>${DATE})`), values: (g) => ({ date: g.date! }) },
  { key: 'detail.unsubscribed_all', pattern: new RegExp(`unsubscribed: from all surveys on (?<date>${DATE})`), values: (g) => ({ date: g.date! }) },
  { key: 'detail.unsubscribed_touchpoint', pattern: new RegExp(`unsubscribed: from this touchpoint on (?<date>${DATE})`), values: (g) => ({ date: g.date! }) },
  { key: 'detail.bounced', pattern: new RegExp(`bounced: the address hard-bounced on (?<date>${DATE})`), values: (g) => ({ date: g.date! }) },
  { key: 'detail.sampled', pattern: new RegExp(String.raw`sampled_out: sample rate (?<rate>[\d.]+) %${BUCKET}`), values: (g) => ({ rate: g.rate!, bucket: g.bucket! }) },
  {
    key: 'detail.target_met',
    pattern: new RegExp(String.raw`sampled_out: ${TARGET} is met by the answers in hand and on their way; no more invitations this period \(a 0 % sample\)${BUCKET}`),
    values: (g, locale) => ({ target: target(g, locale), bucket: g.bucket! }),
  },
  {
    key: 'detail.target_on_track',
    pattern: new RegExp(String.raw`sampled_out: ${TARGET} is met at a (?<rate>[\d.]+) % sample${BUCKET}`),
    values: (g, locale) => ({ target: target(g, locale), rate: g.rate!, bucket: g.bucket! }),
  },
  {
    key: 'detail.target_short',
    pattern: new RegExp(String.raw`sampled_out: sample rate (?<rate>[\d.]+) %, the most the survey allows; ${TARGET} needs more${BUCKET}`),
    values: (g, locale) => ({ target: target(g, locale), rate: g.rate!, bucket: g.bucket! }),
  },
  {
    key: 'detail.target_learning',
    pattern: new RegExp(String.raw`sampled_out: sample rate (?<rate>[\d.]+) % while ${TARGET} learns the volume and response rate${BUCKET}`),
    values: (g, locale) => ({ target: target(g, locale), rate: g.rate!, bucket: g.bucket! }),
  },
  {
    key: 'detail.cooldown',
    pattern: new RegExp(
      String.raw`(?<reason>cooldown_global|cooldown_survey): (?<what>last invitation from this survey|last response to this survey|last invitation|last response) (?<date>${DATE}), (?<ago>\d+ days? ago|less than a day ago|planned for later today|planned in \d+ days?); rule: (?<rule>\d+) days?(?<after> after a response)?`,
    ),
    values: (g) => ({ reason: g.reason!, what: whatOf[g.what!], date: g.date!, ...ago(g.ago!), rule: num(g.rule), after: g.after ? 'response' : 'none' }),
  },
  {
    key: 'detail.cap',
    pattern: new RegExp(String.raw`cap_window: (?<count>\d+) invitations? since (?<date>${DATE}); rule: at most (?<max>\d+) in (?<days>\d+) days?`),
    values: (g) => ({ count: num(g.count), date: g.date!, max: g.max!, days: num(g.days) }),
  },
  {
    key: 'detail.ignored',
    pattern: /the survey's (?<rule>global cooldown after invitation|global cooldown after response|quiet hours) is ignored: the contact rules do not let surveys override it/,
    values: (g) => ({ rule: ruleOf[g.rule!] }),
  },
  { key: 'detail.zone_unknown', pattern: /the customer's time zone "(?<zone>[^"]*)" is unknown; used (?<fallback>\S+)/, values: (g) => ({ zone: g.zone!, fallback: g.fallback! }) },
  {
    key: 'detail.moved',
    pattern: /send time moved from (?<from>\S+) to (?<to>\S+): quiet hours (?<start>\d\d:\d\d)–(?<end>\d\d:\d\d) (?<zone>\S+)/,
    values: (g) => ({ from: g.from!, to: g.to!, start: g.start!, end: g.end!, zone: g.zone! }),
  },
  { key: 'detail.test_event', pattern: /a test event: sent at once, without delay, quiet hours or contact rules, and left out of every figure/ },
];

// Each form matched where the reading stands, up to "; " or the end.
const sticky = forms.map((form) => ({ ...form, at: new RegExp(`${form.pattern.source}(?=; |$)`, 'y') }));

/** The catalogue keys and values of a recorded detail (or notes), or null when some part matches no form. */
export function readDetail(detail: string, locale: Locale = 'en'): { key: string; values: Values }[] | null {
  const parts: { key: string; values: Values }[] = [];
  for (let pos = 0; pos < detail.length; ) {
    let match: RegExpExecArray | null = null;
    const found = sticky.find((form) => {
      form.at.lastIndex = pos;
      match = form.at.exec(detail);
      return match !== null;
    });
    if (!found || !match) return null;
    const groups = (match as RegExpExecArray).groups ?? {};
    parts.push({ key: found.key, values: found.values?.(groups, locale) ?? {} });
    pos += (match as RegExpExecArray)[0].length;
    if (detail.startsWith('; ', pos)) pos += 2;
  }
  return parts;
}

/** A recorded detail (or notes) in the locale; English, or a text no form matches, as it is. */
export function detailIn(locale: Locale, detail: string | null | undefined): string {
  if (!detail || locale === 'en') return detail ?? '';
  const parts = readDetail(detail, locale);
  return parts ? parts.map((p) => t(locale, p.key, p.values)).join('; ') : detail;
}
