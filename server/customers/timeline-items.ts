import { detailIn } from '../eligibility/detail-words.ts';
import { formatInstant as shownAt, type InstantFormat } from '../dates.ts';
import { t, type Locale } from '../i18n/index.ts';
import type { TimelineEntry } from './timeline.ts';

/** The timeline as a CX manager reads it: each entry with a title, an outcome, an explanation and its facts. */

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

const surveyLink = (locale: Locale, key: unknown): Fact | null => (key ? { label: t(locale, 'customers.fact.survey'), value: String(key), href: `/surveys/${encodeURIComponent(String(key))}` } : null);
export const facts = (...list: (Fact | null | false | undefined)[]): Fact[] =>
  list.filter((f): f is Fact => !!f && f.value !== '').map((f) => ({ ...f, parts: breakable(f.value) }));

/** One timeline entry as the page shows it, in the page's locale, times in the reporting zone. */
export function timelineItem(entry: TimelineEntry, shown: InstantFormat, locale: Locale): TimelineItem {
  const when = shownAt(entry.at, shown);
  // Why an event got no survey, in the page's words (the API keeps server/eligibility/reasons.ts's English).
  const because = (reason: unknown) => t(locale, 'customers.reason', { reason: String(reason) });
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
        title: t(locale, 'customers.event_on', { touchpoint: String(entry.touchpoint) }),
        outcome: scheduled ? t(locale, 'customers.invitation_scheduled') : t(locale, 'customers.no_survey_code', { reason: String(entry.reason) }),
        tone: scheduled ? 'ok' : 'stop',
        explanation: scheduled ? undefined : t(locale, 'customers.no_survey_because', { reason: because(entry.reason) }),
        facts: facts(
          text(t(locale, 'customers.fact.transaction'), entry.transaction_id),
          time(t(locale, 'customers.fact.occurred'), entry.occurred_at),
          surveyLink(locale, entry.survey),
          time(t(locale, 'customers.fact.send_time'), entry.send_at),
          text(scheduled ? t(locale, 'customers.fact.notes') : t(locale, 'customers.fact.detail'), detailIn(locale, entry.detail as string | null)),
          text(t(locale, 'customers.fact.source'), entry.source),
          props.length ? { label: t(locale, 'customers.fact.properties'), value: props.map(([k, v]) => `${k}: ${String(v)}`).join(', ') } : null,
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
        title: t(locale, 'customers.invitation_no', { id: String(entry.invitation_id) }),
        outcome: t(locale, 'customers.invitation_state', { state }),
        tone: stopped || state === 'dismissed' ? 'stop' : state === 'scheduled' || state === 'sending' || state === 'waiting' ? 'info' : 'ok',
        explanation: state === 'suppressed' && entry.reason ? t(locale, 'customers.stopped_because', { reason: because(entry.reason) }) : undefined,
        facts: facts(
          surveyLink(locale, entry.survey),
          text(t(locale, 'customers.fact.channel'), entry.channel),
          text(t(locale, 'customers.fact.language'), entry.locale),
          time(t(locale, 'customers.fact.planned_for'), entry.send_at),
          time(entry.channel === 'web' ? t(locale, 'customers.fact.shown') : t(locale, 'customers.fact.sent'), entry.sent_at),
          time(t(locale, 'customers.fact.shown_until'), entry.state === 'waiting' ? entry.web_until : null),
          time(t(locale, 'customers.fact.dismissed'), entry.dismissed_at),
          time(t(locale, 'customers.fact.answered'), entry.responded_at),
          Number(entry.attempts) > 0 ? text(t(locale, 'customers.fact.attempts'), entry.attempts) : null,
          text(t(locale, 'customers.fact.last_error'), entry.last_error),
          text(t(locale, 'customers.fact.detail'), detailIn(locale, entry.detail as string | null)),
        ),
      };
    }
    case 'sent':
      return { kind: 'sent', at: entry.at, when, title: t(locale, entry.channel === 'web' ? 'customers.invitation_shown' : 'customers.invitation_sent', { id: String(entry.invitation_id) }), tone: 'ok', facts: facts(surveyLink(locale, entry.survey)) };
    case 'dismissed':
      return { kind: 'dismissed', at: entry.at, when, title: t(locale, 'customers.invitation_dismissed', { id: String(entry.invitation_id) }), tone: 'stop', facts: facts(surveyLink(locale, entry.survey)) };
    case 'response':
      return {
        kind: 'response',
        at: entry.at,
        when,
        title: t(locale, 'customers.answer', { score: String(entry.score), metric: String(entry.metric).toUpperCase() }),
        outcome: t(locale, 'customers.answered'),
        tone: 'ok',
        facts: facts(surveyLink(locale, entry.survey), text(t(locale, 'customers.fact.comment'), entry.comment), text(t(locale, 'customers.fact.channel'), entry.channel), entry.invitation_id ? text(t(locale, 'customers.fact.invitation'), `#${entry.invitation_id}`) : null, time(t(locale, 'customers.fact.last_changed'), entry.updated_at !== entry.at ? entry.updated_at : null)),
      };
    case 'unsubscribe':
      return {
        kind: 'unsubscribe',
        at: entry.at,
        when,
        title: entry.scope === 'all' ? t(locale, 'customers.unsubscribed_all') : t(locale, 'customers.unsubscribed_touchpoint', { touchpoint: String(entry.touchpoint) }),
        outcome: t(locale, 'customers.unsubscribed'),
        tone: 'stop',
        facts: [],
      };
    case 'bounce':
      return { kind: 'bounce', at: entry.at, when, title: t(locale, 'customers.hard_bounced'), outcome: t(locale, 'customers.bounced'), tone: 'stop', facts: facts(text(t(locale, 'customers.fact.server_answer'), entry.reason), time(t(locale, 'customers.fact.cleared'), entry.cleared_at)) };
    case 'bounce_cleared':
      return {
        kind: 'bounce_cleared',
        at: entry.at,
        when,
        title: t(locale, 'customers.bounce_cleared_title'),
        outcome: t(locale, 'customers.may_send_again'),
        tone: 'ok',
        facts: facts(text(t(locale, 'customers.fact.cleared_by'), entry.by), time(t(locale, 'customers.fact.bounce_of'), entry.bounced_at)),
      };
    case 'erased':
      return { kind: 'erased', at: entry.at, when, title: t(locale, 'customers.erased_title'), outcome: t(locale, 'customers.erased'), tone: 'stop', facts: facts(text(t(locale, 'customers.fact.erased_by'), entry.by)) };
    default:
      return { kind: entry.kind, at: entry.at, when, title: entry.kind, tone: 'info', facts: [] };
  }
}
