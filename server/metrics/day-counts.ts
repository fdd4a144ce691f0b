import type { Knex } from 'knex';
import type { Survey } from '../surveys/model.ts';
import type { ScoreCounts } from './compute.ts';
import { eachResponseScore, rollupDayCounts, rollupFilteredDayCounts } from './queries.ts';
import { localDays } from './local-days.ts';
import type { PropertyFilter } from './property-filter.ts';
import type { Period } from './range.ts';

/**
 * Score counts per local day in `tz` of the responses matching `where`: from the daily rollup when it is
 * kept in that zone and the period is whole days (cheap), from the segment rollup when one property is
 * filtered on, else from the responses.
 */
export async function dayCounts(
  db: Knex,
  survey: Survey,
  period: Period,
  tz: string,
  reportingTz: string,
  where: PropertyFilter[] = [],
): Promise<Map<string, ScoreCounts>> {
  if (tz === reportingTz && period.byDay) {
    if (where.length === 0) return rollupDayCounts(db, survey.id, period);
    if (where.length === 1) return rollupFilteredDayCounts(db, survey.id, where[0], period);
  }
  const days = new Map<string, ScoreCounts>();
  const { ofInstant } = localDays(tz);
  await eachResponseScore(db, survey.id, period, where, (answeredAt, score) => {
    const day = ofInstant(answeredAt);
    const counts = days.get(day) ?? days.set(day, new Map()).get(day)!;
    counts.set(score, (counts.get(score) ?? 0) + 1);
  });
  return days;
}
