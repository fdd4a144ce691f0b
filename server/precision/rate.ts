import { computeFigures, type ScoreCounts } from '../metrics/compute.ts';
import { addDays, addMonthsDate, daysBetween, localDate, startOfIsoWeekDate, startOfMonthDate } from '../dates.ts';
import type { Metric, PrecisionTarget } from '../surveys/model.ts';

/**
 * The sample rate a precision target needs (issue 17): pure arithmetic on what the last weeks show. The
 * margin of a figure is 1.96 σ / √n (the metrics' own formulas, metrics/compute.ts), so a margin m needs
 * n = (1.96 σ / m)² responses in the period. Each event sampled in yields an answer with probability
 * (share the frequency rules let through) × (response rate); what the period still needs, spread over the
 * days left, gives the rate. Early in a period the rate aims to have the answers by AIM of it (front-loading),
 * so a slow start is caught up while there is time; a period that is behind gets a higher rate, one whose
 * answers are in hand (or on their way) gets none.
 */

/** Below this many scores, the spread is the metric's widest (a survey that has not spoken yet is not assumed tame). */
const MIN_SPREAD_RESPONSES = 30;
/** Below this many invitations sent, the response rate is not read: the target learns at the survey's own rate. */
const MIN_RATE_INVITATIONS = 30;
/** The share of a period by which the rate aims to have the answers it needs. */
export const AIM = 2 / 3;

/** The widest spread of one score (σ in the metric's units): NPS all promoters or detractors, CSAT half satisfied, CES at the ends. */
export const widestSpread: Record<Metric, number> = { nps: 100, csat: 50, ces: 3 };

/** σ of one response's score, in the metric's units (NPS points, CSAT percentage points, CES scale points), from score counts. */
export function spreadOf(metric: Metric, counts: ScoreCounts): { spread: number; from: number } {
  const figures = computeFigures(metric, counts);
  if (figures.n < MIN_SPREAD_RESPONSES || figures.moe95 === null) return { spread: widestSpread[metric], from: figures.n };
  // moe95 = 1.96 σ / √n for all three metrics.
  return { spread: (figures.moe95 * Math.sqrt(figures.n)) / 1.96, from: figures.n };
}

/** Responses a period needs for a 95 % margin of `margin` at this spread. */
export const neededResponses = (spread: number, margin: number): number => Math.ceil(((1.96 * spread) / margin) ** 2 - 1e-9);

/** The 95 % margin of n responses at this spread; null with none. */
export const marginOf = (spread: number, n: number): number | null => (n > 0 ? (1.96 * spread) / Math.sqrt(n) : null);

/** A period of a target: local dates (end exclusive), its label, and where today is in it. */
export interface PeriodSpan {
  start: string;
  end: string;
  /** "May 2027", "Q2 2027", "the week of 2027-05-03". */
  label: string;
  lengthDays: number;
  /** Whole days of the period before today. */
  elapsedDays: number;
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The label of the period starting at `start` (English: the decision details are). */
export function periodLabel(period: PrecisionTarget['period'], start: string): string {
  const [year, month] = start.split('-').map(Number);
  if (period === 'week') return `the week of ${start}`;
  if (period === 'month') return `${monthNames[month - 1]} ${year}`;
  return `Q${Math.floor((month - 1) / 3) + 1} ${year}`;
}

/** The first local day of the period holding `date`. */
export function periodStart(period: PrecisionTarget['period'], date: string): string {
  if (period === 'week') return startOfIsoWeekDate(date);
  const month = startOfMonthDate(date);
  if (period === 'month') return month;
  const monthNumber = Number(month.slice(5, 7));
  return addMonthsDate(month, -((monthNumber - 1) % 3));
}

/** The day after the period starting at `start`. */
export const periodEnd = (period: PrecisionTarget['period'], start: string): string =>
  period === 'week' ? addDays(start, 7) : addMonthsDate(start, period === 'month' ? 1 : 3);

/** The period holding the local date `day`, and where `day` is in it. */
export function periodOf(period: PrecisionTarget['period'], day: string): PeriodSpan {
  const start = periodStart(period, day);
  const end = periodEnd(period, start);
  return { start, end, label: periodLabel(period, start), lengthDays: daysBetween(start, end) - 1, elapsedDays: daysBetween(start, day) - 1 };
}

/** The period of `now` in the time zone. */
export const periodAt = (period: PrecisionTarget['period'], now: Date, timeZone: string): PeriodSpan => periodOf(period, localDate(now, timeZone));

/** What the last weeks and the period so far show, for one survey (and segment). */
export interface RateBasis {
  /** Events a day that reached the sampling step (not refused by an earlier rule). */
  eventsPerDay: number;
  /** Of the events sampled in, the share the cooldowns and the cap let through (1 when none were sampled in). */
  passRate: number;
  /** Responses per invitation sent, and how many invitations it is read from. */
  responseRate: number;
  invitationsSeen: number;
  /** σ of one score, and how many scores it is read from (fewer than MIN_SPREAD_RESPONSES: the widest). */
  spread: number;
  responsesSeen: number;
  /** This period: responses counted so far, and invitations still open (scheduled, or sent in the last days and not answered). */
  responsesSoFar: number;
  openInvitations: number;
}

/**
 * learning: too few invitations to read a response rate (the survey's own rate applies);
 * on_track: the rate that reaches the target; met: the answers in hand and on their way reach it (no more
 * invitations this period); short: even the survey's own rate falls short of it.
 */
export type RateState = 'learning' | 'on_track' | 'met' | 'short';

export interface RatePlan {
  /** Percent, 2 decimals, never above the ceiling. */
  rate: number;
  state: RateState;
  /** Responses the period needs. */
  needed: number;
  /** Responses expected by the period's end at this rate, and the margin they give. */
  expectedResponses: number;
  expectedMargin: number | null;
}

/** The sample rate for today that reaches `margin` in the period, never above `ceiling` (the survey's sample_rate). */
export function planRate(basis: RateBasis, period: PeriodSpan, margin: number, ceiling: number): RatePlan {
  const needed = neededResponses(basis.spread, margin);
  const inHand = basis.responsesSoFar + basis.openInvitations * basis.responseRate;
  const daysLeft = Math.max(1, period.lengthDays - period.elapsedDays);
  // Answers a day if every event reaching the sampling step were sampled in.
  const perDayAtAll = basis.eventsPerDay * basis.passRate * basis.responseRate;
  const expectAt = (rate: number, days: number) => inHand + (rate / 100) * perDayAtAll * days;
  const plan = (rate: number, state: RateState, days = daysLeft): RatePlan => {
    const expectedResponses = Math.round(expectAt(rate, days) * 10) / 10;
    return { rate, state, needed, expectedResponses, expectedMargin: marginOf(basis.spread, expectedResponses) };
  };
  if (basis.invitationsSeen < MIN_RATE_INVITATIONS || perDayAtAll <= 0) return plan(ceiling, 'learning');
  const missing = needed - inHand;
  if (missing <= 0) return plan(0, 'met');
  // Front-loading: the answers are due by AIM of the period; past that point, by its end.
  const aimDays = Math.ceil(period.lengthDays * AIM) - period.elapsedDays;
  const days = aimDays >= 1 ? aimDays : daysLeft;
  const wanted = (100 * missing) / (perDayAtAll * days);
  if (wanted >= ceiling) return plan(ceiling, 'short');
  const rate = Math.max(0.01, Math.ceil(wanted * 100 - 1e-9) / 100);
  return plan(rate, 'on_track', days);
}
