import type { Knex } from 'knex';
import { getSettings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint, findSurveyByKey, listTouchpoints } from '../surveys/queries.ts';
import type { Metric, Survey } from '../surveys/model.ts';
import { surveyMetrics } from '../metrics/service.ts';
import { parsePeriod } from '../metrics/range.ts';
import { latestComments, latestSurveyKeyForTouchpoint } from '../dashboards/queries.ts';
import { metricNames } from '../dashboards/format.ts';
import { addDays } from '../dates.ts';

export interface DigestTouchpoint {
  touchpoint: string;
  survey: string;
  metric: Metric;
  metricName: string;
  /** The last 7 days and the 7 before, from the metrics service. */
  score: number | null;
  previousScore: number | null;
  /** null when either week has no responses. */
  change: number | null;
  responses: number;
  previousResponses: number;
  tooSmall: boolean;
  sent: number;
  answered: number;
  /** answered_at as stored (UTC ISO): each reader sees it in the reporting zone and their locale. */
  comments: { score: number; comment: string; at: string }[];
  dashboardUrl: string;
}

export interface DigestFigures {
  timeZone: string;
  /** The week shown: the 7 local days before `weekStart`, and the 7 before those. */
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
  touchpoints: DigestTouchpoint[];
}

/** A touchpoint's survey in the digest, as on the dashboard: its active survey, else its newest. */
async function surveyOfTouchpoint(db: Knex, touchpointId: number): Promise<Survey | undefined> {
  const active = await findActiveSurveyForTouchpoint(db, touchpointId);
  if (active) return active;
  const latest = await latestSurveyKeyForTouchpoint(db, touchpointId);
  return latest ? findSurveyByKey(db, latest.key) : undefined;
}

/** Per touchpoint: the score of the 7 days before `weekStart`, its change against the 7 days before, responses, response rate, three comments. */
export async function digestFigures(db: Knex, weekStart: string, baseUrl: string): Promise<DigestFigures> {
  const { reporting_time_zone: tz } = await getSettings(db);
  const from = addDays(weekStart, -7);
  const to = addDays(weekStart, -1);
  const previousFrom = addDays(weekStart, -14);
  const previousTo = addDays(weekStart, -8);
  const period = parsePeriod(from, to, tz);
  const touchpoints: DigestTouchpoint[] = [];
  for (const touchpoint of await listTouchpoints(db)) {
    const survey = await surveyOfTouchpoint(db, touchpoint.id);
    if (!survey) continue;
    // The metrics compare with the 7 days before on their own (previousFrom … previousTo).
    const [current, comments] = await Promise.all([
      surveyMetrics(db, { survey: survey.key, from, to, interval: 'week' }),
      latestComments(db, survey.id, period, 3),
    ]);
    const previous = current.previous!;
    const score = current.overall.score;
    const previousScore = previous.overall.score;
    const change = score !== null && previousScore !== null ? score - previousScore : null;
    touchpoints.push({
      touchpoint: touchpoint.name,
      survey: survey.key,
      metric: survey.metric,
      metricName: metricNames[survey.metric],
      score,
      previousScore,
      change,
      responses: current.overall.n,
      previousResponses: previous.overall.n,
      tooSmall: current.overall.too_small,
      sent: current.response_rate.sent,
      answered: current.response_rate.responded,
      comments: comments.map((c) => ({ score: Number(c.score), comment: c.comment, at: c.answered_at })),
      dashboardUrl: `${baseUrl}/dashboard/${encodeURIComponent(survey.key)}?from=${from}&to=${to}`,
    });
  }
  return { timeZone: tz, from, to, previousFrom, previousTo, touchpoints };
}
