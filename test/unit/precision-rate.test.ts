import { expect } from 'chai';
import { AIM, marginOf, neededResponses, periodAt, planRate, spreadOf, widestSpread, type RateBasis } from '../../server/precision/rate.ts';

/**
 * The precision target's arithmetic (issue 17) against figures worked out independently (python3, by the
 * textbook formulas: NPS σ = 100 √(p + d − (p − d)²), CSAT σ = 100 √(q (1 − q)), CES the sample standard
 * deviation; n = (1.96 σ / m)²; rate = what is missing / (events a day × pass rate × response rate × days)).
 */
describe('precision target: the sample rate a margin needs', () => {
  describe('the spread of one score', () => {
    it('NPS: 50 promoters, 30 passives, 20 detractors give σ = 100 √0.61 = 78.10', () => {
      const { spread, from } = spreadOf('nps', new Map([[10, 50], [8, 30], [3, 20]]));
      expect(from).to.equal(100);
      expect(spread).to.be.closeTo(78.1025, 1e-3);
    });

    it('CSAT: 80 % satisfied gives σ = 40 percentage points', () => {
      expect(spreadOf('csat', new Map([[5, 40], [4, 40], [2, 20]])).spread).to.be.closeTo(40, 1e-9);
    });

    it('CES: ten each of 7, 5 and 3 give s = √(80/29) = 1.661', () => {
      expect(spreadOf('ces', new Map([[7, 10], [5, 10], [3, 10]])).spread).to.be.closeTo(1.66091, 1e-4);
    });

    it('fewer than 30 scores: the widest spread of the metric, not a guess from a handful', () => {
      expect(spreadOf('nps', new Map([[10, 29]])).spread).to.equal(widestSpread.nps);
      expect(spreadOf('ces', new Map()).spread).to.equal(3);
    });
  });

  it('responses needed: σ 78.10 for ±5 needs 938 (937.35 rounded up), for ±10 needs 235', () => {
    const spread = 100 * Math.sqrt(0.61);
    expect(neededResponses(spread, 5)).to.equal(938);
    expect(neededResponses(spread, 10)).to.equal(235);
    expect(marginOf(spread, 235)).to.be.closeTo(9.9862, 1e-3);
    expect(marginOf(spread, 0)).to.equal(null);
  });

  describe('periods in the reporting time zone', () => {
    it('a quarter: Q2 2027, 91 days, 39 of them before 10 May', () => {
      expect(periodAt('quarter', new Date('2027-05-10T12:00:00Z'), 'UTC')).to.deep.equal({ start: '2027-04-01', end: '2027-07-01', label: 'Q2 2027', lengthDays: 91, elapsedDays: 39 });
    });

    it('a week starts on Monday; a month follows the zone (23:30 UTC on 31 May is June in Berlin)', () => {
      expect(periodAt('week', new Date('2027-05-12T08:00:00Z'), 'UTC')).to.include({ start: '2027-05-10', end: '2027-05-17', lengthDays: 7, elapsedDays: 2, label: 'the week of 2027-05-10' });
      expect(periodAt('month', new Date('2027-05-31T23:30:00Z'), 'Europe/Berlin')).to.include({ start: '2027-06-01', label: 'June 2027', lengthDays: 30, elapsedDays: 0 });
      expect(periodAt('month', new Date('2027-05-31T23:30:00Z'), 'UTC')).to.include({ start: '2027-05-01', label: 'May 2027', elapsedDays: 30 });
    });
  });

  describe('the rate', () => {
    // 100 events a day reach the sample, 80 % of those sampled in pass the cooldowns and cap, 25 % answer: 20 answers a day at 100 %.
    const basis: RateBasis = {
      eventsPerDay: 100,
      passRate: 0.8,
      responseRate: 0.25,
      invitationsSeen: 2000,
      spread: 100 * Math.sqrt(0.61),
      responsesSeen: 500,
      responsesSoFar: 100,
      openInvitations: 40,
    };
    const may = (elapsedDays: number) => ({ start: '2027-05-01', end: '2027-06-01', label: 'May 2027', lengthDays: 31, elapsedDays });

    it('on track: 235 needed, 100 in hand and 40 open × 25 % on their way, 125 missing over the 12 days to two thirds of May → 52.09 %', () => {
      expect(AIM).to.be.closeTo(2 / 3, 1e-12);
      const plan = planRate(basis, may(9), 10, 100);
      expect(plan).to.include({ state: 'on_track', rate: 52.09, needed: 235 });
      expect(plan.expectedResponses).to.be.closeTo(235.0, 0.05);
      expect(plan.expectedMargin!).to.be.closeTo(9.986, 1e-3);
    });

    it('a period that is behind gets a higher rate: the same answers three days later → 69.45 %', () => {
      expect(planRate(basis, may(12), 10, 100)).to.include({ state: 'on_track', rate: 69.45 });
    });

    it('past two thirds of the period, what is missing is spread over the days left: 35 over 6 days → 29.17 %', () => {
      expect(planRate({ ...basis, responsesSoFar: 200, openInvitations: 0 }, may(25), 10, 100)).to.include({ state: 'on_track', rate: 29.17 });
    });

    it('the answers in hand reach the target: no more invitations this period', () => {
      expect(planRate({ ...basis, responsesSoFar: 240 }, may(9), 10, 100)).to.include({ state: 'met', rate: 0 });
    });

    it('never above the survey\'s own rate: ±5 needs 938, far more than 50 % can bring', () => {
      const plan = planRate(basis, may(9), 5, 50);
      expect(plan).to.include({ state: 'short', rate: 50, needed: 938 });
      // 110 in hand + 50 % × 20 a day × 22 days left.
      expect(plan.expectedResponses).to.be.closeTo(330, 0.05);
    });

    it('too few invitations to read a response rate: the survey\'s own rate while the target learns', () => {
      expect(planRate({ ...basis, invitationsSeen: 29 }, may(9), 10, 80)).to.include({ state: 'learning', rate: 80 });
      expect(planRate({ ...basis, eventsPerDay: 0 }, may(9), 10, 100)).to.include({ state: 'learning', rate: 100 });
    });
  });
});
