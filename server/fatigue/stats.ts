import { twoProportionZTest, twoSidedNormalP, type Comparison } from '../metrics/significance.ts';

/**
 * The statistics of the survey-fatigue page, as pure functions: the 95 % band of a response rate
 * (Wilson), the test for a trend in response rates across ordered groups (Cochran–Armitage), and the
 * reading of both into a finding and the cap or cooldown the data supports. Groups come in order from
 * the most rested customers to the most tired (no earlier invitation first), so a decline always has a
 * negative z.
 */

/** Called significant below this (two-sided), as metrics/significance.ts does. */
export const ALPHA = 0.05;
/** A group with fewer invitations is shown but too small to read: left out of the test and the advice. */
export const MIN_GROUP = 30;
/** The 97.5th percentile of the standard normal distribution. */
const Z95 = 1.959963984540054;

/** Invitations (n) and how many of them were answered (x). */
export interface Counts {
  n: number;
  x: number;
}

/** Wilson's score interval for x of n at 95 %, as shares (0–1); null when n is 0. */
export function wilsonInterval(x: number, n: number): { low: number; high: number } | null {
  if (!(n > 0)) return null;
  const p = x / n;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (Z95 / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Trend {
  z: number;
  /** Two-sided. */
  p: number;
  /** How the rate moves as the score grows. */
  direction: 'falls' | 'rises' | 'flat';
  significant: boolean;
}

/**
 * The Cochran–Armitage test for trend in proportions: T = Σ sᵢ(xᵢ − nᵢp̄), Var T = p̄(1 − p̄)(Σ nᵢsᵢ² −
 * (Σ nᵢsᵢ)²/N), z = T/√Var T, two-sided p from the normal distribution. Scores are the groups' positions
 * (0, 1, 2, …) unless given. Null when there is nothing to test: fewer than two groups with invitations,
 * or every invitation answered, or none.
 */
export function cochranArmitage(groups: readonly Counts[], scores: readonly number[] = groups.map((_, i) => i)): Trend | null {
  let n = 0;
  let x = 0;
  let ns = 0;
  let nss = 0;
  for (const [i, g] of groups.entries()) {
    n += g.n;
    x += g.x;
    ns += g.n * scores[i];
    nss += g.n * scores[i] * scores[i];
  }
  if (groups.filter((g) => g.n > 0).length < 2) return null;
  const pBar = x / n;
  const variance = pBar * (1 - pBar) * (nss - (ns * ns) / n);
  if (!(variance > 0)) return null;
  let t = 0;
  for (const [i, g] of groups.entries()) t += scores[i] * (g.x - g.n * pBar);
  const z = t / Math.sqrt(variance);
  const p = twoSidedNormalP(z);
  return { z, p, direction: z < 0 ? 'falls' : z > 0 ? 'rises' : 'flat', significant: p < ALPHA };
}

/** What one breakdown says, from rested to tired: the trend over the groups large enough to read. */
export type Verdict =
  /** Fewer than two groups of MIN_GROUP invitations. */
  | { kind: 'too_few' }
  /** Every invitation of the tested groups answered, or none. */
  | { kind: 'no_variation' }
  | {
      /** decline: falls significantly (the finding); rises: rises significantly; none: no significant trend. */
      kind: 'decline' | 'rises' | 'none';
      trend: Trend;
      /** The positions of the groups tested. */
      tested: number[];
      /** The first and the last group tested. */
      first: number;
      last: number;
    };

/** The trend test over the groups of at least MIN_GROUP invitations, each keeping its position as its score. */
export function declineVerdict(groups: readonly Counts[]): Verdict {
  const tested = groups.flatMap((g, i) => (g.n >= MIN_GROUP ? [i] : []));
  if (tested.length < 2) return { kind: 'too_few' };
  const trend = cochranArmitage(
    tested.map((i) => groups[i]),
    tested,
  );
  if (!trend) return { kind: 'no_variation' };
  const kind = !trend.significant ? 'none' : trend.direction === 'falls' ? 'decline' : trend.direction === 'rises' ? 'rises' : 'none';
  return { kind, trend, tested, first: tested[0], last: tested[tested.length - 1] };
}

/** The first group (after the rested one, position 0) whose rate is significantly below it: the pooled two-proportion z-test. */
function firstBelowRested(groups: readonly Counts[]): { index: number; comparison: Comparison } | null {
  const rested = groups[0];
  if (!rested || rested.n < MIN_GROUP) return null;
  for (let i = 1; i < groups.length; i++) {
    const g = groups[i];
    if (g.n < MIN_GROUP) continue;
    const comparison = twoProportionZTest(rested.x, rested.n, g.x, g.n);
    if (comparison && comparison.significant && comparison.difference < 0) return { index: i, comparison };
  }
  return null;
}

/**
 * The cap the data supports, over groups by invitations in the previous window (position k: k earlier
 * invitations): the smallest k whose rate is significantly below that of customers with none. A cap of
 * "at most k in the window" stops exactly those invitations. Null: no group is.
 */
export function supportedCap(groups: readonly Counts[]): { count: number; comparison: Comparison } | null {
  const below = firstBelowRested(groups);
  return below ? { count: below.index, comparison: below.comparison } : null;
}

/**
 * The cooldown the data supports, over groups by days since the previous invitation, rested first (no
 * earlier invitation in the window, then the longest gaps down to the shortest), each with the shortest
 * gap it holds (`from`, days): the gap from which on no group large enough to read is significantly below
 * the rested one. That is the shortest gap of the readable group just before the first one that is below
 * (the rested group's `from`, the window, when none is in between). Null: no group is below.
 */
export function supportedCooldown(groups: readonly (Counts & { from: number })[]): { days: number; below: number; comparison: Comparison } | null {
  const below = firstBelowRested(groups);
  if (!below) return null;
  let before = 0;
  for (let i = 1; i < below.index; i++) if (groups[i].n >= MIN_GROUP) before = i;
  return { days: groups[before].from, below: below.index, comparison: below.comparison };
}
