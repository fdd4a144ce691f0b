import type { Knex } from 'knex';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { customersSentTo, sentHistory, type SentRow } from './queries.ts';
import type { Counts } from './stats.ts';

/**
 * The counts behind the fatigue page. Each invitation sent in the window is put in a group by the
 * customer's history: how many invitations (of any survey) they were sent in the LOOK_BACK_DAYS before
 * it, and how many days had passed since the one before it. Histories are followed in code over rows in
 * order of customer and time, the same on SQLite and PostgreSQL, a chunk of customers at a time.
 */

/** How far back an invitation's history is read. */
export const LOOK_BACK_DAYS = 90;
/** Groups by earlier invitations in the look-back: 0, 1, 2, 3, 4, and 5 or more. */
export const COUNT_GROUPS = 6;
/**
 * Groups by days since the previous invitation, rested first: none in the look-back, then the longest
 * gaps down to the shortest; `from` is the shortest gap a group holds, `to` the first it does not.
 */
export const GAP_GROUPS: readonly { from: number; to: number | null }[] = [
  { from: LOOK_BACK_DAYS, to: null },
  { from: 60, to: 90 },
  { from: 30, to: 60 },
  { from: 14, to: 30 },
  { from: 7, to: 14 },
  { from: 0, to: 7 },
];

export interface SegmentCounts {
  /** The property's value; null: the event did not have it. */
  value: string | null;
  total: Counts;
  byCount: Counts[];
}

export interface FatigueCounts {
  total: Counts;
  /** Position k: k earlier invitations in the look-back (the last: COUNT_GROUPS − 1 or more). */
  byCount: Counts[];
  /** In the order of GAP_GROUPS. */
  byGap: Counts[];
  /** With a property chosen: per value of it. */
  segments: SegmentCounts[] | null;
}

const empty = (length: number): Counts[] => Array.from({ length }, () => ({ n: 0, x: 0 }));
const add = (c: Counts, answered: boolean) => {
  c.n++;
  if (answered) c.x++;
};

/** The position in GAP_GROUPS of a gap in days (null: no earlier invitation in the look-back). */
function gapGroup(days: number | null): number {
  if (days === null) return 0;
  const i = GAP_GROUPS.findIndex((g) => days >= g.from && (g.to === null || days < g.to));
  return i < 0 ? 0 : i;
}

/** Adds up rows in order of customer and time (sentHistory): those sent from `fromIso` on, of the surveys counted (null: all), are the ones grouped. */
export class FatigueTally {
  readonly counts: FatigueCounts;
  private readonly segmentsByValue = new Map<string | null, SegmentCounts>();
  constructor(
    private readonly fromIso: string,
    private readonly surveyIds: ReadonlySet<number> | null,
    segmented: boolean,
  ) {
    this.counts = { total: { n: 0, x: 0 }, byCount: empty(COUNT_GROUPS), byGap: empty(GAP_GROUPS.length), segments: segmented ? [] : null };
  }

  add(rows: readonly SentRow[]): void {
    let customer = -1;
    let earlier: number[] = [];
    for (const row of rows) {
      if (row.customer_id !== customer) {
        customer = row.customer_id;
        earlier = [];
      }
      const at = Date.parse(row.sent_at);
      // Only the look-back matters: older invitations leave the list.
      earlier = earlier.filter((t) => at - t < LOOK_BACK_DAYS * DAY);
      if (row.sent_at >= this.fromIso && (this.surveyIds === null || this.surveyIds.has(row.survey_id))) {
        const answered = row.responded_at !== null;
        const count = Math.min(earlier.length, COUNT_GROUPS - 1);
        const gap = earlier.length ? (at - earlier[earlier.length - 1]) / DAY : null;
        add(this.counts.total, answered);
        add(this.counts.byCount[count], answered);
        add(this.counts.byGap[gapGroup(gap)], answered);
        if (this.counts.segments) {
          let segment = this.segmentsByValue.get(row.segment_value);
          if (!segment) {
            segment = { value: row.segment_value, total: { n: 0, x: 0 }, byCount: empty(COUNT_GROUPS) };
            this.segmentsByValue.set(row.segment_value, segment);
            this.counts.segments.push(segment);
          }
          add(segment.total, answered);
          add(segment.byCount[count], answered);
        }
      }
      earlier.push(at);
    }
  }
}

const customersPerChunk = 500;

/** The counts of the invitations sent in [from, to) of these surveys (null: every survey). */
export async function fatigueCounts(db: Knex, surveyIds: number[] | null, from: Date, to: Date, segment: string | null): Promise<FatigueCounts> {
  const scope = { surveyIds, fromIso: toDbTime(from), toIso: toDbTime(to) };
  const sinceIso = toDbTime(new Date(from.getTime() - LOOK_BACK_DAYS * DAY));
  const tally = new FatigueTally(scope.fromIso, surveyIds ? new Set(surveyIds) : null, segment !== null);
  for (let after = 0; ; ) {
    const ids = await customersSentTo(db, scope, after, customersPerChunk);
    if (!ids.length) break;
    after = ids[ids.length - 1];
    tally.add(await sentHistory(db, ids, sinceIso, scope.toIso, segment));
  }
  return tally.counts;
}
