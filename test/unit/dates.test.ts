import { expect } from 'chai';
import {
  dateOfDayNumber,
  displayLocale,
  formatFixed,
  formatInstant,
  formatLocalDate,
  formatNumber,
  localDate,
  offsetSpans,
  pageInstants,
  quarterHourOf,
  readerLocale,
} from '../../server/dates.ts';
import { formatDifference, formatMargin, formatP, formatPercent, formatScore } from '../../server/dashboards/format.ts';

describe('dates and numbers for the reader (server/dates.ts)', () => {
  const berlin = 'Europe/Berlin';

  it('formats an instant in en and de, in the given zone', () => {
    const at = '2026-11-23T10:00:00.000Z';
    expect(formatInstant(at, { timeZone: berlin })).to.equal('23 Nov 2026, 11:00');
    expect(formatInstant(at, { timeZone: berlin, locale: 'de' })).to.equal('23. Nov. 2026, 11:00');
    expect(formatInstant(at, { timeZone: 'UTC', locale: 'en' })).to.equal('23 Nov 2026, 10:00');
    expect(formatInstant(new Date(at), { timeZone: berlin, style: 'date' })).to.equal('23 Nov 2026');
    expect(formatInstant(at, { timeZone: berlin, locale: 'de', style: 'date' })).to.equal('23. Nov. 2026');
    expect(formatInstant(at, { timeZone: berlin, style: 'time' })).to.equal('11:00');
    expect(formatInstant(at, { timeZone: berlin, zone: true })).to.equal('23 Nov 2026, 11:00 CET');
    expect(formatInstant(at, { timeZone: 'UTC', zone: true })).to.equal('23 Nov 2026, 10:00 UTC');
    expect(formatInstant(at, { timeZone: berlin, locale: 'de', style: 'long' })).to.equal('23. November 2026 um 11:00 MEZ');
  });

  it('follows daylight saving time in Berlin: the switch hours and the zone names', () => {
    expect(formatInstant('2026-03-29T00:59:00Z', { timeZone: berlin, style: 'time' })).to.equal('01:59');
    // Spring forward at 01:00 UTC: 02:00 local never happens.
    expect(formatInstant('2026-03-29T01:00:00Z', { timeZone: berlin, style: 'time', zone: true })).to.equal('03:00 CEST');
    expect(formatInstant('2026-07-01T11:00:00Z', { timeZone: berlin, locale: 'de', zone: true })).to.equal('1. Juli 2026, 13:00 MESZ');
    // Fall back at 01:00 UTC: 02:30 happens twice, told apart by the zone name.
    expect(formatInstant('2026-10-25T00:30:00Z', { timeZone: berlin, style: 'time', zone: true })).to.equal('02:30 CEST');
    expect(formatInstant('2026-10-25T01:30:00Z', { timeZone: berlin, style: 'time', zone: true })).to.equal('02:30 CET');
    // Late evening UTC is already the next local day.
    expect(formatInstant('2026-12-31T23:30:00Z', { timeZone: berlin, style: 'date' })).to.equal('1 Jan 2027');
    expect(localDate(new Date('2026-12-31T23:30:00Z'), berlin)).to.equal('2027-01-01');
  });

  it('gives back empty text for no instant, the text for a non-instant, and UTC for a zone the runtime does not know', () => {
    expect(formatInstant(null, { timeZone: berlin })).to.equal('');
    expect(formatInstant(undefined, { timeZone: berlin })).to.equal('');
    expect(formatInstant('soon', { timeZone: berlin })).to.equal('soon');
    expect(formatInstant('2026-11-23T10:00:00Z', { timeZone: 'Mars/Olympus_Mons', style: 'long' })).to.equal('23 November 2026 at 10:00 UTC');
  });

  it('writes local calendar dates for the locale without moving them a day', () => {
    expect(formatLocalDate('2026-11-01', 'en')).to.equal('1 Nov 2026');
    expect(formatLocalDate('2026-11-01', 'de')).to.equal('1. Nov. 2026');
    expect(formatLocalDate('2026-5', 'de')).to.equal('2026-5');
  });

  it('formats numbers for the locale', () => {
    expect(formatNumber(1234.5, 'en')).to.equal('1,234.5');
    expect(formatNumber(1234.5, 'de')).to.equal('1.234,5');
    expect(formatFixed(5, 1, 'de')).to.equal('5,0');
    expect(formatFixed(5, 1, 'en')).to.equal('5.0');
    expect(formatFixed(12345.678, 2, 'de')).to.equal('12345,68');
  });

  it('reads the locale of the signed-in reader, English otherwise', () => {
    expect(displayLocale('de')).to.equal('de');
    expect(displayLocale('fr')).to.equal('en');
    expect(displayLocale(null)).to.equal('en');
    expect(readerLocale({ user: { locale: 'de' } })).to.equal('de');
    expect(readerLocale({})).to.equal('en');
    expect(pageInstants(berlin, { user: { locale: 'de' } })).to.deep.equal({ timeZone: berlin, locale: 'de', zone: true });
  });

  it('writes dashboard scores, margins, changes and p-values for de with the same signs and units', () => {
    expect(formatScore('nps', 4.4, 'de')).to.equal('+4');
    expect(formatScore('nps', -12.6, 'de')).to.equal('−13');
    expect(formatScore('csat', 70.2, 'de')).to.equal('70 %');
    expect(formatScore('ces', 5, 'de')).to.equal('5,0');
    expect(formatScore('ces', 5, 'en')).to.equal('5.0');
    expect(formatScore('ces', null, 'de')).to.equal('–');
    expect(formatMargin('ces', 0.254, 'de')).to.equal('0,25');
    expect(formatDifference('nps', 4.21, 'de')).to.equal('+4,2 points');
    expect(formatDifference('csat', -3, 'de')).to.equal('−3,0 pp');
    expect(formatDifference('ces', 0, 'de')).to.equal('±0,00');
    expect(formatP(0.0123, 'de')).to.equal('p = 0,012');
    expect(formatP(0.0001, 'de')).to.equal('p < 0,001');
    expect(formatPercent(0.714, 'de')).to.equal('71 %');
  });

  it('gives the same local date as Intl for every instant, across clock changes of whole, half and quarter hours', () => {
    // Berlin (DST at 01:00 UTC), São Paulo (DST at local midnight, 2018), Lord Howe (a 30-minute change),
    // Chatham (+12:45/+13:45), Kathmandu (+05:45), St John's (−03:30), Kiritimati (+14): every 20 min 13 s of 2018 and 2026.
    const zones = ['Europe/Berlin', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Kiritimati'];
    let checked = 0;
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      for (const year of [2018, 2026]) {
        for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 1_213_000) {
          const at = new Date(t);
          const expected = intl.format(at);
          if (localDate(at, timeZone) !== expected) expect(`${timeZone} ${at.toISOString()} → ${localDate(at, timeZone)}`).to.equal(`${timeZone} ${at.toISOString()} → ${expected}`);
          checked++;
        }
      }
    }
    expect(checked).to.be.above(350_000);
  });

  it('gives a zone\'s offsets over quarter-hours as spans, each quarter-hour on the local day Intl gives it', () => {
    const q = (iso: string) => quarterHourOf(iso);
    expect(q('1970-01-01T00:14:59.999Z')).to.equal(0);
    expect(q('2026-03-29T01:00:00Z')).to.equal(Date.parse('2026-03-29T01:00:00Z') / 900_000);
    // Berlin moves from +60 to +120 minutes at 01:00 UTC on 29 March 2026.
    expect(offsetSpans('Europe/Berlin', q('2026-03-01T00:00:00Z'), q('2026-04-01T00:00:00Z'))).to.deep.equal([
      { from: q('2026-03-01T00:00:00Z'), offset: 60 },
      { from: q('2026-03-29T01:00:00Z'), offset: 120 },
    ]);
    expect(offsetSpans('Asia/Kathmandu', q('2026-01-01T00:00:00Z'), q('2027-01-01T00:00:00Z'))).to.deep.equal([{ from: q('2026-01-01T00:00:00Z'), offset: 345 }]);
    // Monrovia kept a local mean time 44½ minutes behind UTC until 1972: no quarter-hour spans then.
    expect(offsetSpans('Africa/Monrovia', q('1971-06-01T00:00:00Z'), q('1971-06-02T00:00:00Z'))).to.equal(null);
    // Each quarter-hour's local day, from its span, is the one Intl gives, in zones with half and three-quarter hours.
    for (const tz of ['America/St_Johns', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago']) {
      const from = q('2026-01-01T00:00:00Z');
      const until = q('2027-01-01T00:00:00Z');
      const spans = offsetSpans(tz, from, until)!;
      expect(spans, tz).to.not.equal(null);
      let s = 0;
      for (let quarter = from; quarter < until; quarter += 7) {
        while (s + 1 < spans.length && spans[s + 1].from <= quarter) s++;
        const day = dateOfDayNumber(Math.floor((quarter * 15 + spans[s].offset) / 1440));
        expect(day, `${tz} ${new Date(quarter * 900_000).toISOString()}`).to.equal(localDate(new Date(quarter * 900_000), tz));
        expect(day).to.equal(localDate(new Date(quarter * 900_000 + 899_999), tz));
      }
    }
  });
});
