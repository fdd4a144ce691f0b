import type { Knex } from 'knex';
import { rebuildSendRollups } from './sends.ts';
import { rebuildEventRollup } from './events.ts';
import { rollupRowsOf } from './responses.ts';

/** Recounts the rollups (of responses, and of invitations by the day they were sent), e.g. after the reporting time zone changed. */
export async function rebuildDailyRollup(db: Knex, reportingTimeZone: string): Promise<void> {
  await db.transaction(async (trx) => {
    await rebuildSendRollups(trx, reportingTimeZone);
    await rebuildEventRollup(trx, reportingTimeZone);
    await trx('response_daily').del();
    await trx('response_quarter_hours').del();
    await trx('response_segment_daily').del();
    const rows: { survey_id: number; score: number; answered_at: string; properties: string }[] = await trx('responses').select(
      'survey_id',
      'score',
      'answered_at',
      'properties',
    );
    const { daily, quarters, segments } = rollupRowsOf(rows, reportingTimeZone);
    for (let i = 0; i < daily.length; i += 200) await trx('response_daily').insert(daily.slice(i, i + 200));
    for (let i = 0; i < quarters.length; i += 200) await trx('response_quarter_hours').insert(quarters.slice(i, i + 200));
    // Six columns a row: 150 rows keep each statement under SQLite's 999 bound parameters.
    for (let i = 0; i < segments.length; i += 150) await trx('response_segment_daily').insert(segments.slice(i, i + 150));
  });
}
