import { expect } from 'chai';
import { localDays } from '../../server/metrics/local-days.ts';

/**
 * The local day of stored instants and of their hour and minute prefixes (server/metrics/local-days.ts),
 * against Intl, across clock changes of whole, half and quarter hours and offsets that are not whole hours.
 */
describe('local days of stored instants and their prefixes', () => {
  const zones = ['Europe/Berlin', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Kiritimati', 'America/Los_Angeles'];

  it('places every instant, minute and hour on the day Intl gives, and says which hours hold a local midnight', () => {
    let checked = 0;
    let straddling = 0;
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      const { ofHour, ofInstant } = localDays(timeZone);
      for (const year of [2018, 2026]) {
        for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 2_419_000) {
          const at = new Date(t);
          const iso = at.toISOString();
          const expected = intl.format(at);
          const minute = new Date(Math.floor(t / 60_000) * 60_000);
          const hourStart = new Date(Math.floor(t / 3_600_000) * 3_600_000);
          const hourDays = new Set([intl.format(hourStart), intl.format(new Date(hourStart.getTime() + 3_599_999))]);
          const got = { instant: ofInstant(iso), minute: ofInstant(iso.slice(0, 16)), hour: ofHour(iso.slice(0, 13)) };
          const want = { instant: expected, minute: intl.format(minute), hour: hourDays.size === 1 ? [...hourDays][0] : null };
          if (JSON.stringify(got) !== JSON.stringify(want)) expect({ timeZone, iso, ...got }).to.deep.equal({ timeZone, iso, ...want });
          if (want.hour === null) straddling++;
          checked++;
        }
      }
    }
    expect(checked).to.be.above(200_000);
    // Kathmandu, Chatham, St John's and Lord Howe have hours that hold a local midnight: they were met.
    expect(straddling).to.be.above(1000);
  });
});
