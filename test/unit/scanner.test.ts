import { expect } from 'chai';
import { isPerson, judgeHeld, judgmentSpan, type LinkClick } from '../../server/responses/scanner.ts';

const sent = new Date('2026-11-23T10:00:00.000Z');
const at = (seconds: number) => new Date(sent.getTime() + seconds * 1000);
const open = (seconds: number, score: number | null): LinkClick => ({ kind: 'open', score, at: at(seconds) });
const trap = (seconds: number): LinkClick => ({ kind: 'trap', score: null, at: at(seconds) });
const WINDOW = 600_000;

describe('answer evidence and the held-answer judgment', () => {
  it('calls an answer a person\'s only for an explicit Send after pointer, touch or key input', () => {
    expect(isPerson({ trigger: 'click', input: 'pointer' })).to.equal(true);
    expect(isPerson({ trigger: 'click', input: 'touch' })).to.equal(true);
    expect(isPerson({ trigger: 'click', input: 'key' })).to.equal(true);
    // A Send with no input before it (a script calling click()), the background save, a form posted without the page's script.
    expect(isPerson({ trigger: 'click', input: null })).to.equal(false);
    expect(isPerson({ trigger: 'auto', input: 'pointer' })).to.equal(false);
    expect(isPerson({ trigger: 'script', input: 'key' })).to.equal(false);
    expect(isPerson({ trigger: 'nojs', input: null })).to.equal(false);
  });

  it('lets a held answer settle when its link is the only one opened, however soon after sending', () => {
    expect(judgeHeld({ score: 9, at: at(5), openedAt: at(1) }, [open(1, 9)], WINDOW)).to.equal(null);
  });

  it('lets the same score opened twice settle', () => {
    expect(judgeHeld({ score: 8, at: at(125), openedAt: at(120.5) }, [open(120, 8), open(120.5, 8)], WINDOW)).to.equal(null);
  });

  it('discards an answer when another score was opened at once around it', () => {
    const clicks = [open(120, 0), open(120.3, 5), open(120.6, 10)];
    expect(judgeHeld({ score: 5, at: at(124.5), openedAt: at(120.3) }, clicks, WINDOW)).to.equal('different_scores');
  });

  it('discards the answers of a slow scanner: one score link every 5 seconds, each answer judged over opens before and after it', () => {
    const clicks = [open(0, 0), open(5, 5), open(10, 10)];
    for (const [score, opened] of [[0, 0], [5, 5], [10, 10]] as const) {
      expect(judgeHeld({ score, at: at(opened + 4), openedAt: at(opened) }, clicks, WINDOW)).to.equal('different_scores');
    }
  });

  it('sees another score opened up to one window after the answer, and not beyond', () => {
    const answer = { score: 7, at: at(100), openedAt: at(96) };
    expect(judgeHeld(answer, [open(96, 7), open(100 + 600, 3)], WINDOW)).to.equal('different_scores');
    expect(judgeHeld(answer, [open(96, 7), open(100 + 601, 3)], WINDOW)).to.equal(null);
  });

  it('sees another score opened up to one window before the page was opened, and not beyond', () => {
    const answer = { score: 7, at: at(1000), openedAt: at(996) };
    expect(judgeHeld(answer, [open(396, 3), open(996, 7)], WINDOW)).to.equal('different_scores');
    expect(judgeHeld(answer, [open(395, 3), open(996, 7)], WINDOW)).to.equal(null);
  });

  it('discards on a trap hit within the span, whatever the scores', () => {
    expect(judgeHeld({ score: 9, at: at(30), openedAt: at(20) }, [open(20, 9), trap(21)], WINDOW)).to.equal('trap_link');
    expect(judgeHeld({ score: 9, at: at(3000), openedAt: at(2990) }, [trap(21), open(2990, 9)], WINDOW)).to.equal(null);
  });

  it('ignores opens without a score (the plain link) and earlier automated markers', () => {
    const clicks: LinkClick[] = [open(10, null), { kind: 'automated', score: 3, at: at(11) }];
    expect(judgeHeld({ score: 9, at: at(14), openedAt: at(10) }, clicks, WINDOW)).to.equal(null);
  });

  it('spans from a window before the page was opened to a window after the answer', () => {
    const span = judgmentSpan({ score: 1, at: at(100), openedAt: at(90) }, 10_000);
    expect(span.from.toISOString()).to.equal(at(80).toISOString());
    expect(span.until.toISOString()).to.equal(at(110).toISOString());
    const noPage = judgmentSpan({ score: 1, at: at(100), openedAt: null }, 10_000);
    expect(noPage.from.toISOString()).to.equal(at(90).toISOString());
  });
});
