import { expect } from 'chai';
import { csvCell, csvLine } from '../../server/http/csv.ts';
import { dayRange, defaultInterval, previousRange } from '../../server/dashboards/filters.ts';
import { likePattern } from '../../server/dashboards/queries.ts';
import { formatDifference, formatP } from '../../server/dashboards/format.ts';

describe('dashboard helpers: CSV cells, periods, LIKE patterns', () => {
  it('quotes CSV cells that need it and guards text that a spreadsheet would run', () => {
    expect(csvCell('plain')).to.equal('plain');
    expect(csvCell('a,b')).to.equal('"a,b"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\nlines')).to.equal('"two\nlines"');
    for (const formula of ['=1+1', '+49 30 1234', '-2', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(formula).replace(/^"/, '')).to.match(/^'/);
    expect(csvCell('=HYPERLINK("x")')).to.equal('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-25)).to.equal('-25');
    expect(csvCell(null)).to.equal('');
    expect(csvCell(Number.NaN)).to.equal('');
    expect(csvCell(true)).to.equal('true');
    expect(csvLine([1, 'a', null])).to.equal('1,a,\r\n');
  });

  it('reads presets relative to today, and the previous period of equal length', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    expect(dayRange({ preset: '7d' }, now, 'UTC')).to.deep.equal({ from: '2026-11-17', to: '2026-11-23', preset: '7d', days: 7 });
    expect(dayRange({ preset: '90d' }, now, 'UTC').from).to.equal('2026-08-26');
    expect(dayRange({ preset: 'quarter' }, now, 'UTC').from).to.equal('2026-10-01');
    expect(dayRange({ preset: 'quarter' }, new Date('2026-03-31T23:30:00Z'), 'Europe/Berlin').from, 'April 1st in Berlin').to.equal('2026-04-01');
    expect(dayRange({}, now, 'UTC')).to.include({ from: '2026-08-26', to: '2026-11-23', days: 90 });
    expect(previousRange(dayRange({ from: '2026-11-01', to: '2026-11-14' }, now, 'UTC'))).to.deep.equal({ from: '2026-10-18', to: '2026-10-31' });
    expect(() => dayRange({ from: '2026-11-02', to: '2026-11-01' }, now, 'UTC')).to.throw(/before from/);
  });

  it('chooses day, week or month from the length of the range', () => {
    expect(defaultInterval(7)).to.equal('day');
    expect(defaultInterval(31)).to.equal('day');
    expect(defaultInterval(90)).to.equal('week');
    expect(defaultInterval(365)).to.equal('month');
  });

  it('escapes LIKE wildcards in a search', () => {
    expect(likePattern('100%')).to.equal('%100\\%%');
    expect(likePattern('Late_')).to.equal('%late\\_%');
    expect(likePattern('a\\b')).to.equal('%a\\\\b%');
  });

  it('formats changes in the units of the metric', () => {
    expect(formatDifference('nps', 75)).to.equal('+75.0 points');
    expect(formatDifference('csat', -3.04)).to.equal('−3.0 pp');
    expect(formatDifference('ces', 0.004)).to.equal('±0.00');
    expect(formatP(0.0004)).to.equal('p < 0.001');
    expect(formatP(0.0412)).to.equal('p = 0.041');
  });
});
