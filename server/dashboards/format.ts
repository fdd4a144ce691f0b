import type { Metric } from '../surveys/model.ts';
import type { Comparison } from '../metrics/significance.ts';

export const metricNames: Record<Metric, string> = { nps: 'NPS', csat: 'CSAT', ces: 'CES' };

/** The headline number as people read it: NPS +21, CSAT 76 %, CES 5.2. */
export function formatScore(metric: Metric, score: number | null): string {
  if (score === null) return '–';
  if (metric === 'nps') {
    const rounded = Math.round(score);
    return `${rounded > 0 ? '+' : rounded < 0 ? '−' : ''}${Math.abs(rounded)}`;
  }
  if (metric === 'csat') return `${Math.round(score)} %`;
  return score.toFixed(1);
}

export function formatMargin(metric: Metric, moe: number | null): string | null {
  if (moe === null) return null;
  return metric === 'ces' ? moe.toFixed(2) : moe.toFixed(1);
}

/** A change in the metric's units: +4.2 points, −3.0 pp, +0.35. */
export function formatDifference(metric: Metric, difference: number): string {
  const digits = metric === 'ces' ? 2 : 1;
  const rounded = Number(difference.toFixed(digits));
  const sign = rounded > 0 ? '+' : rounded < 0 ? '−' : '±';
  const unit = metric === 'nps' ? ' points' : metric === 'csat' ? ' pp' : '';
  return `${sign}${Math.abs(rounded).toFixed(digits)}${unit}`;
}

export const formatP = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

export const formatPercent = (share: number | null): string => (share === null ? '–' : `${Math.round(100 * share)} %`);

export interface ChangeView {
  text: string;
  direction: 'up' | 'down' | 'flat';
  significant: boolean;
  verdict: string;
  test: string;
}

export function changeView(metric: Metric, comparison: Comparison | null): ChangeView | null {
  if (!comparison) return null;
  const direction = comparison.difference > 0 ? 'up' : comparison.difference < 0 ? 'down' : 'flat';
  return {
    text: formatDifference(metric, comparison.difference),
    direction,
    significant: comparison.significant,
    verdict: `${comparison.significant ? 'significant' : 'not significant'} (${formatP(comparison.p)})`,
    test: comparison.test,
  };
}
