/**
 * Is an answer from a person or from a mail security scanner (DESIGN.md,
 * "Responses and link scanners")? Pure judgment over what the invitation's
 * links saw; no clock, no database.
 *
 * An answer is judged around its reference moment: when the page it came
 * from was opened (scanners open every link at once, then their pages post a
 * few seconds later), else the moment of the post.
 */

export type ClickKind = 'open' | 'trap' | 'automated';

export interface LinkClick {
  kind: ClickKind;
  score: number | null;
  at: Date;
}

export interface AnswerAttempt {
  score: number;
  /** When the answer arrived. */
  at: Date;
  /** When the page that posted it was opened, when known. */
  openedAt?: Date | null;
}

export type ScannerSignal = 'trap_link' | 'different_scores' | 'just_sent';

export type Judgment = { automated: false } | { automated: true; signal: ScannerSignal };

/** Different scores opened within this much of each other are one burst: no person clicks two scale links that fast. */
export const BURST_MS = 3_000;
/** A trap link hit this close to the answer's page being opened, or to the answer, marks it. */
export const TRAP_MS = 15_000;
/** Pages opened this soon after sending are a scanner's: mail is not read that fast. */
export const JUST_SENT_MS = 10_000;

/** The clicks a judgment reads lie within this much of its reference moment or of the answer. */
export const JUDGMENT_REACH_MS = Math.max(TRAP_MS, BURST_MS);

export function judgeAnswer(input: { attempt: AnswerAttempt; sentAt: Date | null; clicks: LinkClick[] }): Judgment {
  const { attempt, sentAt, clicks } = input;
  const now = attempt.at.getTime();
  const reference = Math.min(attempt.openedAt?.getTime() ?? now, now);

  const near = (at: number, within: number) => Math.abs(at - reference) <= within || (at <= now && now - at <= within);

  if (clicks.some((c) => c.kind === 'trap' && near(c.at.getTime(), TRAP_MS))) return { automated: true, signal: 'trap_link' };

  // Only opens count: a person may change the pre-selected score before sending.
  const scores = new Set<number>();
  for (const c of clicks) {
    if (c.kind === 'open' && c.score !== null && near(c.at.getTime(), BURST_MS)) scores.add(c.score);
  }
  if (scores.size >= 2) return { automated: true, signal: 'different_scores' };

  if (sentAt && reference - sentAt.getTime() < JUST_SENT_MS) return { automated: true, signal: 'just_sent' };

  return { automated: false };
}
