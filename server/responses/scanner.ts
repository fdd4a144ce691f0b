/**
 * Is an answer from a person, and if not, may it count (DESIGN.md, "Responses: held, settled, never
 * silently lost")? Pure judgments over what the page said and what the invitation's links saw; no
 * clock, no database.
 *
 * Mail security scanners open every link of an email, some in a headless browser that runs the page's
 * script; they never press keys or move a pointer. So:
 * - an explicit Send after pointer, touch or key input is a person's answer: it counts at once;
 * - anything else (the page's background save, a Send with no input before it, a form posted without
 *   the page's script) is held: it counts once its settle window has passed, unless a score link with
 *   another score of the same invitation was opened, or its trap link hit, within a window of it.
 */

export type ClickKind = 'open' | 'trap' | 'automated';

export interface LinkClick {
  kind: ClickKind;
  score: number | null;
  at: Date;
}

/** How the page sent the answer: an explicit Send, its background save, a submit without a Send, no script at all. */
export const triggers = ['click', 'auto', 'script', 'nojs'] as const;
export type Trigger = (typeof triggers)[number];

/** The first input the page saw before sending. */
export const inputs = ['pointer', 'touch', 'key'] as const;
export type Input = (typeof inputs)[number];

export interface Evidence {
  trigger: Trigger;
  input: Input | null;
}

/** Settled at once: a person pressed Send after using the page. */
export const isPerson = (evidence: Evidence): boolean => evidence.trigger === 'click' && evidence.input !== null;

/** Why a held answer was discarded as automated. */
export type ScannerSignal = 'trap_link' | 'different_scores';

export interface HeldAnswer {
  score: number;
  /** When it arrived. */
  at: Date;
  /** When the page that posted it was opened, when known. */
  openedAt: Date | null;
}

/** The span in which other opens and trap hits discard a held answer: a window before its page was opened to a window after it arrived. */
export function judgmentSpan(answer: HeldAnswer, windowMs: number): { from: Date; until: Date } {
  const reference = Math.min(answer.openedAt?.getTime() ?? answer.at.getTime(), answer.at.getTime());
  return { from: new Date(reference - windowMs), until: new Date(answer.at.getTime() + windowMs) };
}

/**
 * A held answer's verdict over the clicks of its invitation: discarded when its trap link was hit, or a
 * score link with another score was opened, within its span (at any spacing: a slow scanner opening one
 * link every few seconds is caught as surely as one opening all at once); else it may settle.
 */
export function judgeHeld(answer: HeldAnswer, clicks: LinkClick[], windowMs: number): ScannerSignal | null {
  const { from, until } = judgmentSpan(answer, windowMs);
  const inSpan = (c: LinkClick) => c.at.getTime() >= from.getTime() && c.at.getTime() <= until.getTime();
  if (clicks.some((c) => c.kind === 'trap' && inSpan(c))) return 'trap_link';
  if (clicks.some((c) => c.kind === 'open' && c.score !== null && c.score !== answer.score && inSpan(c))) return 'different_scores';
  return null;
}
