import { expect } from 'chai';
import { computeFigures, type ScoreCounts } from '../../server/metrics/compute.ts';
import { cellKey, cellWeights, MIN_CELL_INVITATIONS, weightedFigures, weightIn, type CellCount } from '../../server/metrics/weighting.ts';

/**
 * Reweighting for non-response (server/metrics/weighting.ts) against figures computed independently with
 * python3, answer by answer rather than from counts (the script, /tmp/weighting/calc.py when written):
 *
 *   def weights(cells):  # name -> (invitations, responses, answers)
 *       raw = {c: inv/resp for c, (inv, resp, ans) in cells.items()}
 *       n = sum(len(a) for (_, _, a) in cells.values())
 *       tot = sum(raw[c]*len(a) for c, (_, _, a) in cells.items())
 *       return {c: raw[c]*n/tot for c in cells}
 *   def neff(pairs): sw = sum(w for _, w in pairs); return sw*sw/sum(w*w for _, w in pairs)
 *   def nps(pairs):   # pairs: (score, weight) per answer
 *       sw = sum(w for _, w in pairs); p = sum(w for s, w in pairs if s >= 9)/sw; d = sum(w for s, w in pairs if s <= 6)/sw
 *       return 100*(p-d), 196*sqrt((p+d-(p-d)**2)/neff(pairs)), neff(pairs)
 *   def csat(pairs): q = weighted share of 4-5; return 100*q, 196*sqrt(q*(1-q)/neff), neff
 *   def ces(pairs):  m = weighted mean; var = sum(w*(s-m)**2)/sum(w) * neff/(neff-1)
 *                    return m, 1.96*sqrt(var)/sqrt(neff), neff
 */

const close = (actual: number | null, expected: number) => expect(actual).to.be.closeTo(expected, 1e-9);

/** Score counts from a list of scores. */
const countsOf = (scores: number[]): ScoreCounts => {
  const counts: ScoreCounts = new Map();
  for (const s of scores) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts;
};
const repeat = (score: number, times: number) => Array.from({ length: times }, () => score);

/** Answers per cell (cell key → counts), and the answered map cellWeights takes. */
function answersOf(cells: Record<string, number[]>): { counts: Map<string, ScoreCounts>; answered: Map<string, number> } {
  const counts = new Map(Object.entries(cells).map(([value, scores]) => [cellKey([value]), countsOf(scores)]));
  const answered = new Map(Object.entries(cells).map(([value, scores]) => [cellKey([value]), scores.length]));
  return { counts, answered };
}

describe('reweighting for non-response', () => {
  // North answers twice as often as south (40 % against 20 % of 100 invitations each) and scores higher:
  // north 20 promoters, 10 passives, 10 detractors (NPS +25); south 4, 6, 10 (NPS −30).
  const north = [...repeat(10, 20), ...repeat(8, 10), ...repeat(3, 10)];
  const south = [...repeat(10, 4), ...repeat(8, 6), ...repeat(3, 10)];
  const invited: CellCount[] = [
    { values: ['north'], invitations: 100, responses: 40 },
    { values: ['south'], invitations: 100, responses: 20 },
  ];

  it('weighs each answer 1 / the propensity of its cell, scaled to add up to n', () => {
    const { answered } = answersOf({ north, south });
    const w = cellWeights(['region'], invited, answered)!;
    expect(w.weight_by).to.deep.equal(['region']);
    expect(w.pooled).to.equal(null);
    // 1/0.4 and 1/0.2, times 60 / (40 × 2.5 + 20 × 5) = 0.3.
    expect(w.cells.map((c) => ({ ...c, weight: Number(c.weight!.toFixed(12)) }))).to.deep.equal([
      { values: { region: 'north' }, invitations: 100, responses: 40, propensity: 0.4, n: 40, weight: 0.75 },
      { values: { region: 'south' }, invitations: 100, responses: 20, propensity: 0.2, n: 20, weight: 1.5 },
    ]);
  });

  it('moves the NPS by a known amount when the region that answers less scores lower, with the margin from n_eff', () => {
    const { counts, answered } = answersOf({ north, south });
    const raw = weightedFigures('nps', counts, () => 1);
    // Unweighted: the very figures of compute.ts, n_eff = n.
    const plain = computeFigures('nps', countsOf([...north, ...south]));
    expect(raw).to.deep.equal({ score: plain.score, moe95: plain.moe95, n: 60, n_eff: 60 });
    close(raw.score, 6.6666666666666705);
    close(raw.moe95, 21.602853035172444);

    const weighted = weightedFigures('nps', counts, weightIn(cellWeights(['region'], invited, answered)!));
    // Equal invitations per region: the weighted NPS is the mean of the regions' (+25 and −30), −2.5,
    // 9.17 points below the raw +6.67. n_eff = 60² / (40 × 0.75² + 20 × 1.5²) = 3600 / 67.5.
    close(weighted.score, -2.500000000000002);
    close(weighted.score! - raw.score!, -9.166666666666672);
    close(weighted.n_eff, 53.333333333333336);
    close(weighted.moe95, 22.84222652238612);
    expect(weighted.n).to.equal(60);
  });

  it(`pools cells with fewer than ${MIN_CELL_INVITATIONS} invitations or no response into one, with the pool's propensity`, () => {
    const west = [9, 9, 7, 2, 2];
    const { counts, answered } = answersOf({ north, south, west });
    const w = cellWeights(
      ['region'],
      [...invited, { values: ['west'], invitations: 10, responses: 5 }, { values: ['east'], invitations: 30, responses: 0 }],
      answered,
    )!;
    expect(w.cells.map((c) => c.values.region)).to.deep.equal(['north', 'south']);
    // West (10 invitations) and east (no response) together: 40 invitations, 5 answered, west's 5 answers.
    expect(w.pooled).to.deep.include({ cell_count: 2, cells: [{ region: 'east' }, { region: 'west' }], invitations: 40, responses: 5, propensity: 0.125, n: 5 });
    close(w.pooled!.weight, 2.1666666666666665);
    close(w.cells[0].weight, 0.6770833333333334);
    close(w.cells[1].weight, 1.3541666666666667);
    const weighted = weightedFigures('nps', counts, weightIn(w));
    close(weighted.score, -2.083333333333326);
    close(weighted.moe95, 22.934532897751417);
    close(weighted.n_eff, 53.83177570093446);
  });

  it('gives answers of a pool without a response of its own the propensity of all invitations', () => {
    // The pool: 10 invitations, none answered, yet 2 answers in the period (to invitations sent before it).
    const { answered } = answersOf({ north, south, west: [10, 10] });
    const w = cellWeights(['region'], [...invited, { values: ['west'], invitations: 10, responses: 0 }], answered)!;
    // Raw weights 2.5, 5 and 1 / (60 / 210) = 3.5; scaled by 62 / (100 + 100 + 7).
    expect(w.pooled).to.deep.include({ invitations: 10, responses: 0, propensity: 0, n: 2 });
    close(w.pooled!.weight, (3.5 * 62) / 207);
    close(w.cells[0].weight, (2.5 * 62) / 207);
  });

  it('counts every pooled cell but names the first 50 of them', () => {
    const one = Array.from({ length: 60 }, (_, i): CellCount => ({ values: [`order-${String(i).padStart(2, '0')}`], invitations: 1, responses: 1 }));
    const w = cellWeights(['order'], one, new Map(one.map((c) => [cellKey(c.values), 1])))!;
    expect(w.cells).to.deep.equal([]);
    expect(w.pooled).to.deep.include({ cell_count: 60, invitations: 60, responses: 60, propensity: 1, n: 60, weight: 1 });
    expect(w.pooled!.cells).to.have.length(50);
    expect(w.pooled!.cells[0]).to.deep.equal({ order: 'order-00' });
  });

  it('weighs CSAT and CES the same way (CES with the sample deviation over n_eff − 1)', () => {
    const satisfied = answersOf({ a: [...repeat(5, 15), ...repeat(4, 10), ...repeat(2, 15)], b: [...repeat(5, 2), ...repeat(4, 3), ...repeat(1, 15)] });
    const cells: CellCount[] = [
      { values: ['a'], invitations: 100, responses: 40 },
      { values: ['b'], invitations: 100, responses: 20 },
    ];
    const csat = weightedFigures('csat', satisfied.counts, weightIn(cellWeights(['x'], cells, satisfied.answered)!));
    close(weightedFigures('csat', satisfied.counts, () => 1).score, 50);
    close(csat.score, 43.75);
    close(csat.moe95, 13.313952385561548);
    close(csat.n_eff, 53.333333333333336);

    const effort = answersOf({ a: [...repeat(7, 20), ...repeat(5, 10), ...repeat(2, 10)], b: [...repeat(6, 5), ...repeat(3, 10), ...repeat(1, 5)] });
    const raw = weightedFigures('ces', effort.counts, () => 1);
    close(raw.score, 4.583333333333333);
    close(raw.moe95, 0.5557240234209392);
    const ces = weightedFigures('ces', effort.counts, weightIn(cellWeights(['x'], cells, effort.answered)!));
    close(ces.score, 4.25);
    close(ces.moe95, 0.5865938600837022);
  });

  it('cannot weight without invitations or without any response, and has no figure without answers', () => {
    expect(cellWeights(['region'], [], new Map([[cellKey(['north']), 3]]))).to.equal(null);
    expect(cellWeights(['region'], [{ values: ['north'], invitations: 50, responses: 0 }], new Map())).to.equal(null);
    expect(weightedFigures('nps', new Map(), () => 1)).to.deep.equal({ score: null, moe95: null, n: 0, n_eff: null });
    // One CES answer: n_eff 1, no sample deviation.
    expect(weightedFigures('ces', new Map([['k', countsOf([5])]]), () => 2)).to.deep.equal({ score: 5, moe95: null, n: 1, n_eff: 1 });
  });

  it('keys cells of several properties by their values in order', () => {
    const w = cellWeights(
      ['region', 'plan'],
      [
        { values: ['north', 'team'], invitations: 40, responses: 20 },
        { values: ['north', '(none)'], invitations: 40, responses: 10 },
      ],
      new Map([
        [cellKey(['north', 'team']), 20],
        [cellKey(['north', '(none)']), 10],
      ]),
    )!;
    expect(w.cells.map((c) => c.values)).to.deep.equal([
      { region: 'north', plan: 'team' },
      { region: 'north', plan: '(none)' },
    ]);
    // 2 and 4, scaled by 30 / 80.
    close(weightIn(w)(cellKey(['north', '(none)'])), 1.5);
  });
});
