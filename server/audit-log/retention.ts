import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings } from '../settings/service.ts';
import { audit, systemActor } from '../audit/record.ts';
import { deleteAuditBefore } from './queries.ts';

/**
 * Retention: the audit log keeps its lines for the days the Settings say (audit_retention_days,
 * default 365, at least 30); older lines are deleted here, by the worker (server/delivery/worker.ts),
 * and the deletion is itself a line (`audit.pruned`, by the system). The database refuses to delete
 * lines younger than 29 days and to change any line (migrations/20261203103000_audit_log_append_only.ts).
 * Returns how many lines were deleted.
 */
export async function pruneAuditLog(deps: Pick<Deps, 'db' | 'clock'>): Promise<number> {
  const { audit_retention_days: days } = await getSettings(deps.db);
  const now = deps.clock.now();
  const before = toDbTime(new Date(now.getTime() - days * DAY));
  return writeTransaction(deps.db, async (trx) => {
    const deleted = await deleteAuditBefore(trx, before);
    if (deleted) await audit(trx, { actor: systemActor, action: 'audit.pruned', detail: { deleted, retention_days: days, before } }, now);
    return deleted;
  });
}
