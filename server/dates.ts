/** Local calendar dates of instants in an IANA time zone, with cached formatters. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local date (YYYY-MM-DD) on which `at` falls in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  return formatterFor(timeZone).format(at);
}
