import type { Knex } from 'knex';
import type { Survey } from '../surveys/model.ts';
import type { ScoreCounts } from './compute.ts';
import { filteredQuarterDayCounts, quarterDayCounts, responseCountsBy, rollupDayCounts, rollupFilteredDayCounts } from './queries.ts';
import { inLocalDays } from './local-days.ts';
import type { PropertyFilter } from './property-filter.ts';
import type { AnswerFilter } from './sources.ts';
import { quarterHoursOf, rollupsAnswer, type Period } from './range.ts';

/**
 * Score counts per local day in `tz` of the responses matching `where` (of the answer filter's sources and channels, else all): from the daily rollup when it is
 * kept in that zone and the period is whole days (cheap), from the segment rollup when one property is
 * filtered on, from the quarter-hour rollup in any other zone, from response_values under filters in
 * any zone (the period whole quarter-hours), else from the responses.
 */
export async function dayCounts(
  db: Knex,
  survey: Survey,
  period: Period,
  tz: string,
  reportingTz: string,
  where: PropertyFilter[] = [],
  answers: AnswerFilter | null = null,
): Promise<Map<string, ScoreCounts>> {
  // The rollups count every source: one source alone is counted from the responses.
  if (answers === null && rollupsAnswer(period, tz, reportingTz)) {
    if (where.length === 0) return rollupDayCounts(db, survey.id, period);
    if (where.length === 1) return rollupFilteredDayCounts(db, survey.id, where[0], period);
  }
  const quarters = answers === null ? quarterHoursOf(period, tz) : null;
  if (quarters) return where.length === 0 ? quarterDayCounts(db, survey.id, quarters) : filteredQuarterDayCounts(db, survey.id, where, quarters);
  const days = new Map<string, ScoreCounts>();
  for (const { day, row } of await inLocalDays(tz, (chars) => responseCountsBy(db, survey.id, period, where, chars, answers))) {
    const counts = days.get(day) ?? days.set(day, new Map()).get(day)!;
    counts.set(row.score, (counts.get(row.score) ?? 0) + row.count);
  }
  return days;
}
