import { expect } from 'chai';
import { BURST_MS, JUST_SENT_MS, TRAP_MS, judgeAnswer, type LinkClick } from '../../server/responses/scanner.ts';

const sent = new Date('2026-11-23T10:00:00.000Z');
const at = (seconds: number) => new Date(sent.getTime() + seconds * 1000);
const open = (seconds: number, score: number | null): LinkClick => ({ kind: 'open', score, at: at(seconds) });
const trap = (seconds: number): LinkClick => ({ kind: 'trap', score: null, at: at(seconds) });

describe('scanner judgment', () => {
  it('lets a plain human answer through: one open, an answer minutes after sending', () => {
    const judgment = judgeAnswer({ attempt: { score: 9, at: at(605), openedAt: at(600) }, sentAt: sent, clicks: [open(600, 9)] });
    expect(judgment).to.deep.equal({ automated: false });
  });

  it('lets a person change the pre-selected score before sending', () => {
    const judgment = judgeAnswer({ attempt: { score: 7, at: at(601), openedAt: at(600) }, sentAt: sent, clicks: [open(600, 9)] });
    expect(judgment.automated).to.equal(false);
  });

  it('lets a person answer again later with another score', () => {
    const clicks = [open(600, 9), open(3600, 6)];
    const judgment = judgeAnswer({ attempt: { score: 6, at: at(3604), openedAt: at(3600) }, sentAt: sent, clicks });
    expect(judgment.automated).to.equal(false);
  });

  it('marks several different scores opened together (around the page that posts)', () => {
    const clicks = [open(120, 0), open(120.3, 5), open(120.6, 10)];
    const judgment = judgeAnswer({ attempt: { score: 5, at: at(124.5), openedAt: at(120.3) }, sentAt: sent, clicks });
    expect(judgment).to.deep.equal({ automated: true, signal: 'different_scores' });
  });

  it('marks a burst of different scores around the moment of a post that names no page', () => {
    const clicks = [open(120, 3), open(121, 4)];
    const judgment = judgeAnswer({ attempt: { score: 3, at: at(122) }, sentAt: sent, clicks });
    expect(judgment).to.deep.equal({ automated: true, signal: 'different_scores' });
  });

  it('does not count the same score opened twice as a burst', () => {
    const clicks = [open(120, 8), open(120.5, 8)];
    expect(judgeAnswer({ attempt: { score: 8, at: at(125), openedAt: at(120.5) }, sentAt: sent, clicks }).automated).to.equal(false);
  });

  it('leaves a page opened well after a scanner burst alone', () => {
    const clicks = [open(120, 0), open(120, 1), open(120, 2), open(120 + (BURST_MS + 2000) / 1000, 7)];
    const openedAt = at(120 + (BURST_MS + 2000) / 1000);
    const judgment = judgeAnswer({ attempt: { score: 7, at: new Date(openedAt.getTime() + 1000), openedAt }, sentAt: sent, clicks });
    expect(judgment.automated).to.equal(false);
  });

  it('marks an answer whose page was opened around a trap hit', () => {
    const judgment = judgeAnswer({ attempt: { score: 10, at: at(124), openedAt: at(120) }, sentAt: sent, clicks: [trap(119), open(120, 10)] });
    expect(judgment).to.deep.equal({ automated: true, signal: 'trap_link' });
  });

  it('marks an answer right after a trap hit even without a page', () => {
    const judgment = judgeAnswer({ attempt: { score: 10, at: at(300) }, sentAt: sent, clicks: [trap(299)] });
    expect(judgment).to.deep.equal({ automated: true, signal: 'trap_link' });
  });

  it('forgets a trap hit long before the answer', () => {
    const later = 120 + TRAP_MS / 1000 + 600;
    const judgment = judgeAnswer({ attempt: { score: 10, at: at(later + 3), openedAt: at(later) }, sentAt: sent, clicks: [trap(120), open(later, 10)] });
    expect(judgment.automated).to.equal(false);
  });

  it('marks a page opened seconds after sending', () => {
    const judgment = judgeAnswer({ attempt: { score: 8, at: at(6), openedAt: at(2) }, sentAt: sent, clicks: [open(2, 8)] });
    expect(judgment).to.deep.equal({ automated: true, signal: 'just_sent' });
  });

  it('marks a post seconds after sending even without a page', () => {
    const judgment = judgeAnswer({ attempt: { score: 8, at: at(1) }, sentAt: sent, clicks: [] });
    expect(judgment).to.deep.equal({ automated: true, signal: 'just_sent' });
  });

  it('accepts an answer once the first seconds after sending have passed', () => {
    const s = JUST_SENT_MS / 1000 + 1;
    const judgment = judgeAnswer({ attempt: { score: 8, at: at(s + 2), openedAt: at(s) }, sentAt: sent, clicks: [open(s, 8)] });
    expect(judgment.automated).to.equal(false);
  });

  it('judges without a send time (the invitation was never marked sent)', () => {
    expect(judgeAnswer({ attempt: { score: 8, at: at(1) }, sentAt: null, clicks: [] }).automated).to.equal(false);
  });

  it('ignores opens with no score and earlier automated posts', () => {
    const clicks: LinkClick[] = [open(600, null), open(600.2, 9), { kind: 'automated', score: 3, at: at(599) }];
    expect(judgeAnswer({ attempt: { score: 9, at: at(603), openedAt: at(600.2) }, sentAt: sent, clicks }).automated).to.equal(false);
  });
});
