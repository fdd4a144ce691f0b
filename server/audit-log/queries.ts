import type { Knex } from 'knex';
import { toCount } from '../db/dialect.ts';

/** Every read and delete of the audit log (lines are written by record.ts). */

export interface AuditRow {
  id: number;
  at: string;
  actor_type: string;
  actor_id: number | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  /** JSON text. */
  detail: string;
  ip: string | null;
}

/** What the Audit page and its CSV filter by; every part is optional. */
export interface AuditFilter {
  /** One action (`settings.changed`), or a prefix ending in a dot (`auth.`). */
  action?: string;
  /** Part of the actor's email or key name (or "command line", "Touchpoint"), any case. */
  actor?: string;
  /** Part of the target's id or label (an email, a survey key, a customer id), any case. */
  target?: string[];
  /** Instants as stored (ISO 8601 UTC): from included, before excluded. */
  fromIso?: string;
  beforeIso?: string;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
const contains = (text: string) => `%${likeEscape(text.toLowerCase())}%`;

function filtered(db: Knex, filter: AuditFilter): Knex.QueryBuilder {
  const q = db('audit_log');
  if (filter.action) {
    if (filter.action.endsWith('.')) q.where('action', 'like', `${likeEscape(filter.action)}%`);
    else q.where('action', filter.action);
  }
  if (filter.actor) q.whereRaw("lower(coalesce(??, '')) like ? escape '\\'", ['actor_label', contains(filter.actor)]);
  if (filter.target?.length) {
    const terms = filter.target;
    q.where((w) => {
      for (const term of terms) {
        w.orWhereRaw("lower(coalesce(??, '')) like ? escape '\\'", ['target_label', contains(term)]);
        w.orWhereRaw("lower(coalesce(??, '')) like ? escape '\\'", ['target_id', contains(term)]);
      }
    });
  }
  if (filter.fromIso) q.where('at', '>=', filter.fromIso);
  if (filter.beforeIso) q.where('at', '<', filter.beforeIso);
  return q;
}

const COLUMNS = ['id', 'at', 'actor_type', 'actor_id', 'actor_label', 'action', 'target_type', 'target_id', 'target_label', 'detail', 'ip'];

const normalise = (row: AuditRow): AuditRow => ({ ...row, id: Number(row.id), actor_id: row.actor_id === null ? null : Number(row.actor_id) });

/** One page of lines, newest first. */
export async function listAudit(db: Knex, filter: AuditFilter, limit: number, offset: number): Promise<AuditRow[]> {
  const rows: AuditRow[] = await filtered(db, filter).select(COLUMNS).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).offset(offset);
  return rows.map(normalise);
}

export async function countAudit(db: Knex, filter: AuditFilter): Promise<number> {
  const row = await filtered(db, filter).count({ n: '*' }).first();
  return toCount(row?.n);
}

/**
 * Every line that matches, newest first, in pages of `size` (keyset on at and id, so memory stays flat and
 * lines written meanwhile do not shift the pages).
 */
export async function* eachAuditPage(db: Knex, filter: AuditFilter, size = 1000): AsyncGenerator<AuditRow[]> {
  let last: { at: string; id: number } | null = null;
  for (;;) {
    const q = filtered(db, filter).select(COLUMNS);
    if (last) {
      const { at, id } = last;
      q.where((w) => w.where('at', '<', at).orWhere((same) => same.where('at', at).andWhere('id', '<', id)));
    }
    const rows = ((await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(size)) as AuditRow[]).map(normalise);
    if (rows.length) yield rows;
    if (rows.length < size) return;
    last = { at: rows[rows.length - 1].at, id: rows[rows.length - 1].id };
  }
}

/** The actions that occur in the log, in name order (for the filter's list). */
export async function auditActions(db: Knex): Promise<string[]> {
  const rows: { action: string }[] = await db('audit_log').distinct('action').orderBy('action');
  return rows.map((r) => r.action);
}

/** Deletes the lines written before `beforeIso`; returns how many. */
export async function deleteAuditBefore(db: Knex, beforeIso: string): Promise<number> {
  return Number(await db('audit_log').where('at', '<', beforeIso).delete());
}
