import type { Deps } from '../deps.ts';
import { toDbTime } from '../db/time.ts';
import { DAY, HOUR } from '../clock.ts';
import { getSettings } from '../settings/service.ts';
import { SendError } from '../mail/transport.ts';
import { renderFollowUpAlert } from './alert-mail.ts';
import { claimAlert, markAlertFailed, markAlertSent, pendingAlerts, releaseAlert } from './queries.ts';

/** At most this many alerts per pass; the next pass takes the rest. */
const ALERT_BATCH = 50;
/** Answers older than this (or than the edit window, if longer) are not news any more: no alert. */
const ALERT_LOOKBACK_MS = 7 * DAY;

export interface AlertRunResult {
  sent: number[];
  failed: number[];
}

/**
 * One pass of the worker: every new detractor comment on a survey with an
 * owner gets one email to that owner. The marker row is taken before the
 * email leaves, so two workers never both send it; a temporary failure gives
 * the marker back for the next pass, a permanent one keeps it with the error.
 */
export async function runFollowUpAlerts(deps: Deps): Promise<AlertRunResult> {
  const result: AlertRunResult = { sent: [], failed: [] };
  const settings = await getSettings(deps.db);
  const lookback = Math.max(ALERT_LOOKBACK_MS, (settings.edit_window_hours + 1) * HOUR);
  const pending = await pendingAlerts(deps.db, toDbTime(new Date(deps.clock.now().getTime() - lookback)), ALERT_BATCH);
  if (!pending.length) return result;
  for (const alert of pending) {
    if (!(await claimAlert(deps.db, alert.response_id, alert.owner_id, toDbTime(deps.clock.now())))) continue;
    try {
      await deps.mail.send(await renderFollowUpAlert(alert, settings, deps.config));
      await markAlertSent(deps.db, alert.response_id, toDbTime(deps.clock.now()));
      result.sent.push(alert.response_id);
    } catch (err) {
      result.failed.push(alert.response_id);
      deps.log.warn({ err, responseId: alert.response_id, ownerId: alert.owner_id }, 'follow-up alert not sent');
      if (err instanceof SendError && err.permanent) await markAlertFailed(deps.db, alert.response_id, err.message);
      else await releaseAlert(deps.db, alert.response_id);
    }
  }
  if (result.sent.length || result.failed.length) deps.log.info({ sent: result.sent.length, failed: result.failed.length }, 'follow-up alerts');
  return result;
}
