import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from './context.ts';

/** `touchpoint worker` as a real process on the test database; its log (pino JSON lines) as it comes. */
export interface WorkerProcess {
  child: ChildProcess;
  /** The log lines parsed so far (stdout), and stderr as text. */
  log(): Record<string, unknown>[];
  stderr(): string;
  /** Waits for a log line whose `msg` matches (throws with the output once the process ended or the time is up). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends it at once (SIGKILL) and waits for that; nothing when it has ended already. */
  kill(): Promise<void>;
  /** The last lines of its output, for a failed test's report. */
  tail(lines?: number): string;
}

/**
 * Spawns `node server/touchpoint.js worker` on the context's database, with its secrets and BASE_URL (so
 * its links carry the same tokens), LOG_LEVEL=info, plus `env`.
 */
export function startWorkerProcess(ctx: TestContext, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['server/touchpoint.js', 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LINK_SECRET: ctx.deps.config.linkSecret,
      BASE_URL: ctx.deps.config.baseUrl,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const log = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return { msg: line };
        }
      });
  return {
    child,
    log,
    stderr: () => stderr,
    exited,
    async waitForLog(pattern, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const line = log().find((l) => pattern.test(String(l.msg)));
        if (line) return line;
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
          throw new Error(`the worker logged no ${pattern}; stdout: ${stdout.slice(-4000)}; stderr: ${stderr.slice(-4000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    tail(lines = 40) {
      return `${stdout.trim().split('\n').slice(-lines).join('\n')}\n${stderr.trim().split('\n').slice(-lines).join('\n')}`.trim();
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` every `everyMs` until it gives a value that is not undefined, or throws naming `what` at the deadline. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, everyMs = 150): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
