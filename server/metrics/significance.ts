import type { Metric } from '../surveys/model.ts';
import type { ScoreCounts } from './compute.ts';

/** Two-sided tests at this level are called significant. */
const ALPHA = 0.05;

export interface Comparison {
  /** Which test, in words a manager can look up. */
  test: string;
  /** current − previous, in the metric's own units (NPS points, CSAT %, CES points). */
  difference: number;
  /** z or t. */
  statistic: number;
  /** Two-sided p-value. */
  p: number;
  /** Welch's degrees of freedom (t-test only). */
  df?: number;
  significant: boolean;
}

export const testNames: Record<Metric, string> = {
  nps: 'z-test on the NPS difference (NPS variance)',
  csat: 'two-proportion z-test',
  ces: "Welch's t-test",
};

/** Complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(|Z| ≥ |z|) for a standard normal Z. */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with df degrees of freedom. */
export function twoSidedStudentP(t: number, df: number): number {
  return Math.min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5));
}

function result(test: string, difference: number, statistic: number, p: number, df?: number): Comparison {
  return { test, difference, statistic, p, ...(df === undefined ? {} : { df }), significant: p < ALPHA };
}

/**
 * Pooled two-proportion z-test: x1 of n1 (previous) against x2 of n2 (current).
 * The difference is in percentage points. Null when either side is empty or
 * both sides are all-or-nothing (no variance to test against).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): Comparison | null {
  if (n1 < 1 || n2 < 1) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return null;
  const z = (x2 / n2 - x1 / n1) / se;
  return result(testNames.csat, 100 * (x2 / n2 - x1 / n1), z, twoSidedNormalP(z));
}

export interface NpsSample {
  n: number;
  promoters: number;
  detractors: number;
}

/**
 * z-test on the difference of two NPS: each answer scores +1, 0 or −1, whose
 * variance is p + d − (p − d)²; the standard error of the difference is
 * √(var₁/n₁ + var₂/n₂). The difference is in NPS points.
 */
export function npsDifferenceTest(previous: NpsSample, current: NpsSample): Comparison | null {
  if (previous.n < 2 || current.n < 2) return null;
  const nps = (s: NpsSample) => (s.promoters - s.detractors) / s.n;
  const variance = (s: NpsSample) => (s.promoters + s.detractors) / s.n - nps(s) ** 2;
  const se = Math.sqrt(variance(previous) / previous.n + variance(current) / current.n);
  if (!(se > 0)) return null;
  const z = (nps(current) - nps(previous)) / se;
  return result(testNames.nps, 100 * (nps(current) - nps(previous)), z, twoSidedNormalP(z));
}

export interface MeanSample {
  n: number;
  mean: number;
  /** Sample variance (n − 1 in the denominator). */
  variance: number;
}

/** Welch's unequal-variance t-test with Welch–Satterthwaite degrees of freedom. */
export function welchTTest(previous: MeanSample, current: MeanSample): Comparison | null {
  if (previous.n < 2 || current.n < 2) return null;
  const a = previous.variance / previous.n;
  const b = current.variance / current.n;
  const se = Math.sqrt(a + b);
  if (!(se > 0)) return null;
  const t = (current.mean - previous.mean) / se;
  const df = (a + b) ** 2 / (a ** 2 / (previous.n - 1) + b ** 2 / (current.n - 1));
  return result(testNames.ces, current.mean - previous.mean, t, twoSidedStudentP(t, df), df);
}

/** n, mean and sample variance of score counts. */
export function meanSample(counts: ScoreCounts): MeanSample {
  let n = 0;
  let sum = 0;
  for (const [score, count] of counts) {
    n += count;
    sum += score * count;
  }
  const mean = n > 0 ? sum / n : 0;
  let squares = 0;
  for (const [score, count] of counts) squares += count * (score - mean) ** 2;
  return { n, mean, variance: n > 1 ? squares / (n - 1) : 0 };
}

function tally(counts: ScoreCounts, test: (score: number) => boolean): number {
  let total = 0;
  for (const [score, count] of counts) if (test(score)) total += count;
  return total;
}

/** The change from `previous` to `current` with the test that fits the metric; null when it cannot be tested. */
export function compareCounts(metric: Metric, previous: ScoreCounts, current: ScoreCounts): Comparison | null {
  if (metric === 'nps') {
    const sample = (c: ScoreCounts): NpsSample => ({ n: tally(c, () => true), promoters: tally(c, (s) => s >= 9), detractors: tally(c, (s) => s <= 6) });
    return npsDifferenceTest(sample(previous), sample(current));
  }
  if (metric === 'csat') {
    return twoProportionZTest(tally(previous, (s) => s >= 4), tally(previous, () => true), tally(current, (s) => s >= 4), tally(current, () => true));
  }
  return welchTTest(meanSample(previous), meanSample(current));
}
