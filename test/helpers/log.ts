import { pino } from 'pino';
import type { Log } from '../../server/log.ts';

/** One line the app logged, as pino writes it (JSON): its level, message and fields. */
type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface CapturedLog {
  /** Give it to createTestContext({ log }). */
  log: Log;
  /** Every line logged so far, oldest first. */
  lines: LogLine[];
  /** The lines whose message matches. */
  matching(pattern: RegExp): LogLine[];
  /** Waits (a bounded while) for a line whose message matches, for work the app does after answering; fails without one. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<LogLine>;
  /** Waits (a bounded while) until `count` lines match; returns them. */
  waitForCount(pattern: RegExp, count: number, timeoutMs?: number): Promise<LogLine[]>;
}

/** A pino log (info and up, or `level`) that keeps its lines in memory, written synchronously. */
export function captureLog(level = 'info'): CapturedLog {
  const lines: LogLine[] = [];
  const log = pino({ level, base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const matching = (pattern: RegExp) => lines.filter((line) => pattern.test(line.msg));
  return {
    log,
    lines,
    matching,
    async waitFor(pattern, timeoutMs = 5000) {
      return (await waitForCount(pattern, 1, timeoutMs))[0];
    },
    waitForCount,
  };

  async function waitForCount(pattern: RegExp, count: number, timeoutMs = 5000): Promise<LogLine[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = matching(pattern);
      if (found.length >= count) return found;
      if (Date.now() > until) throw new Error(`${found.length} log lines match ${pattern}, not ${count}; logged: ${lines.map((l) => l.msg).join(' | ') || 'nothing'}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
