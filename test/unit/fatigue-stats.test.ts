import { expect } from 'chai';
import { cochranArmitage, declineVerdict, supportedCap, supportedCooldown, wilsonInterval, type Counts } from '../../server/fatigue/stats.ts';
import { FatigueTally, GAP_GROUPS } from '../../server/fatigue/figures.ts';

const groups = (...pairs: [number, number][]): Counts[] => pairs.map(([n, x]) => ({ n, x }));

describe('fatigue: the statistics of the survey-fatigue page', () => {
  it('Wilson 95 % interval matches values computed independently', () => {
    // python3: p=x/n; d=1+z²/n; c=(p+z²/2n)/d; h=z/d·√(p(1−p)/n+z²/4n²), z=1.959963984540054
    const cases: [number, number, number, number][] = [
      [4, 10, 0.16818032970623614, 0.6873262302663417],
      [0, 20, 0, 0.16112515805281938],
      [48, 120, 0.31676408120837146, 0.4894397520753693],
    ];
    for (const [x, n, low, high] of cases) {
      const band = wilsonInterval(x, n)!;
      expect(band.low, `${x}/${n} low`).to.be.closeTo(low, 1e-9);
      expect(band.high, `${x}/${n} high`).to.be.closeTo(high, 1e-9);
    }
    expect(wilsonInterval(0, 0)).to.equal(null);
  });

  it('Cochran–Armitage reproduces Agresti’s example and values computed independently', () => {
    // Agresti, Categorical Data Analysis, the linear-trend example of infant malformation (present of total)
    // by the mother's alcohol consumption, scores 0, 0.5, 1.5, 4, 7: M² = 6.57, P = 0.01. python3 (the same
    // formula written out on its own): z = 2.5632272518654204, two-sided p = 0.010370414572997443.
    const alcohol = cochranArmitage(groups([17114, 48], [14502, 38], [793, 5], [127, 1], [38, 1]), [0, 0.5, 1.5, 4, 7])!;
    expect(alcohol.z).to.be.closeTo(2.5632272518654204, 1e-6);
    expect(alcohol.z ** 2).to.be.closeTo(6.57, 0.005);
    expect(alcohol.p).to.be.closeTo(0.010370414572997443, 1e-6);
    expect(alcohol.direction).to.equal('rises');

    // python3, scores 0, 1, 2, 3: z = −2.780248084571718, p = 0.005431738495652269.
    const falling = cochranArmitage(groups([100, 40], [100, 35], [100, 31], [100, 22]))!;
    expect(falling.z).to.be.closeTo(-2.780248084571718, 1e-9);
    expect(falling.p).to.be.closeTo(0.005431738495652269, 1e-6);
    expect(falling).to.include({ direction: 'falls', significant: true });

    expect(cochranArmitage(groups([50, 0], [50, 0])), 'nobody answered: nothing to test').to.equal(null);
    expect(cochranArmitage(groups([50, 10])), 'one group: nothing to test').to.equal(null);
  });

  it('finds a planted decline and the cap the data supports', () => {
    // First-timers and customers with one earlier invitation answer 40 %, those with two 10 %.
    // python3: z = −5.0709255283711, p = 3.958856765956041e-07; 12/120 against 48/120: p = 8.0e-08.
    const planted = groups([120, 48], [120, 48], [120, 12]);
    const verdict = declineVerdict(planted);
    expect(verdict.kind).to.equal('decline');
    if (verdict.kind !== 'decline') return;
    expect(verdict.trend.z).to.be.closeTo(-5.0709255283711, 1e-9);
    expect(verdict.trend.p).to.be.closeTo(3.958856765956041e-7, 1e-9);
    expect([verdict.first, verdict.last]).to.deep.equal([0, 2]);
    const cap = supportedCap(planted)!;
    expect(cap.count, 'at most 2 in 90 days').to.equal(2);
    expect(cap.comparison.p).to.be.closeTo(8.025111266927562e-8, 1e-9);
  });

  it('finds nothing in flat data', () => {
    expect(declineVerdict(groups([200, 60], [200, 60], [200, 60], [200, 60])).kind).to.equal('none');
    // python3: z = −0.11933437937987529, p = 0.905010447290881.
    const noisy = declineVerdict(groups([150, 45], [150, 48], [150, 42], [150, 46]));
    expect(noisy.kind).to.equal('none');
    if (noisy.kind === 'none') expect(noisy.trend.p).to.be.closeTo(0.905010447290881, 1e-6);
    expect(supportedCap(groups([150, 45], [150, 48], [150, 42], [150, 46]))).to.equal(null);
  });

  it('leaves groups under 30 invitations out, and says when too few are left', () => {
    expect(declineVerdict(groups([100, 40], [20, 1])).kind).to.equal('too_few');
    // The small middle group does not count; the other two keep their positions as scores.
    const verdict = declineVerdict(groups([100, 40], [10, 0], [100, 10]));
    expect(verdict.kind).to.equal('decline');
    if (verdict.kind === 'decline') expect(verdict.tested).to.deep.equal([0, 2]);
    expect(supportedCap(groups([100, 40], [10, 0], [100, 10]))!.count).to.equal(2);
  });

  it('reads the cooldown: the shortest gap from which on no readable group is below the rested one', () => {
    const gaps = (counts: [number, number][]) => counts.map(([n, x], i) => ({ n, x, from: GAP_GROUPS[i].from }));
    // Rested (none in 90 days) 40 %, 30–59 days 40 %, 7–13 days 25 % (python3: p = 0.00017 against the rested).
    const cooldown = supportedCooldown(gaps([[250, 100], [0, 0], [100, 40], [0, 0], [300, 75], [0, 0]]))!;
    expect(cooldown).to.include({ days: 30, below: 4 });
    expect(cooldown.comparison.p).to.be.closeTo(0.00016943920219370637, 1e-7);
    // Nothing readable between the rested group and the one below it: the look-back itself.
    expect(supportedCooldown(gaps([[250, 100], [0, 0], [10, 4], [0, 0], [300, 75], [0, 0]]))!.days).to.equal(90);
    expect(supportedCooldown(gaps([[250, 100], [0, 0], [100, 40], [0, 0], [300, 120], [0, 0]]))).to.equal(null);
  });

  it('groups each invitation by the customer’s history', () => {
    const day = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString();
    const tally = new FatigueTally(day(5), new Set([1]), true);
    const row = (id: number, customer: number, survey: number, d: number, answered: boolean, segment: string | null = 'north') => ({
      id,
      customer_id: customer,
      survey_id: survey,
      sent_at: day(d),
      responded_at: answered ? day(d + 1) : null,
      segment_value: segment,
    });
    tally.add([
      // Customer 1: day 0 is history only; days 10 and 20 have 1 and 2 earlier, 10 days after the previous.
      row(1, 1, 1, 0, true),
      row(2, 1, 2, 10, false),
      row(3, 1, 1, 20, true),
      row(4, 1, 1, 23, false),
      // Customer 2: day 0 is more than 90 days before day 100, so day 100 starts afresh.
      row(5, 2, 1, 0, true),
      row(6, 2, 1, 100, true, null),
    ]);
    const { total, byCount, byGap, segments } = tally.counts;
    // Survey 2 is not counted (its invitation is history all the same).
    expect(total).to.deep.equal({ n: 3, x: 2 });
    expect(byCount.map((c) => c.n)).to.deep.equal([1, 0, 1, 1, 0, 0]);
    expect(byGap.map((c) => c.n), 'rested, 60–89, 30–59, 14–29, 7–13, 0–6').to.deep.equal([1, 0, 0, 0, 1, 1]);
    expect(segments!.map((s) => [s.value, s.total.n])).to.deep.equal([['north', 2], [null, 1]]);
  });
});
