import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import supertest from 'supertest';
import { type TestContext, withTestContextPerTest } from '../helpers/context.ts';
import { varDir } from '../../server/config.ts';
import { removeSetupCodeFile, SETUP_CODE_FILE } from '../../server/accounts/setup.ts';

/** `touchpoint serve` as a real process on the test database; its stdout (pino JSON) and stderr as they come. */
interface Served {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

function serve(ctx: TestContext, env: Record<string, string>): Served {
  const child = spawn(process.execPath, ['server/touchpoint.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.deps.config.databaseUrl,
      SESSION_SECRET: ctx.deps.config.sessionSecret,
      LINK_SECRET: ctx.deps.config.linkSecret,
      PORT: '0',
      RUN_WORKER: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: [] as string[], stderr: [] as string[] };
  child.stdout!.on('data', (chunk: Buffer) => out.stdout.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => out.stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    ...out,
    async waitFor(stream, pattern, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const match = out[stream].join('').match(pattern);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > until) {
          throw new Error(`no ${pattern} on ${stream}; stdout: ${out.stdout.join('')}; stderr: ${out.stderr.join('')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const nonLoopbackAddress = (): string | null => {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
};

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('touchpoint serve: where it listens, and the setup code on its console', function () {
  this.timeout(90_000);
  let served: Served | undefined;
  // Registered before the context, so it runs before the context closes.
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    // With PostgreSQL, var/ is the working directory's: leave no code behind.
    removeSetupCodeFile(varDir(ctx.deps.config.databaseUrl));
  });
  const ctx = withTestContextPerTest();
  beforeEach(async () => {
    await ctx.deps.db('users').del();
  });

  it('listens on loopback by default and says where; the setup code goes to stderr, not the log, and opens setup once', async () => {
    served = serve(ctx, { SETUP_CODE_REQUIRED: 'true', BASE_URL: 'http://localhost:3000' });
    const [, listening, port] = await served.waitFor('stdout', /Touchpoint is listening on (http:\/\/127\.0\.0\.1:(\d+)) \(this machine only\)/);
    const [, code] = await served.waitFor('stderr', /Touchpoint setup code: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/);
    await served.waitFor('stdout', /First-run setup is waiting/);
    expect(served.stdout.join('')).not.to.contain(code);
    const started = served.stdout.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => /is listening/.test(l.msg));
    expect(started.listening).to.equal(listening);
    expect(started.host).to.equal('127.0.0.1');
    const file = path.join(varDir(ctx.deps.config.databaseUrl), SETUP_CODE_FILE);
    expect(fs.readFileSync(file, 'utf8').trim()).to.equal(code);

    // Nobody on another interface reaches it.
    const other = nonLoopbackAddress();
    if (other) expect(await connects(other, Number(port))).to.equal(false);

    const agent = supertest.agent(listening);
    const page = await agent.get('/setup').expect(200);
    expect(page.text).to.contain('name="setup_code"');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1];
    const password = 'tangerine harbour violin 42';
    const form = { _csrf: csrf, email: 'owner@example.com', password, password_confirm: password, reporting_time_zone: 'UTC' };
    await agent.post('/setup').type('form').send({ ...form, setup_code: 'WRNG-WRNG-WRNG' }).expect(422);
    await agent.post('/setup').type('form').send({ ...form, setup_code: code }).expect(303);
    expect(fs.existsSync(file)).to.equal(false);
    await served.stop();

    // The next start: set up already, no code.
    served = serve(ctx, { SETUP_CODE_REQUIRED: 'true', BASE_URL: 'http://localhost:3000' });
    await served.waitFor('stdout', /Touchpoint is listening on/);
    await new Promise((r) => setTimeout(r, 300));
    expect(served.stderr.join('')).not.to.contain('setup code');
  });

  it('prints the same code again after a restart while setup waits', async () => {
    served = serve(ctx, { SETUP_CODE_REQUIRED: 'true' });
    const [, first] = await served.waitFor('stderr', /Touchpoint setup code: (\S+)/);
    await served.stop();
    served = serve(ctx, { SETUP_CODE_REQUIRED: 'true' });
    const [, second] = await served.waitFor('stderr', /Touchpoint setup code: (\S+)/);
    expect(second).to.equal(first);
  });

  it('listens on every interface with HOST=0.0.0.0', async function () {
    const other = nonLoopbackAddress();
    if (!other) this.skip();
    served = serve(ctx, { HOST: '0.0.0.0', SETUP_CODE_REQUIRED: 'false' });
    const [, port] = await served.waitFor('stdout', /Touchpoint is listening on http:\/\/0\.0\.0\.0:(\d+);/);
    expect(await connects(other!, Number(port))).to.equal(true);
    expect(served.stderr.join('')).not.to.contain('setup code');
  });
});
