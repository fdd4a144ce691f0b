import { expect } from 'chai';
import { sparkline } from '../../server/dashboards/sparkline.ts';

const p = (score: number | null, tooSmall = false) => ({ score, tooSmall });

describe('a score tile sparkline (the weekly scores as an SVG path)', () => {
  it('scales to the scores and breaks the line at a week too small to read, which is a faint dot of its own', () => {
    // Five weeks over 100 units (x 0, 25, 50, 75, 100); scores 10 … 40 between y 26 and 2 (y = 2 + (40 − v) / 30 × 24).
    expect(sparkline([p(10), p(20), p(null), p(30, true), p(40)])).to.deep.equal({ line: 'M0 26 L25 18 M100 2 L100 2', faint: 'M75 10 L75 10' });
  });

  it('draws a flat series across the middle, and one readable week as a dot', () => {
    expect(sparkline([p(5), p(5), p(5)])).to.deep.equal({ line: 'M0 14 L50 14 L100 14', faint: '' });
    expect(sparkline([p(7)])).to.deep.equal({ line: 'M50 14 L50 14', faint: '' });
  });

  it('draws nothing when no week has a score, and only faint dots when none is readable', () => {
    expect(sparkline([p(null), p(null)])).to.deep.equal({ line: '', faint: '' });
    expect(sparkline([])).to.deep.equal({ line: '', faint: '' });
    expect(sparkline([p(1, true), p(3, true)])).to.deep.equal({ line: '', faint: 'M0 26 L0 26 M100 2 L100 2' });
  });
});
