import { formatInstant, type InstantFormat } from '../dates.ts';
import { DAY } from '../clock.ts';
import { type Survey } from '../surveys/model.ts';
import { type DeliveryRow } from './queries.ts';
import { t, type Locale } from '../i18n/index.ts';

/** Where an invitation's reminder stands, and times as the delivery log shows them. */

export interface ShownTime {
  iso: string;
  text: string;
}
export const time = (iso: string | null | undefined, shown: InstantFormat): ShownTime | null => (iso ? { iso, text: formatInstant(iso, shown) } : null);

/** Where the reminder of an invitation stands, in a few words (in `locale`); null when its survey sends none. */
export function reminderStatus(
  row: Pick<DeliveryRow, 'state' | 'sent_at' | 'expires_at' | 'reminder_state' | 'reminder_sent_at' | 'reminder_next_attempt_at' | 'reminder_detail' | 'reminder_last_error'>,
  survey: Pick<Survey, 'rules'> | undefined,
  shown: InstantFormat,
  locale: Locale,
): { code: string; text: string; at: ShownTime | null; detail: string | null } | null {
  switch (row.reminder_state) {
    case 'sent':
      return { code: 'sent', text: t(locale, 'deliveries.reminder_sent'), at: time(row.reminder_sent_at, shown), detail: null };
    case 'sending':
      return { code: 'sending', text: t(locale, 'deliveries.reminder_sending'), at: null, detail: null };
    case 'suppressed':
      return { code: 'suppressed', text: t(locale, 'deliveries.reminder_suppressed', { reason: (row.reminder_detail ?? '').split(':')[0] }), at: null, detail: row.reminder_detail };
    case 'failed':
      return { code: 'failed', text: t(locale, 'deliveries.reminder_failed'), at: null, detail: row.reminder_last_error };
  }
  const days = survey?.rules.reminder_after_days;
  if (!days) return null;
  if (row.state === 'sent' && row.sent_at) {
    const due = new Date(new Date(row.sent_at).getTime() + days * DAY).toISOString();
    const at = row.reminder_next_attempt_at && row.reminder_next_attempt_at > due ? row.reminder_next_attempt_at : due;
    if (row.expires_at && row.expires_at <= at) return { code: 'expired', text: t(locale, 'deliveries.reminder_expired'), at: null, detail: null };
    return { code: 'due', text: t(locale, 'deliveries.reminder_due'), at: time(at, shown), detail: row.reminder_last_error };
  }
  if (row.state === 'scheduled' || row.state === 'sending') {
    return { code: 'planned', text: t(locale, 'deliveries.reminder_planned', { days }), at: null, detail: null };
  }
  return { code: 'none', text: t(locale, 'deliveries.reminder_none'), at: null, detail: null };
}
