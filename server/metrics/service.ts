import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getSettings, isTimeZone } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import type { Metric } from '../surveys/model.ts';
import type { PropertyFilter } from './property-filter.ts';
import { parsePeriod, previousPeriod } from './range.ts';
import { surveyReport, type SurveyReport } from './report.ts';
import type { Interval } from './series.ts';
import { testNames } from './significance.ts';
import { answerFilter, sourceFor, type AnswerChannelChoice, type SourceChoice } from './sources.ts';

export interface MetricsQuery {
  survey: string;
  from?: string;
  to?: string;
  interval: Interval;
  /** Default: the reporting time zone. */
  tz?: string;
  /** A response property to split `overall` by (region, agent …). */
  segment?: string;
  /** Only the responses (and invitations, events) whose properties match. */
  where?: PropertyFilter[];
  /** Which answers count: all, identified or anonymous; default: the survey's. */
  source?: SourceChoice;
  /** Only answers given by this channel (and, for the response rate, invitations of it); default: every channel. */
  channel?: AnswerChannelChoice;
  /** `channel`: figures per channel too. */
  split?: 'channel';
  /** Event properties to reweight by for non-response: `weighted` in `overall` and each bucket. */
  weight_by?: string[];
}

export type MetricsResult = {
  survey: string;
  metric: Metric;
  /** The test the change is judged by. */
  test: string;
  tz: string;
  interval: Interval;
  from: string | null;
  to: string | null;
  where: Record<string, string[]>;
  source: SourceChoice;
  channel: AnswerChannelChoice | null;
} & SurveyReport;

/**
 * GET /api/v1/metrics: every figure the dashboards show for one survey: overall with its band, the previous
 * period and the change with its test, distribution, response rate, funnel, the series, and segments.
 */
export async function surveyMetrics(db: Knex, query: MetricsQuery): Promise<MetricsResult> {
  const settings = await getSettings(db);
  const tz = query.tz || settings.reporting_time_zone;
  if (!isTimeZone(tz)) throw ValidationError.field('tz', 'must be an IANA time zone such as Europe/Berlin');
  const period = parsePeriod(query.from, query.to, tz);
  const survey = await findSurveyByKey(db, query.survey);
  if (!survey) throw new NotFoundError(`No survey with the key ${query.survey}`);
  const where = query.where ?? [];
  const source = sourceFor(survey, query.source);
  const report = await surveyReport(db, {
    survey,
    period,
    previous: previousPeriod(period, tz),
    tz,
    reportingTz: settings.reporting_time_zone,
    interval: query.interval,
    min: settings.min_bucket_responses,
    where,
    segment: query.segment,
    funnel: true,
    answers: answerFilter(source, query.channel),
    byChannel: query.split === 'channel',
    weightBy: query.weight_by,
  });
  return {
    survey: survey.key,
    metric: survey.metric,
    test: testNames[survey.metric],
    tz,
    interval: query.interval,
    from: period.from,
    to: period.to,
    where: Object.fromEntries(where.map((f) => [f.name, f.values])),
    source,
    channel: query.channel ?? null,
    ...report,
  };
}
