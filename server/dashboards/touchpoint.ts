import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { scales, scoreGroupOf, usesWidget, type Metric, type Survey } from '../surveys/model.ts';
import { parsePeriod } from '../metrics/range.ts';
import type { Interval } from '../metrics/series.ts';
import type { SurveyReport, WeightedOverall } from '../metrics/report.ts';
import { MIN_CELL_INVITATIONS } from '../metrics/weighting.ts';
import { matchingComments, recentProperties } from './queries.ts';
import { dayRange, defaultInterval, previousRange, scoreGroups, type DashboardQuery } from './filters.ts';
import { changeView, formatMargin, formatPercent, formatScore, metricNames, testName } from './format.ts';
import { filterWords, presetLinks, rangeParams, rangeReport, rangeText, rateView, trendWords } from './service.ts';
import { filterView, pageHref, propertyOptions, withFilter } from './property-filters.ts';
import { formatFixed, formatInstant, formatLocalDate } from '../dates.ts';
import { answerChannels, sourceChoices, sourceFor, type SourceChoice } from '../metrics/sources.ts';
import { t, type Locale } from '../i18n/index.ts';

/** Whose answers the page reads, in the page's language: "All answers", "Customers only (email, signed links, imports)" … */
const sourceLabel = (language: Locale, source: SourceChoice): string => t(language, 'dashboard.source', { source });

/** The channel an answer came by, in the page's language: "Email", "Website (widget)", "Web link", "Imported" (other values as they are). */
const channelLabel = (language: Locale, channel: string): string => t(language, 'dashboard.channel_name', { channel });

const COMMENTS_SHOWN = 50;
const PROPERTY_SAMPLE = 1000;

/** The survey of a dashboard URL, or 404. */
export async function surveyForDashboard(db: Knex, key: string): Promise<Survey> {
  const survey = await findSurveyByKey(db, key);
  if (!survey) throw new NotFoundError(`No survey with the key ${key}`);
  return survey;
}

/** The period, interval, reporting zone and filters of a touchpoint page, shared by the page and its CSV files. */
export async function pageScope(db: Knex, query: DashboardQuery, now: Date) {
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const range = dayRange(query, now, tz);
  const interval: Interval = query.interval ?? defaultInterval(range.days);
  return { tz, range, interval, where: query.where, source: query.source, channel: query.channel, period: parsePeriod(range.from, range.to, tz), min: settings.min_bucket_responses };
}
export type PageScope = Awaited<ReturnType<typeof pageScope>>;

/** The touchpoint page's query: the dashboards' filters, and the event properties to reweight by (`weight_by`, metrics/api-routes.ts). */
export type TouchpointQuery = DashboardQuery & { weight_by?: string[] };

/** The report of a touchpoint page (and of its series.csv). */
export function pageReport(
  db: Knex,
  survey: Survey,
  scope: PageScope,
  extra: { segment?: string; funnel?: boolean; byChannel?: boolean; weightBy?: string[] } = {},
): Promise<SurveyReport> {
  return rangeReport(db, survey, scope.range, { tz: scope.tz, min: scope.min }, { interval: scope.interval, where: scope.where, source: scope.source, channel: scope.channel, ...extra });
}

/** The score group (name and colour tone) a score of `metric` falls in. */
const groupOf = (metric: Metric, score: number, language: Locale) => scoreGroups(metric, language)[scoreGroupOf(metric, score)];

function distributionOf(metric: Metric, report: SurveyReport, locale: string, language: Locale) {
  const n = report.overall.n;
  const share = (count: number) => (n > 0 ? formatPercent(count / n, locale) : '–');
  const countOf = (score: number) => report.distribution[String(score)] ?? 0;
  // Every score of the scale, with its group (the comments' groups: detractors, passives, promoters …) and the group's colour tone.
  const groups = Object.values(scoreGroups(metric, language));
  const rows = [];
  for (let s = scales[metric].min; s <= scales[metric].max; s++) {
    const group = groups.find((g) => s >= g.min && s <= g.max)!;
    rows.push({ label: String(s), group: group.name, tone: group.tone, count: countOf(s), share: share(countOf(s)) });
  }
  const totals = groups.map((g) => {
    let count = 0;
    for (let s = g.min; s <= g.max; s++) count += countOf(s);
    return { label: g.label, tone: g.tone, count, share: share(count) };
  });
  return { rows, totals };
}

/** Rates, groups shown by name in the sentence; the rest are counted. */
const RATES_NAMED = 4;
/** Pooled groups named in the table's row. */
const POOLED_SHOWN = 6;

/** A cell's values as the page names it: "north", "north · team". */
const cellName = (values: Record<string, string>): string => Object.values(values).join(' · ');

/**
 * The raw and the reweighted score side by side, each with its band, what the reweighting changed in one
 * sentence, the response rate and weight of each group, and notes on what was pooled or left out.
 */
function weightingView(metric: Metric, overall: SurveyReport['overall'], w: WeightedOverall, locale: string, language: Locale) {
  const name = metricNames[metric];
  const score = (value: number | null) => formatScore(metric, value, locale);
  const band = (low: number | null, high: number | null) => (low === null || high === null ? null : t(language, 'dashboard.band_range', { low: score(low), high: score(high) }));
  const properties = w.weight_by.join(t(language, 'dashboard.weighted_and'));
  const rate = (share: number | null) => formatPercent(share, locale);
  const named = w.cells.slice(0, RATES_NAMED).map((c, i) => t(language, i === 0 ? 'dashboard.weighted_rate_first' : 'dashboard.weighted_rate_next', { cell: cellName(c.values), rate: rate(c.propensity) }));
  if (w.cells.length > RATES_NAMED) named.push(t(language, 'dashboard.weighted_rate_more', { count: w.cells.length - RATES_NAMED }));
  const rates = named.join(', ');
  const from = score(w.unweighted.score);
  const to = score(w.score);

  let sentence: string;
  if (w.invitations === 0) sentence = t(language, 'dashboard.weighted_no_invitations', { properties });
  else if (w.n === 0) sentence = t(language, 'dashboard.weighted_no_answers', { properties });
  else if (w.responses === 0 || w.score === null) sentence = t(language, 'dashboard.weighted_no_responses', { invitations: w.invitations });
  else if (w.cells.length === 0) sentence = t(language, 'dashboard.weighted_all_pooled', { properties, min: MIN_CELL_INVITATIONS });
  else if (from === to) sentence = t(language, 'dashboard.weighted_same', { properties, rates, metric: name, score: to });
  else if (w.moe95 !== null && Math.abs(w.score - w.unweighted.score!) < w.moe95) {
    sentence = t(language, 'dashboard.weighted_within', { properties, rates, metric: name, from, to, margin: formatMargin(metric, w.moe95, locale)! });
  } else {
    sentence = t(language, 'dashboard.weighted_moves', { properties, rates, metric: name, from, to, direction: w.score < w.unweighted.score! ? 'lower' : 'higher' });
  }

  const notes: string[] = [];
  if (w.pooled) {
    notes.push(t(language, 'dashboard.weighted_pooled', { cells: w.pooled.cell_count, min: MIN_CELL_INVITATIONS, invitations: w.pooled.invitations, rate: rate(w.pooled.propensity) }));
  }
  if (w.left_out > 0) notes.push(t(language, 'dashboard.weighted_left_out', { count: w.left_out, metric: name, score: from }));

  const weightText = (weight: number | null) => (weight === null ? '–' : formatFixed(weight, 2, locale));
  const rows = w.cells.map((c) => ({ label: cellName(c.values), invitations: c.invitations, responses: c.responses, rateText: rate(c.propensity), n: c.n, weightText: weightText(c.weight) }));
  if (w.pooled) {
    const names = w.pooled.cells.slice(0, POOLED_SHOWN).map(cellName);
    const label = t(language, 'dashboard.weighted_pooled_label', { names: w.pooled.cell_count > names.length ? `${names.join(', ')} …` : names.join(', ') });
    rows.push({ label, invitations: w.pooled.invitations, responses: w.pooled.responses, rateText: rate(w.pooled.propensity), n: w.pooled.n, weightText: weightText(w.pooled.weight) });
  }
  return {
    properties,
    columns: w.weight_by.join(' · '),
    raw: {
      scoreText: score(overall.score),
      marginText: formatMargin(metric, overall.moe95, locale),
      bandText: band(overall.low95, overall.high95),
      n: overall.n,
      tooSmall: overall.too_small,
    },
    weighted: {
      label: t(language, 'dashboard.weighted_label', { properties }),
      scoreText: to,
      marginText: formatMargin(metric, w.moe95, locale),
      bandText: band(w.low95, w.high95),
      countText: w.n_eff === null ? t(language, 'dashboard.responses', { count: w.n }) : t(language, 'dashboard.weighted_neff', { n: w.n, neff: formatFixed(w.n_eff, 1, locale) }),
      tooSmall: w.n > 0 && w.too_small,
    },
    sentence,
    notes,
    rows,
    method: t(language, 'dashboard.weighted_method', { properties, min: MIN_CELL_INVITATIONS }),
  };
}

/** GET /dashboard/:surveyKey: trend with band, distribution, funnel, segments and comments of one survey; with `weight_by`, the score reweighted for non-response beside the raw one. */
export async function buildTouchpointPage(db: Knex, surveyKey: string, query: TouchpointQuery, now: Date, locale = 'en', language: Locale = 'en') {
  const survey = await surveyForDashboard(db, surveyKey);
  const metric = survey.metric;
  const name = metricNames[metric];
  const groups = scoreGroups(metric, language);
  if (query.group && !groups[query.group]) {
    throw ValidationError.field('group', `must be one of ${Object.keys(groups).join(', ')} for ${name}`);
  }
  const scope = await pageScope(db, query, now);
  const { tz, range, interval, period, where } = scope;
  const group = query.group ? groups[query.group] : null;
  const [report, found, sample] = await Promise.all([
    // A survey shown by the widget is read by channel too (the website's answers beside the emailed ones).
    pageReport(db, survey, scope, { segment: query.segment, funnel: true, byChannel: usesWidget(survey), weightBy: query.weight_by }),
    matchingComments(db, survey.id, period, { where, minScore: group?.min ?? null, maxScore: group?.max ?? null, text: query.q ?? null }, COMMENTS_SHOWN),
    recentProperties(db, survey.id, period, PROPERTY_SAMPLE),
  ]);
  const { overall } = report;
  const previous = previousRange(range);
  const previousFigures = report.previous!.overall;
  const rate = rateView(report.response_rate, locale);
  const perInvitation = (r: { sent: number; rate: number | null }) => (r.sent > 0 ? formatPercent(r.rate, locale) : '–');

  const distribution = distributionOf(metric, report, locale, language);
  const { events, invitations_sent: sent, responses } = report.funnel!;
  const funnel = [
    { label: t(language, 'dashboard.events'), count: events, share: '' },
    { label: t(language, 'dashboard.invitations_sent'), count: sent, share: events > 0 ? t(language, 'dashboard.of_events', { share: formatPercent(sent / events, locale) }) : '' },
    { label: t(language, 'dashboard.col_responses'), count: responses, share: sent > 0 ? t(language, 'dashboard.of_invitations', { share: formatPercent(responses / sent, locale) }) : '' },
  ];

  const base = `/dashboard/${encodeURIComponent(survey.key)}`;
  const weightBy = query.weight_by?.join(',');
  const keep = { interval: query.interval, segment: query.segment, source: query.source, channel: query.channel, group: query.group, q: query.q, weight_by: weightBy };
  const source = sourceFor(survey, query.source);
  const pageParams = { ...rangeParams(range), ...keep };
  const segments = Object.entries(report.segments ?? {})
    .sort(([va, a], [vb, b]) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || b.n - a.n || va.localeCompare(vb))
    .map(([value, f]) => ({
      value,
      scoreText: formatScore(metric, f.score, locale),
      marginText: formatMargin(metric, f.moe95, locale),
      n: f.n,
      tooSmall: f.too_small,
      // '(none)' stands for responses without the property: nothing to filter on.
      onlyHref: query.segment && value !== '(none)' ? pageHref(base, pageParams, withFilter(where, query.segment, value)) : null,
    }));

  const options = propertyOptions(sample);
  // The properties the answers carry, and the one asked for when the sample lacks it (or several, from the URL).
  const weightChoices = [...new Set([...options.map((o) => o.name), ...(weightBy ? [weightBy] : [])])];
  const trendLabel = t(language, 'dashboard.trend_label', { metric: name, interval });
  const points = report.series.map((b) => ({ start: b.start, label: formatLocalDate(b.start, locale), score: b.score, low: b.low95, high: b.high95, n: b.n, too_small: b.too_small }));
  const exportParams = { ...rangeParams(range), interval: query.interval, source: query.source };
  return {
    title: `${survey.touchpoint_name} · ${name}`,
    survey: { key: survey.key, status: survey.status },
    touchpoint: { key: survey.touchpoint_key, name: survey.touchpoint_name },
    metric: name,
    metricKey: metric,
    test: testName(metric, language),
    filters: { from: range.from, to: range.to, preset: range.preset, interval, segment: query.segment ?? '', group: query.group ?? '', q: query.q ?? '' },
    sources: sourceChoices.map((value) => ({ value, label: sourceLabel(language, value), selected: value === source })),
    sourceText: source === 'all' ? null : sourceLabel(language, source),
    channels: [
      { value: '', label: t(language, 'dashboard.every_channel'), selected: !query.channel },
      ...answerChannels.map((value) => ({ value, label: channelLabel(language, value), selected: value === query.channel })),
    ],
    channelText: query.channel ? t(language, 'dashboard.channel_only', { channel: query.channel }) : null,
    byChannel: report.channels
      ? Object.entries(report.channels).map(([value, f]) => ({ label: channelLabel(language, value), scoreText: formatScore(metric, f.score, locale), marginText: formatMargin(metric, f.moe95, locale), n: f.n, tooSmall: f.too_small }))
      : null,
    propertyFilters: filterView(base, pageParams, where, options),
    filterText: where.length ? filterWords(where, language) : null,
    previous,
    text: rangeText(range, previous, locale),
    timeZone: tz,
    minResponses: scope.min,
    presets: presetLinks(base, range, keep, where, language),
    intervals: (['day', 'week', 'month'] as const).map((value) => ({ value, selected: value === interval })),
    headline: {
      scoreText: formatScore(metric, overall.score, locale),
      marginText: formatMargin(metric, overall.moe95, locale),
      n: overall.n,
      held: overall.held,
      tooSmall: overall.too_small,
      change: changeView(metric, report.change, locale, language),
      previousN: previousFigures.n,
      previousScoreText: formatScore(metric, previousFigures.score, locale),
      rateText: rate.text,
      rate,
    },
    trend: {
      chart: { kind: 'trend', label: trendLabel, metric, locale, points, words: trendWords(language) },
      rows: report.series.map((b, i) => ({
        start: b.start,
        startText: points[i].label,
        scoreText: formatScore(metric, b.score, locale),
        bandText: b.low95 === null || b.high95 === null ? '–' : t(language, 'dashboard.band_range', { low: formatScore(metric, b.low95, locale), high: formatScore(metric, b.high95, locale) }),
        n: b.n,
        tooSmall: b.n > 0 && b.too_small,
        sent: b.sent,
        rateText: perInvitation(b),
        weightedText: b.weighted ? formatScore(metric, b.weighted.score, locale) : null,
      })),
    },
    distribution: {
      chart: { kind: 'bar', label: t(language, 'dashboard.distribution_label', { min: scales[metric].min, max: scales[metric].max }), locale, labels: distribution.rows.map((d) => d.label), values: distribution.rows.map((d) => d.count), tones: distribution.rows.map((d) => d.tone) },
      rows: distribution.rows,
      totals: distribution.totals,
    },
    funnel: {
      chart: { kind: 'bar', label: t(language, 'dashboard.funnel_label'), locale, labels: funnel.map((f) => f.label), values: funnel.map((f) => f.count) },
      rows: funnel,
    },
    weightBy: {
      chosen: weightBy ?? null,
      properties: weightChoices.map((value) => ({ value, selected: value === weightBy })),
    },
    weighting: overall.weighted ? weightingView(metric, overall, overall.weighted, locale, language) : null,
    segments: {
      properties: options.map((p) => ({ value: p.name, selected: p.name === query.segment })),
      chosen: query.segment ?? null,
      rows: segments,
    },
    comments: {
      groups: Object.entries(groups).map(([value, g]) => ({ value, label: g.label, selected: value === query.group })),
      total: found.total,
      shown: found.rows.length,
      rows: found.rows.map((c) => {
        const g = groupOf(metric, Number(c.score), language);
        return { score: Number(c.score), group: g.name, tone: g.tone, comment: c.comment, locale: c.locale, when: formatInstant(c.answered_at, { timeZone: tz, locale }) };
      }),
    },
    exports: {
      responses: pageHref(`${base}/responses.csv`, exportParams, where),
      series: pageHref(`${base}/series.csv`, exportParams, where),
    },
  };
}
