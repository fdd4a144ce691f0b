import type { Metric } from '../surveys/model.ts';
import { computeFigures, type ScoreCounts } from './compute.ts';

/**
 * Reweighting for non-response (issue 17): the arithmetic, with no database. Touchpoint knows everyone it
 * invited, not only those who answered, so a score can be read as if every invited group had answered
 * equally often.
 *
 * Method: inverse-propensity weighting by cell, which is post-stratification to the invited population.
 * - A cell is one combination of values of the event properties chosen (`weight_by`), an event without a
 *   property counting under '(none)'.
 * - Per cell: the invitations sent in the period (not test invitations) and how many of them got a settled
 *   response; its response propensity is responses / invitations.
 * - Cells with fewer than MIN_CELL_INVITATIONS invitations, no responses, or no counted answer are pooled
 *   into one cell with the propensity of the pool (when the pool has no propensity of its own either: the
 *   propensity of all invitations).
 * - Each counted answer weighs 1 / the propensity of its cell, the weights scaled so that they add up to n
 *   (the number of answers weighted), so a weight above 1 means "speaks for more people than one answer".
 * - The metric is the survey's (compute.ts) over the weighted score counts; its 95 % margin uses Kish's
 *   effective sample size n_eff = (Σw)² / Σw²: the weighted counts, scaled to add up to n_eff, go through the
 *   very formulas of compute.ts (so NPS and CSAT read their shares' variance over n_eff, and CES its sample
 *   standard deviation with n_eff − 1).
 * Assumption: within a cell, those who answer score like those who do not (missing at random given the
 * cell). Reweighting corrects for who answers by the properties chosen, and for nothing else.
 */

/** Cells with fewer invitations than this are pooled (too few to estimate a response propensity). */
export const MIN_CELL_INVITATIONS = 20;

/** More cells than this among the period's invitations: the properties are not groups (an id, a timestamp) and are refused. */
export const MAX_CELLS = 1000;

/** One cell as the queries count it: the values of the properties chosen, in their order. */
export interface CellCount {
  values: string[];
  /** Invitations sent in the period. */
  invitations: number;
  /** How many of them got a settled response. */
  responses: number;
}

/** A cell with its propensity and the weight of each of its answers. */
export interface WeightCell {
  /** Property → value. */
  values: Record<string, string>;
  invitations: number;
  responses: number;
  /** responses / invitations; null without invitations. */
  propensity: number | null;
  /** Answers of the figure (the period's, through an invitation) in the cell. */
  n: number;
  /** The weight of each of those answers, normalised; null when no answer is weighted. */
  weight: number | null;
}

/** At most this many pooled cells are named (a property with a value per event pools them all). */
const POOLED_NAMED = 50;

/** The pooled cells taken together. */
export interface PooledCells extends Omit<WeightCell, 'values'> {
  /** How many cells are pooled. */
  cell_count: number;
  /** The values of the cells pooled, the first POOLED_NAMED in order. */
  cells: Record<string, string>[];
}

export interface CellWeights {
  weight_by: string[];
  /** The cells that stand alone, highest propensity first. */
  cells: WeightCell[];
  pooled: PooledCells | null;
  /** Cell key (cellKey) → weight; a key not listed is pooled. */
  weights: Map<string, number>;
  /** The weight of an answer in a pooled cell (or one whose cell had no invitation). */
  pooledWeight: number | null;
}

/** The key of a cell's values (the same values, the same key). */
export const cellKey = (values: readonly string[]): string => JSON.stringify(values);

const valuesOf = (properties: string[], values: string[]): Record<string, string> => Object.fromEntries(properties.map((p, i) => [p, values[i]]));

/**
 * The weight of each cell's answers, from the invitations per cell (`invited`) and the answers per cell
 * (`answered`: cell key → how many answers the figure counts there). Null when nothing can be weighted: no
 * invitation sent in the period, or none answered.
 */
export function cellWeights(properties: string[], invited: CellCount[], answered: Map<string, number>): CellWeights | null {
  const byKey = new Map<string, { values: string[]; invitations: number; responses: number; n: number }>();
  for (const c of invited) {
    const key = cellKey(c.values);
    const cell = byKey.get(key) ?? byKey.set(key, { values: c.values, invitations: 0, responses: 0, n: 0 }).get(key)!;
    cell.invitations += c.invitations;
    cell.responses += c.responses;
  }
  for (const [key, n] of answered) {
    const cell = byKey.get(key) ?? byKey.set(key, { values: JSON.parse(key) as string[], invitations: 0, responses: 0, n: 0 }).get(key)!;
    cell.n += n;
  }
  let invitations = 0;
  let responses = 0;
  for (const c of byKey.values()) {
    invitations += c.invitations;
    responses += c.responses;
  }
  if (invitations === 0 || responses === 0) return null;
  const overall = responses / invitations;

  const kept = [...byKey].filter(([, c]) => c.invitations >= MIN_CELL_INVITATIONS && c.responses > 0 && c.n > 0);
  const keptKeys = new Set(kept.map(([key]) => key));
  const pooled = [...byKey].filter(([key]) => !keptKeys.has(key)).map(([, c]) => c);
  const pool = pooled.reduce((p, c) => ({ invitations: p.invitations + c.invitations, responses: p.responses + c.responses, n: p.n + c.n }), { invitations: 0, responses: 0, n: 0 });
  const poolPropensity = pool.invitations > 0 ? pool.responses / pool.invitations : null;
  // A pool without answers to its own invitations has no propensity to divide by: its answers count as the average's.
  const poolRaw = 1 / (poolPropensity || overall);

  // Raw weights 1 / propensity, scaled so that the weights of all answers add up to their number.
  let n = pool.n;
  let rawTotal = pool.n * poolRaw;
  for (const [, c] of kept) {
    n += c.n;
    rawTotal += c.n * (c.invitations / c.responses);
  }
  const scale = rawTotal > 0 ? n / rawTotal : 0;
  const weights = new Map<string, number>();
  const byPropensity = ([ka, a]: [string, { invitations: number; responses: number }], [kb, b]: [string, { invitations: number; responses: number }]) =>
    b.responses / b.invitations - a.responses / a.invitations || b.invitations - a.invitations || ka.localeCompare(kb);
  const cells: WeightCell[] = kept.sort(byPropensity).map(([key, c]) => {
    const weight = (c.invitations / c.responses) * scale;
    weights.set(key, weight);
    return { values: valuesOf(properties, c.values), invitations: c.invitations, responses: c.responses, propensity: c.responses / c.invitations, n: c.n, weight };
  });
  const pooledWeight = pool.n > 0 ? poolRaw * scale : null;
  return {
    weight_by: properties,
    cells,
    pooled: pooled.length
      ? {
          cell_count: pooled.length,
          cells: pooled
            .map((c) => c.values)
            .sort((a, b) => cellKey(a).localeCompare(cellKey(b)))
            .slice(0, POOLED_NAMED)
            .map((values) => valuesOf(properties, values)),
          invitations: pool.invitations,
          responses: pool.responses,
          propensity: poolPropensity,
          n: pool.n,
          weight: pooledWeight,
        }
      : null,
    weights,
    pooledWeight,
  };
}

/** A figure read with weights: the score, its 95 % margin from the effective sample size, and both sizes. */
export interface WeightedFigures {
  /** The metric over the weighted score counts; null without answers. */
  score: number | null;
  /** The metric's 95 % margin with n_eff in place of n; null when it cannot be computed (as compute.ts). */
  moe95: number | null;
  /** Answers weighted. */
  n: number;
  /** Kish's effective sample size (Σw)² / Σw²; null without answers. */
  n_eff: number | null;
}

/**
 * The metric's figures from answers counted per cell (cell key → score → count) and each cell's weight
 * (`weightOf`; all 1: the unweighted figures of the same answers, n_eff = n).
 */
export function weightedFigures(metric: Metric, counts: Map<string, ScoreCounts>, weightOf: (key: string) => number): WeightedFigures {
  const weighted: ScoreCounts = new Map();
  let n = 0;
  let sum = 0;
  let squares = 0;
  for (const [key, scores] of counts) {
    const w = weightOf(key);
    for (const [score, count] of scores) {
      n += count;
      sum += w * count;
      squares += w * w * count;
      weighted.set(score, (weighted.get(score) ?? 0) + w * count);
    }
  }
  if (n === 0 || sum <= 0) return { score: null, moe95: null, n, n_eff: null };
  const nEff = (sum * sum) / squares;
  // Scaled to add up to n_eff: the shares (so the score) stay, and compute.ts's margins read n_eff as their n.
  const scaled: ScoreCounts = new Map([...weighted].map(([score, w]) => [score, (w * nEff) / sum]));
  const figures = computeFigures(metric, scaled);
  return { score: figures.score, moe95: figures.moe95, n, n_eff: nEff };
}

/** The weight of an answer in the cell `key` under `weights`. */
export const weightIn = (weights: CellWeights) => (key: string): number => weights.weights.get(key) ?? weights.pooledWeight ?? 0;
