import { expect } from 'chai';
import { bucketStart, bucketStarts, groupDays } from '../../server/metrics/series.ts';
import { parsePeriod } from '../../server/metrics/range.ts';
import { localDate, localMidnight } from '../../server/dates.ts';

describe('metrics: buckets', () => {
  it('ISO weeks start on Monday, also across a year boundary', () => {
    expect(bucketStart('2026-01-01', 'week')).to.equal('2025-12-29'); // a Thursday
    expect(bucketStart('2025-12-29', 'week')).to.equal('2025-12-29'); // the Monday itself
    expect(bucketStart('2026-01-04', 'week')).to.equal('2025-12-29'); // the Sunday
    expect(bucketStart('2026-01-05', 'week')).to.equal('2026-01-05');
  });

  it('months start on the 1st, days on themselves', () => {
    expect(bucketStart('2026-02-28', 'month')).to.equal('2026-02-01');
    expect(bucketStart('2026-02-28', 'day')).to.equal('2026-02-28');
  });

  it('groups days into buckets in date order', () => {
    const days = new Map([
      ['2026-01-05', new Map([[9, 1]])],
      ['2026-01-01', new Map([[9, 2], [3, 1]])],
      ['2026-01-04', new Map([[3, 1]])],
    ]);
    const weeks = groupDays(days, 'week');
    expect(weeks.map(([start]) => start)).to.deep.equal(['2025-12-29', '2026-01-05']);
    expect([...weeks[0][1]].sort()).to.deep.equal([[3, 2], [9, 2]]);
  });

  it('lists every bucket start of a period, for charts that draw gaps', () => {
    expect(bucketStarts('2026-01-01', '2026-01-20', 'week')).to.deep.equal(['2025-12-29', '2026-01-05', '2026-01-12', '2026-01-19']);
    expect(bucketStarts('2026-01-31', '2026-03-01', 'month')).to.deep.equal(['2026-01-01', '2026-02-01', '2026-03-01']);
  });

  it('takes the local day in Europe/Berlin across the 2026-03-29 change to summer time', () => {
    // 23:30 UTC on the 28th is already the 29th in Berlin (UTC+1); 22:30 UTC on the 29th is the 30th (UTC+2).
    expect(localDate(new Date('2026-03-28T23:30:00Z'), 'Europe/Berlin')).to.equal('2026-03-29');
    expect(localDate(new Date('2026-03-29T21:59:59Z'), 'Europe/Berlin')).to.equal('2026-03-29');
    expect(localDate(new Date('2026-03-29T22:30:00Z'), 'Europe/Berlin')).to.equal('2026-03-30');
    // The 29th is a Sunday: it belongs to the week of Monday the 23rd, the 30th starts a new one.
    expect(bucketStart('2026-03-29', 'week')).to.equal('2026-03-23');
    expect(bucketStart('2026-03-30', 'week')).to.equal('2026-03-30');
  });

  it('turns local dates into instants: the 29th of March lasts 23 hours in Berlin', () => {
    expect(localMidnight('2026-03-29', 'Europe/Berlin').toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    const p = parsePeriod('2026-03-29', '2026-03-29', 'Europe/Berlin');
    expect(p).to.include({ fromIso: '2026-03-28T23:00:00.000Z', untilIso: '2026-03-29T22:00:00.000Z', byDay: true });
    const instants = parsePeriod('2026-03-29T00:00:00Z', undefined, 'UTC');
    expect(instants.byDay).to.equal(false);
  });

  it('refuses impossible dates naming the parameter', () => {
    expect(() => parsePeriod('2026-02-30', undefined, 'UTC')).to.throw().with.property('errors').that.deep.equals([
      { field: 'from', message: 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with an offset' },
    ]);
    expect(() => parsePeriod('2026-03-02', '2026-03-01', 'UTC')).to.throw(/to/);
  });
});
