import type { Metric } from '../surveys/model.ts';

/** How many responses gave each score: score → count. */
export type ScoreCounts = Map<number, number>;

export interface NpsFigures {
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** −100 … 100; null with no responses. */
  score: number | null;
  moe95: number | null;
}

export interface CsatFigures {
  n: number;
  satisfied: number;
  /** Share of 4 and 5 (top-two box), in %. */
  score: number | null;
  mean: number | null;
  moe95: number | null;
}

export interface CesFigures {
  n: number;
  easy: number;
  /** Mean score, 1 … 7. */
  score: number | null;
  pct_easy: number | null;
  /** 1.96 × s / √n; null when n < 2 (no sample standard deviation). */
  moe95: number | null;
}

export type Figures = NpsFigures | CsatFigures | CesFigures;

/** Adds `more` into `into` (both score → count). */
export function addCounts(into: ScoreCounts, more: ScoreCounts): ScoreCounts {
  for (const [score, count] of more) into.set(score, (into.get(score) ?? 0) + count);
  return into;
}

function tally(counts: ScoreCounts, test: (score: number) => boolean): number {
  let total = 0;
  for (const [score, count] of counts) if (test(score)) total += count;
  return total;
}

export function npsFigures(counts: ScoreCounts): NpsFigures {
  const n = tally(counts, () => true);
  const promoters = tally(counts, (s) => s >= 9);
  const detractors = tally(counts, (s) => s <= 6);
  const passives = n - promoters - detractors;
  if (n === 0) return { n, promoters, passives, detractors, score: null, moe95: null };
  const p = promoters / n;
  const d = detractors / n;
  return {
    n,
    promoters,
    passives,
    detractors,
    score: (100 * (promoters - detractors)) / n,
    moe95: 196 * Math.sqrt((p + d - (p - d) ** 2) / n),
  };
}

function mean(counts: ScoreCounts, n: number): number {
  let sum = 0;
  for (const [score, count] of counts) sum += score * count;
  return sum / n;
}

export function csatFigures(counts: ScoreCounts): CsatFigures {
  const n = tally(counts, () => true);
  const satisfied = tally(counts, (s) => s >= 4);
  if (n === 0) return { n, satisfied, score: null, mean: null, moe95: null };
  const q = satisfied / n;
  return { n, satisfied, score: (100 * satisfied) / n, mean: mean(counts, n), moe95: 196 * Math.sqrt((q * (1 - q)) / n) };
}

export function cesFigures(counts: ScoreCounts): CesFigures {
  const n = tally(counts, () => true);
  const easy = tally(counts, (s) => s >= 5);
  if (n === 0) return { n, easy, score: null, pct_easy: null, moe95: null };
  const m = mean(counts, n);
  let squares = 0;
  for (const [score, count] of counts) squares += count * (score - m) ** 2;
  const moe95 = n < 2 ? null : (1.96 * Math.sqrt(squares / (n - 1))) / Math.sqrt(n);
  return { n, easy, score: m, pct_easy: (100 * easy) / n, moe95 };
}

/** The figures of a metric (../shared/fixtures/metrics/README.md) from score counts. */
export function computeFigures(metric: Metric, counts: ScoreCounts): Figures {
  if (metric === 'nps') return npsFigures(counts);
  if (metric === 'csat') return csatFigures(counts);
  return cesFigures(counts);
}

export type MarkedFigures = Figures & { too_small: boolean };

/** The figures of `counts`, marked too small to read below `minResponses`. */
export function figuresOf(metric: Metric, counts: ScoreCounts, minResponses: number): MarkedFigures {
  const figures = computeFigures(metric, counts);
  return { ...figures, too_small: figures.n < minResponses };
}
