import { formatInstant as shownAt, type InstantFormat } from '../dates.ts';
import { reasonText } from '../eligibility/reasons.ts';
import type { TimelineEntry } from './timeline.ts';

/** The timeline as a CX manager reads it: each entry with a title, an outcome, an explanation and its facts. */

const stateNames: Record<string, string> = {
  scheduled: 'scheduled, waiting for its send time',
  sending: 'being sent',
  sent: 'sent',
  waiting: 'waiting for the customer on the website',
  shown: 'shown on the website',
  dismissed: 'dismissed on the website',
  responded: 'answered',
  suppressed: 'stopped before sending',
  failed: 'failed',
  expired: 'expired',
};

export interface Fact {
  label: string;
  value: string;
  href?: string;
  /** The value cut where a line may break (the page puts <wbr> between): long ids and addresses fit 320 px. */
  parts?: string[];
}

/** Cuts text after - _ . / @ : and within runs longer than 16 characters, so the page may wrap it there. */
export function breakable(text: string): string[] {
  const parts: string[] = [];
  for (const piece of text.split(/(?<=[-_./@:,;])/)) {
    for (let i = 0; i < piece.length; i += 16) parts.push(piece.slice(i, i + 16));
  }
  return parts.length ? parts : [''];
}
export interface TimelineItem {
  kind: string;
  at: string;
  when: string;
  title: string;
  /** Short outcome: "Scheduled", "No survey: cooldown_global" … */
  outcome?: string;
  tone: 'ok' | 'stop' | 'info';
  explanation?: string;
  facts: Fact[];
}

const surveyLink = (key: unknown): Fact | null => (key ? { label: 'Survey', value: String(key), href: `/surveys/${encodeURIComponent(String(key))}` } : null);
export const facts = (...list: (Fact | null | false | undefined)[]): Fact[] =>
  list.filter((f): f is Fact => !!f && f.value !== '').map((f) => ({ ...f, parts: breakable(f.value) }));

/** One timeline entry as the page shows it, times in the reporting zone. */
export function timelineItem(entry: TimelineEntry, shown: InstantFormat): TimelineItem {
  const when = shownAt(entry.at, shown);
  const time = (label: string, value: unknown): Fact | null => (value ? { label, value: shownAt(String(value), shown) } : null);
  const text = (label: string, value: unknown): Fact | null => (value === null || value === undefined || value === '' ? null : { label, value: String(value) });
  switch (entry.kind) {
    case 'event': {
      const scheduled = entry.decision === 'scheduled';
      const props = entry.properties && typeof entry.properties === 'object' ? Object.entries(entry.properties as Record<string, unknown>) : [];
      return {
        kind: 'event',
        at: entry.at,
        when,
        title: `Event on ${entry.touchpoint}`,
        outcome: scheduled ? 'Invitation scheduled' : `No survey: ${entry.reason}`,
        tone: scheduled ? 'ok' : 'stop',
        explanation: scheduled ? undefined : `No survey because ${reasonText(String(entry.reason))}.`,
        facts: facts(
          text('Transaction', entry.transaction_id),
          time('Occurred', entry.occurred_at),
          surveyLink(entry.survey),
          time('Send time', entry.send_at),
          text(scheduled ? 'Notes' : 'Detail', entry.detail),
          text('Source', entry.source),
          props.length ? { label: 'Properties', value: props.map(([k, v]) => `${k}: ${String(v)}`).join(', ') } : null,
        ),
      };
    }
    case 'invitation': {
      const state = String(entry.state);
      const stopped = state === 'suppressed' || state === 'failed' || state === 'expired';
      return {
        kind: 'invitation',
        at: entry.at,
        when,
        title: `Invitation #${entry.invitation_id}`,
        outcome: stateNames[state] ?? state,
        tone: stopped || state === 'dismissed' ? 'stop' : state === 'scheduled' || state === 'sending' || state === 'waiting' ? 'info' : 'ok',
        explanation: state === 'suppressed' && entry.reason ? `Stopped at send time because ${reasonText(String(entry.reason))}.` : undefined,
        facts: facts(
          surveyLink(entry.survey),
          text('Channel', entry.channel),
          text('Language', entry.locale),
          time('Planned for', entry.send_at),
          time(entry.channel === 'web' ? 'Shown' : 'Sent', entry.sent_at),
          time('Shown until', entry.state === 'waiting' ? entry.web_until : null),
          time('Dismissed', entry.dismissed_at),
          time('Answered', entry.responded_at),
          Number(entry.attempts) > 0 ? text('Attempts', entry.attempts) : null,
          text('Last error', entry.last_error),
          text('Detail', entry.detail),
        ),
      };
    }
    case 'sent':
      return { kind: 'sent', at: entry.at, when, title: `Invitation #${entry.invitation_id} ${entry.channel === 'web' ? 'shown on the website' : 'sent'}`, tone: 'ok', facts: facts(surveyLink(entry.survey)) };
    case 'dismissed':
      return { kind: 'dismissed', at: entry.at, when, title: `Invitation #${entry.invitation_id} dismissed on the website`, tone: 'stop', facts: facts(surveyLink(entry.survey)) };
    case 'response':
      return {
        kind: 'response',
        at: entry.at,
        when,
        title: `Answer: ${entry.score} (${String(entry.metric).toUpperCase()})`,
        outcome: 'Answered',
        tone: 'ok',
        facts: facts(surveyLink(entry.survey), text('Comment', entry.comment), text('Channel', entry.channel), entry.invitation_id ? text('Invitation', `#${entry.invitation_id}`) : null, time('Last changed', entry.updated_at !== entry.at ? entry.updated_at : null)),
      };
    case 'unsubscribe':
      return {
        kind: 'unsubscribe',
        at: entry.at,
        when,
        title: entry.scope === 'all' ? 'Unsubscribed from all surveys' : `Unsubscribed from the touchpoint ${entry.touchpoint}`,
        outcome: 'Unsubscribed',
        tone: 'stop',
        facts: [],
      };
    case 'bounce':
      return { kind: 'bounce', at: entry.at, when, title: 'Email hard-bounced', outcome: 'Bounced', tone: 'stop', facts: facts(text('Server answer', entry.reason), time('Cleared', entry.cleared_at)) };
    case 'bounce_cleared':
      return {
        kind: 'bounce_cleared',
        at: entry.at,
        when,
        title: 'Hard bounce cleared',
        outcome: 'Email may be sent again',
        tone: 'ok',
        facts: facts(text('Cleared by', entry.by), time('Bounce of', entry.bounced_at)),
      };
    case 'erased':
      return { kind: 'erased', at: entry.at, when, title: 'Customer erased', outcome: 'Erased', tone: 'stop', facts: facts(text('Erased by', entry.by)) };
    default:
      return { kind: entry.kind, at: entry.at, when, title: entry.kind, tone: 'info', facts: [] };
  }
}
