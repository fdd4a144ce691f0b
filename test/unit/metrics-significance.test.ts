import { expect } from 'chai';
import {
  compareCounts,
  meanSample,
  npsDifferenceTest,
  twoProportionZTest,
  twoSidedNormalP,
  twoSidedStudentP,
  welchTTest,
} from '../../server/metrics/significance.ts';

const counts = (o: Record<number, number>) => new Map(Object.entries(o).map(([s, c]) => [Number(s), c]));

describe('metrics: significance of a change against the previous period', () => {
  it('normal and Student t tails match reference values (scipy)', () => {
    expect(twoSidedNormalP(1.96)).to.be.closeTo(0.0499958, 1e-6);
    expect(twoSidedNormalP(0)).to.be.closeTo(1, 1e-6);
    expect(twoSidedNormalP(-3)).to.be.closeTo(0.0026998, 1e-6);
    expect(twoSidedStudentP(2, 10)).to.be.closeTo(0.0733880, 1e-6);
    expect(twoSidedStudentP(-1.5, 3.7)).to.be.closeTo(0.2135982, 1e-6);
    expect(twoSidedStudentP(0.3, 250.5)).to.be.closeTo(0.7644260, 1e-6);
  });

  it('CSAT: pooled two-proportion z-test', () => {
    // 40 of 100 satisfied, then 55 of 100: pooled 0.475, se √(0.475·0.525·0.02).
    const c = twoProportionZTest(40, 100, 55, 100)!;
    const z = 0.15 / Math.sqrt(0.475 * 0.525 * 0.02);
    expect(c.statistic).to.be.closeTo(z, 1e-12);
    expect(c.difference).to.be.closeTo(15, 1e-9);
    expect(c.p).to.be.closeTo(0.03367, 1e-4);
    expect(c.significant).to.equal(true);
    expect(twoProportionZTest(40, 100, 45, 100)!.significant).to.equal(false);
    expect(twoProportionZTest(0, 0, 5, 10)).to.equal(null);
    expect(twoProportionZTest(10, 10, 20, 20), 'no variance: nothing to test').to.equal(null);
  });

  it('NPS: z-test on the difference using the NPS variance', () => {
    const previous = { n: 200, promoters: 80, detractors: 60 }; // NPS +10
    const current = { n: 250, promoters: 125, detractors: 50 }; // NPS +30
    const c = npsDifferenceTest(previous, current)!;
    const v1 = 0.7 - 0.1 ** 2;
    const v2 = 0.7 - 0.3 ** 2;
    expect(c.difference).to.be.closeTo(20, 1e-9);
    expect(c.statistic).to.be.closeTo(0.2 / Math.sqrt(v1 / 200 + v2 / 250), 1e-12);
    expect(c.p).to.be.lessThan(0.05);
    expect(c.significant).to.equal(true);
    expect(npsDifferenceTest({ n: 20, promoters: 8, detractors: 6 }, { n: 20, promoters: 9, detractors: 6 })!.significant).to.equal(false);
    expect(npsDifferenceTest({ n: 1, promoters: 1, detractors: 0 }, current)).to.equal(null);
  });

  it("CES: Welch's t-test matches scipy's ttest_ind(equal_var=False)", () => {
    const previous = counts({ 3: 5, 4: 10, 5: 15, 6: 10 });
    const current = counts({ 4: 4, 5: 10, 6: 16, 7: 12 });
    const c = welchTTest(meanSample(previous), meanSample(current))!;
    expect(c.statistic).to.be.closeTo(5.1842130274, 1e-9);
    expect(c.df).to.be.closeTo(79.5018574544, 1e-8);
    expect(c.p).to.be.closeTo(1.611e-6, 1e-8);
    expect(c.significant).to.equal(true);
    expect(c.difference).to.be.closeTo(246 / 42 - 190 / 40, 1e-12);
  });

  it('compareCounts picks the test of the metric, and says when there is nothing to compare', () => {
    expect(compareCounts('nps', counts({ 10: 30, 0: 30 }), counts({ 10: 50, 0: 10 }))!.test).to.match(/NPS/);
    expect(compareCounts('csat', counts({ 5: 30, 1: 30 }), counts({ 5: 50, 1: 10 }))!.test).to.equal('two-proportion z-test');
    expect(compareCounts('ces', counts({ 7: 30, 1: 30 }), counts({ 7: 50, 1: 10 }))!.test).to.equal("Welch's t-test");
    expect(compareCounts('ces', new Map(), counts({ 7: 5, 1: 5 }))).to.equal(null);
    const same = compareCounts('nps', counts({ 10: 30, 7: 10, 3: 20 }), counts({ 10: 30, 7: 10, 3: 20 }))!;
    expect(same.difference).to.equal(0);
    expect(same.p).to.be.closeTo(1, 1e-6);
    expect(same.significant).to.equal(false);
  });
});
