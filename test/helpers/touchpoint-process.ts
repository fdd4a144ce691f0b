import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from './context.ts';

/** `touchpoint serve` or `touchpoint worker` as a real process on the test database; its output as it comes. */
export interface TouchpointProcess {
  child: ChildProcess;
  /** Resolves when the process has ended: its code and signal, and when (Date.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** stdout and stderr so far, as they came. */
  output(): string;
  /** The log lines (pino JSON on stdout) parsed so far. */
  log(): Record<string, unknown>[];
  /** Waits for `pattern` in the output (throws with the output once the process has ended or the time is up). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Waits for a log line whose `msg` matches (throws likewise). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** `serve` on loopback (HOST=127.0.0.1, the default): waits for "Touchpoint is listening on http://127.0.0.1:PORT". */
  listening(timeoutMs?: number): Promise<{ url: string; port: number }>;
  /** The last lines of its output, for a failed test's report. */
  tail(lines?: number): string;
  /** Ends it at once (SIGKILL) and waits for that; nothing when it has ended already (after hooks: never leave a process behind). */
  kill(): Promise<void>;
}

/**
 * Spawns `node server/touchpoint.js <command>` on the context's database, with its secrets and BASE_URL (so
 * its links carry the same tokens), LOG_LEVEL=info; `serve` on loopback at a free port (HOST=127.0.0.1,
 * PORT=0), without the setup code (SETUP_CODE_REQUIRED=false) or the worker (RUN_WORKER=false); plus `env`.
 */
export function startTouchpoint(command: 'serve' | 'worker', ctx: TestContext, env: Record<string, string>): TouchpointProcess {
  const child = spawn(process.execPath, ['server/touchpoint.js', command], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LINK_SECRET: ctx.deps.config.linkSecret,
      BASE_URL: ctx.deps.config.baseUrl,
      ...(command === 'serve' ? { HOST: '127.0.0.1', PORT: '0', SETUP_CODE_REQUIRED: 'false', RUN_WORKER: 'false' } : {}),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
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
  /** Polls `find` until it finds something; throws once the process has ended or the time is up. */
  async function waitForOutput<T>(what: string, timeoutMs: number, find: () => T | undefined): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
        throw new Error(`${what} from touchpoint ${command}; it wrote:\n${output.slice(-8000)}`);
      }
      await sleep(25);
    }
  }
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) => waitForOutput(`no ${pattern}`, timeoutMs, () => output.match(pattern) ?? undefined);
  return {
    child,
    exited,
    output: () => output,
    log,
    waitFor,
    waitForLog: (pattern, timeoutMs = 20_000) => waitForOutput(`no log line ${pattern}`, timeoutMs, () => log().find((l) => pattern.test(String(l.msg)))),
    async listening(timeoutMs) {
      const [, url, port] = await waitFor(/Touchpoint is listening on (http:\/\/127\.0\.0\.1:(\d+))/, timeoutMs);
      return { url, port: Number(port) };
    },
    tail: (lines = 40) => output.trim().split('\n').slice(-lines).join('\n'),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Polls `check` every `everyMs` until it gives a value other than undefined or false, and resolves with it;
 * throws naming `what` at the deadline.
 */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 150): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** `promise` within `ms`, or a rejection saying what did not come. */
export function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]);
}
