import { z } from 'zod';
import { metrics, scales, type Metric } from '../surveys/model.ts';
import type { CesFigures, CsatFigures, NpsFigures } from '../metrics/compute.ts';
import type { ResponseRate, SurveyReport, WeightedOverall, WeightedScore } from '../metrics/report.ts';
import { MIN_CELL_INVITATIONS, type PooledCells, type WeightCell } from '../metrics/weighting.ts';
import type { MetricsResult } from '../metrics/service.ts';
import type { Comparison } from '../metrics/significance.ts';
import { intervals } from '../metrics/series.ts';
import { answerChannels, sourceChoices } from '../metrics/sources.ts';
import { metricScales } from './request-schemas.ts';

/**
 * GET /metrics as zod schemas: the figures of each metric (server/metrics/compute.ts), the band, held
 * answers, response rate, change, series and segments (server/metrics/report.ts). Figures are one object
 * per metric, so an answer holds exactly the fields of its survey's metric.
 */

type Shape<T> = Record<keyof T, z.ZodType>;
type Marked<T> = T & { too_small: boolean };

const count = (description: string) => z.int().meta({ description });
const figure = (description: string) => z.number().nullable().meta({ description });

const n = count('Responses counted.');
const moe95 = figure('The 95 % margin of error of `score`; null when it cannot be computed.');
const tooSmall = z.boolean().meta({ description: 'Fewer responses than the "min bucket responses" setting: shown, but too small to read.' });

const figureShapes = {
  nps: {
    n,
    score: figure('% promoters − % detractors (−100…100); null without responses.'),
    moe95,
    promoters: count(`Responses scoring 9–${scales.nps.max}.`),
    passives: count('Responses scoring 7–8.'),
    detractors: count(`Responses scoring ${scales.nps.min}–6.`),
    too_small: tooSmall,
  } satisfies Shape<Marked<NpsFigures>>,
  csat: {
    n,
    score: figure(`% satisfied (4–${scales.csat.max}); null without responses.`),
    moe95,
    satisfied: count(`Responses scoring 4–${scales.csat.max}.`),
    mean: figure('The mean score; null without responses.'),
    too_small: tooSmall,
  } satisfies Shape<Marked<CsatFigures>>,
  ces: {
    n,
    score: figure(`The mean score (${scales.ces.min}…${scales.ces.max}); null without responses.`),
    moe95,
    easy: count(`Responses scoring 5–${scales.ces.max}.`),
    pct_easy: figure('% easy; null without responses.'),
    too_small: tooSmall,
  } satisfies Shape<Marked<CesFigures>>,
} satisfies Record<Metric, Record<string, z.ZodType>>;

/** The figures of each metric with `extra` fields: one closed object per metric. */
const figuresWith = (extra: Record<string, z.ZodType>) =>
  z.union(metrics.map((m) => z.strictObject({ ...figureShapes[m], ...extra }).meta({ description: `A survey of the metric ${m.toUpperCase()}.` })));

const band = {
  low95: figure('score − moe95, kept inside the range of the metric.'),
  high95: figure('score + moe95, kept inside the range of the metric.'),
};
const held = {
  held: count(
    'Answers given in the period (or bucket) that are held: stored, not yet counted in `n`. An answer the page saved without a sign of a person settles after ANSWER_SETTLE_SECONDS, or is discarded as automated.',
  ),
};
const rateShape = {
  sent: count('Invitations sent (in the period, or in the bucket).'),
  responded: count('How many of those were answered.'),
  rate: figure('responded / sent; null when none were sent.'),
} satisfies Shape<ResponseRate>;

const figures = figuresWith({}).meta({ id: 'Figures', description: "The figures of the survey's metric." });

/** `weighted` (with `weight_by`): the score reweighted for non-response (server/metrics/weighting.ts). */
const weightedScoreShape = {
  score: figure("The metric over the weighted score counts, in the metric's units; null without answers to weight or without invitations to weight by."),
  moe95: figure("The 95 % margin of error of the weighted score: the metric's own formula with Kish's effective sample size n_eff in place of n; null when it cannot be computed."),
  n: count('Answers weighted: those counted in the period that came through an invitation.'),
  n_eff: figure("Kish's effective sample size (Σw)² / Σw² of the weights; null without answers to weight."),
  ...band,
  too_small: z.boolean().meta({ description: 'n_eff is below the "min bucket responses" setting (or nothing could be weighted).' }),
} satisfies Shape<WeightedScore>;
const weightedScore = z.strictObject(weightedScoreShape).meta({ id: 'WeightedScore', description: 'A score reweighted for non-response, with the weights of the whole period.' });

const values = z.record(z.string(), z.string()).meta({ description: "Property → value; '(none)' for events without the property." });
const cellShape = {
  invitations: count('Invitations sent in the period (not test invitations).'),
  responses: count('How many of those got a settled response.'),
  propensity: figure('responses / invitations: the response propensity; null without invitations.'),
  n: count('Answers of the period in the cell (those weighted).'),
  weight: figure('The weight of each of those answers: 1 / propensity, scaled so that all weights add up to `n`; null without answers.'),
};
const weightedOverall = z
  .strictObject({
    ...weightedScoreShape,
    weight_by: z.array(z.string()).meta({ description: 'The event properties whose values make the cells.' }),
    invitations: count('Invitations sent in the period (not test invitations), all cells.'),
    responses: count('How many of those got a settled response.'),
    cells: z.array(z.strictObject({ values, ...cellShape } satisfies Shape<WeightCell>)).meta({ description: `The cells that stand alone (at least ${MIN_CELL_INVITATIONS} invitations, a response and an answer in the period), highest propensity first.` }),
    pooled: z
      .strictObject({
        cell_count: count('How many cells are pooled.'),
        cells: z.array(values).meta({ description: 'The values of the cells pooled (the first 50, in order).' }),
        ...cellShape,
      } satisfies Shape<PooledCells>)
      .nullable()
      .meta({
        description: `The cells with fewer than ${MIN_CELL_INVITATIONS} invitations, or without a response or an answer, pooled into one with the propensity of the pool (the propensity of all invitations when the pool has none); null when none is pooled.`,
      }),
    unweighted: z
      .strictObject({ score: figure('The same answers unweighted.'), moe95 })
      .meta({ description: 'What reweighting changed is `score` against this: the overall figure less the answers `left_out`.' }),
    left_out: count('Answers of the period that came without an invitation (web links, imports): not in the reweighted figure.'),
  } satisfies Shape<WeightedOverall>)
  .meta({
    id: 'Weighted',
    description:
      "With `weight_by`: the period's score reweighted for non-response. Each answer through an invitation weighs 1 / the response propensity of its cell (the invitations sent in the period with the same values of the `weight_by` event properties, and how many got a settled response), the weights scaled to add up to n: inverse-propensity weighting by cell, the same as post-stratification to the invited population. It assumes that within a cell those who answer score like those who do not.",
  });

const comparison = {
  test: z.string(),
  difference: z.number().meta({ description: "overall − previous, in the metric's units." }),
  statistic: z.number().meta({ description: 'z or t.' }),
  p: z.number().meta({ description: 'Two-sided p-value.' }),
  df: z.number().optional().meta({ description: "Welch's degrees of freedom (CES)." }),
  significant: z.boolean().meta({ description: 'p < 0.05.' }),
} satisfies Shape<Comparison>;

const reportShape = {
  overall: figuresWith({ ...held, ...band, weighted: weightedOverall.optional() }).meta({
    id: 'Overall',
    description: 'The figures of the period, its held answers and the band of its score; with `weight_by`, the score reweighted for non-response beside them.',
  }),
  previous: z
    .strictObject({ from: z.string().nullable(), to: z.string().nullable(), overall: figures })
    .nullable()
    .meta({ description: 'The period of equal length just before; null unless both `from` and `to` are given.' }),
  change: z.strictObject(comparison).nullable().meta({ description: 'The change against the previous period and its test; null when either period has too few responses to read.' }),
  distribution: z.record(z.string(), z.int()).meta({ description: 'Responses per score, every score of the scale.' }),
  response_rate: z.strictObject(rateShape).meta({ id: 'ResponseRate' }),
  funnel: z.strictObject({ events: z.int(), invitations_sent: z.int(), responses: z.int() }),
  series: z.array(
    figuresWith({
      start: z.iso.date().meta({ description: 'First local day of the bucket (ISO week: Monday).' }),
      ...held,
      ...band,
      ...rateShape,
      weighted: weightedScore.optional().meta({ description: "With `weight_by`: the bucket's answers reweighted with the weights of the whole period." }),
    }).meta({
      id: 'Bucket',
      description:
        'One bucket: the figures of the answers given in it, its held answers, the band, the response rate of the invitations sent in it, and with `weight_by` its reweighted score.',
    }),
  ),
  segments: z.record(z.string(), figures).optional().meta({ description: 'With `segment`: figures per value of that property.' }),
  channels: z.record(z.string(), figures).optional().meta({ description: 'With `split=channel`: figures per channel the answers came by (email, web, link, import).' }),
} satisfies Shape<SurveyReport>;

export const metricsAnswer = z
  .strictObject({
    survey: z.string(),
    metric: z.enum(metrics).meta({ description: metricScales }),
    test: z.string().meta({ description: 'The test `change` is judged by.' }),
    tz: z.string(),
    interval: z.enum(intervals),
    from: z.string().nullable(),
    to: z.string().nullable(),
    where: z.record(z.string(), z.array(z.string())).meta({ description: 'The property filters applied.' }),
    source: z
      .enum(sourceChoices)
      .meta({ description: "Which answers count: the `source` asked for, else the survey's default (`identified` when the survey leaves anonymous answers out)." }),
    channel: z
      .enum(answerChannels)
      .nullable()
      .meta({ description: 'The `channel` asked for (only answers given by it, and the response rate of its invitations: `web` counts those the widget showed), else null: every channel.' }),
    ...reportShape,
  } satisfies Shape<MetricsResult>)
  .meta({ id: 'Metrics' });
