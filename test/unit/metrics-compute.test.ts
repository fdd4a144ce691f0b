import { expect } from 'chai';
import { cesFigures, computeFigures, csatFigures, npsFigures } from '../../server/metrics/compute.ts';

const counts = (o: Record<number, number>) => new Map(Object.entries(o).map(([s, c]) => [Number(s), c]));

describe('metrics: figures from score counts', () => {
  it('NPS: promoters, passives, detractors, score and margin of error', () => {
    // 10 answers: 5 promoters (9, 10), 3 passives (7, 8), 2 detractors (0, 6).
    const f = npsFigures(counts({ 10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1 }));
    expect(f).to.include({ n: 10, promoters: 5, passives: 3, detractors: 2 });
    expect(f.score).to.be.closeTo(30, 1e-12);
    // p = 0.5, d = 0.2: 196 × √((0.7 − 0.09) / 10)
    expect(f.moe95).to.be.closeTo(196 * Math.sqrt(0.061), 1e-12);
  });

  it('NPS of only promoters is 100 with no margin', () => {
    const f = npsFigures(counts({ 10: 4 }));
    expect(f.score).to.equal(100);
    expect(f.moe95).to.equal(0);
  });

  it('CSAT: top-two box share, mean and margin of error', () => {
    const f = csatFigures(counts({ 5: 2, 4: 1, 3: 1, 1: 1 }));
    expect(f).to.include({ n: 5, satisfied: 3 });
    expect(f.score).to.be.closeTo(60, 1e-12);
    expect(f.mean).to.be.closeTo(18 / 5, 1e-12);
    expect(f.moe95).to.be.closeTo(196 * Math.sqrt((0.6 * 0.4) / 5), 1e-12);
  });

  it('CES: mean, share easy (5–7) and 1.96 s / √n with the sample deviation', () => {
    const f = cesFigures(counts({ 7: 1, 5: 1, 3: 1, 1: 1 }));
    expect(f).to.include({ n: 4, easy: 2 });
    expect(f.score).to.equal(4);
    expect(f.pct_easy).to.equal(50);
    // deviations 3, 1, −1, −3: s² = 20 / 3
    expect(f.moe95).to.be.closeTo((1.96 * Math.sqrt(20 / 3)) / 2, 1e-12);
  });

  it('CES with one answer has no margin of error', () => {
    const f = cesFigures(counts({ 6: 1 }));
    expect(f).to.deep.equal({ n: 1, easy: 1, score: 6, pct_easy: 100, moe95: null });
  });

  it('an empty bucket has n 0 and no scores', () => {
    expect(computeFigures('nps', new Map())).to.deep.equal({ n: 0, promoters: 0, passives: 0, detractors: 0, score: null, moe95: null });
    expect(computeFigures('csat', new Map())).to.deep.equal({ n: 0, satisfied: 0, score: null, mean: null, moe95: null });
    expect(computeFigures('ces', new Map())).to.deep.equal({ n: 0, easy: 0, score: null, pct_easy: null, moe95: null });
  });
});
