/**
 * Fault trials of issue 12, "SIGTERM with requests in flight" and "a worker whose mail server hangs, then
 * SIGTERM", through the real processes (`touchpoint serve`, `touchpoint worker`) on loopback, on SQLite and
 * on PostgreSQL (TEST_DATABASE_URL).
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { startTouchpoint, waitUntil, within, type TouchpointProcess } from '../helpers/touchpoint-process.ts';
import { ManualClock } from '../../server/clock.ts';

const connects = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request over `agent` whose body is written in two parts: the second when `rest()` is called. */
function twoPartPost(agent: http.Agent, port: number, path: string, headers: Record<string, string>, body: string) {
  const data = Buffer.from(body);
  const half = Math.floor(data.length / 2);
  const req = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(data.length) } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  // Settled even when no test awaits it (a failed step before): the error is then reported by the test itself.
  answer.catch(() => {});
  const firstWritten = new Promise<void>((resolve, reject) => req.write(data.subarray(0, half), (err) => (err ? reject(err) : resolve())));
  return {
    answer,
    firstWritten,
    rest: () => req.end(data.subarray(half)),
  };
}

function get(agent: http.Agent, port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('error', reject);
  });
}

const freeSockets = (agent: http.Agent) => Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);

describe('fault: SIGTERM to `touchpoint serve` with 32 requests in flight', function () {
  this.timeout(60_000);
  const IN_FLIGHT = 32;
  const IDLE = 3;
  const SHUTDOWN_TIMEOUT_SECONDS = 10;
  let ctx: TestContext | undefined;
  let served: TouchpointProcess | undefined;
  let agent: http.Agent | undefined;

  before(async () => {
    ctx = await createTestContext({ clock: new ManualClock(new Date()) });
    await activeSurvey(ctx, { key: 'delivery-nps' });
  });
  after(async () => {
    agent?.destroy();
    await served?.kill();
    await ctx?.close();
  });

  it('answers every one of them in full with Connection: close, closes idle keep-alive sockets, refuses new connections, exits 0', async () => {
    const c = ctx!;
    served = startTouchpoint('serve', c, { SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });
    const { port: p } = await served.listening();

    // 35 keep-alive connections, open and idle: 32 carry the requests in flight, 3 stay idle.
    agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT + IDLE });
    const warm = await Promise.all(Array.from({ length: IN_FLIGHT + IDLE }, () => get(agent!, p, '/healthz')));
    expect(warm.map((a) => a.status)).to.deep.equal(Array(IN_FLIGHT + IDLE).fill(200));
    expect(warm.every((a) => a.headers.connection === 'keep-alive')).to.equal(true);
    expect(freeSockets(agent)).to.equal(IN_FLIGHT + IDLE);

    // 32 events, each request's headers and half its body sent: the server has begun every one of them.
    const requests = Array.from({ length: IN_FLIGHT }, (_, i) =>
      twoPartPost(
        agent!,
        p,
        '/api/v1/events',
        { Authorization: `Bearer ${c.apiKey}` },
        JSON.stringify({ touchpoint: 'delivery', transaction_id: `inflight-${i}`, customer: { id: `c-${i}`, email: `c-${i}@example.com` } }),
      ),
    );
    await within('the first halves written', 5_000, Promise.all(requests.map((r) => r.firstWritten)));
    expect(freeSockets(agent), 'the in-flight requests reuse the keep-alive connections').to.equal(IDLE);
    await sleep(300);

    const signalled = Date.now();
    served.child.kill('SIGTERM');
    await served.waitFor(/"msg":"stopping"/, 5_000);
    // The idle keep-alive connections are closed by the server (the agent drops each on its close) ...
    await waitUntil('the idle keep-alive connections closed', 3_000, () => freeSockets(agent!) === 0, 25);
    // ... and nobody new gets in, while the 32 wait for the rest of their bodies.
    expect(await connects(p)).to.equal('ECONNREFUSED');
    expect(served.child.exitCode, 'still running while requests are in flight').to.equal(null);
    await sleep(500);
    expect(served.child.exitCode, 'still running while requests are in flight').to.equal(null);

    for (const r of requests) r.rest();
    const settled = await within('the 32 answers', 15_000, Promise.allSettled(requests.map((r) => r.answer)));
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`request ${i}: ${(s.reason as Error).message}`] : []));
    expect(failures, 'every request gets a complete HTTP answer (no socket hang up, no ECONNRESET)').to.deep.equal([]);
    const answers = settled.map((s) => (s as PromiseFulfilledResult<Answer>).value);
    expect(
      answers.map((a) => a.status),
      answers.map((a) => a.body).join('\n'),
    ).to.deep.equal(Array(IN_FLIGHT).fill(202));
    for (const a of answers) expect(JSON.parse(a.body).status).to.be.oneOf(['scheduled', 'suppressed']);
    expect(
      answers.map((a) => a.headers.connection),
      'every answer given while stopping closes its connection',
    ).to.deep.equal(Array(IN_FLIGHT).fill('close'));

    const answeredAt = Date.now();

    const exit = await within('the process to exit', SHUTDOWN_TIMEOUT_SECONDS * 1000 + 2_000, served.exited);
    expect(exit, served.output()).to.deep.include({ code: 0, signal: null });
    expect(exit.at - signalled, 'exits within the limit').to.be.below(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    // Once the last answer is out there is nothing to wait for (no keep-alive connection left open).
    expect(exit.at - answeredAt, `exits right after the last answer\n${served.output()}`).to.be.below(2_000);
    const messages = served.log().map((l) => String(l.msg));
    expect(messages).to.include('stopped');
    expect(messages).not.to.include('request failed');
    expect(messages).not.to.include('requests still open when the time to stop ran out; their connections are closed');

    // Every event the server answered is stored, once.
    const stored = await c.deps.db('events').where('transaction_id', 'like', 'inflight-%').count({ n: '*' }).first();
    expect(Number(stored?.n)).to.equal(IN_FLIGHT);
  });
});

/**
 * An SMTP server that takes a connection and a message and then never gives the message's answer: `hang` goes
 * silent (the client's socket timeout, half a lease, ends the send), `slow` keeps "working" (a continuation line
 * "250-" every 500 ms, so no idle timeout fires: a server answering very slowly).
 */
async function startStuckSmtp(mode: 'hang' | 'slow'): Promise<{ port: number; connections: number; messages: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, messages: 0 };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    state.connections++;
    let trickle: NodeJS.Timeout | undefined;
    socket.once('close', () => {
      clearInterval(trickle);
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    let buffered = '';
    let inData = false;
    socket.write('220 stuck.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffered = buffered.slice(end + 5);
          inData = false;
          // The message is in: its answer never comes.
          state.messages++;
          if (mode === 'slow') trickle = setInterval(() => socket.write('250-still working on it\r\n'), 500);
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-stuck.test\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') socket.write('250 OK\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get messages() {
      return state.messages;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('fault: SIGTERM to `touchpoint worker` while its mail server is stuck', function () {
  this.timeout(60_000);
  const INVITATIONS = 20;
  const SHUTDOWN_TIMEOUT_SECONDS = 8;
  let ctx: TestContext | undefined;
  let smtp: Awaited<ReturnType<typeof startStuckSmtp>> | undefined;
  let worker: TouchpointProcess | undefined;

  beforeEach(async () => {
    ctx = await createTestContext({ clock: new ManualClock(new Date()) });
  });
  afterEach(async () => {
    await worker?.kill();
    await smtp?.close();
    await ctx?.close();
    worker = smtp = ctx = undefined;
  });

  const cases = [
    { mode: 'hang', title: 'a mail server that never answers the message (silent)' },
    { mode: 'slow', title: 'a mail server that answers very slowly (keeps the connection alive past every timeout)' },
  ] as const;
  for (const { mode, title } of cases) {
    it(`${title}: exits 0 within SHUTDOWN_TIMEOUT_SECONDS; the invitations it had not started are back in scheduled, attempts unused`, async () => {
      const c = ctx!;
      smtp = await startStuckSmtp(mode);
      const due = new Date(Date.now() - 60_000);
      for (let i = 0; i < INVITATIONS; i++) await seedInvitation(c, { email: `stuck-${i}@example.com`, sendAt: due });

      worker = startTouchpoint('worker', c, {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        WORKER_LEASE_SECONDS: '4',
        WORKER_INTERVAL_MS: '200',
        SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
      });
      await worker.waitFor(/"msg":"worker started"/);
      // It has claimed the due invitations and handed messages to the mail server, which does not answer them.
      await waitUntil('a message handed to the stuck mail server', 15_000, () => smtp!.messages >= 1, 25);
      const claimed = await c.deps.db('invitations').where({ state: 'sending' }).count({ n: '*' }).first();
      expect(Number(claimed?.n), 'one claim took every due invitation (the claim size at a 4 s lease is 20)').to.equal(INVITATIONS);

      const signalled = Date.now();
      worker.child.kill('SIGTERM');
      const exit = await within('the worker to exit', SHUTDOWN_TIMEOUT_SECONDS * 1000 + 3_000, worker.exited);
      const tookMs = exit.at - signalled;
      const rows: { id: number; state: string; attempts: number }[] = await c.deps.db('invitations').select('id', 'state', 'attempts').orderBy('id');
      const inState = (state: string) => rows.filter((r) => r.state === state);
      // One message in flight per SMTP connection (the pool has 5): those are the sends it had started.
      const started = smtp.connections;
      const report = `${tookMs} ms to exit; ${started} SMTP connections, ${smtp.messages} messages; state/attempts by invitation: ${rows.map((r) => `${r.state}/${r.attempts}`).join(' ')}\n${worker.output()}`;

      expect(exit, report).to.deep.include({ code: 0, signal: null });
      expect(tookMs, report).to.be.below(SHUTDOWN_TIMEOUT_SECONDS * 1000);
      // Nothing was delivered, used up or failed.
      expect(inState('sent'), report).to.deep.equal([]);
      expect(inState('failed'), report).to.deep.equal([]);
      // At most the sends in flight stay with the stopped worker until its lease runs out; every invitation it had
      // not started is back in `scheduled` at once, its attempt given back.
      expect(started, report).to.be.at.most(5);
      expect(inState('sending').length, report).to.be.at.most(started);
      expect(inState('scheduled').filter((r) => r.attempts === 0).length, report).to.be.at.least(INVITATIONS - started);
      // A send in flight either stays with the stopped worker until its lease runs out, or timed out mid-message
      // (the server may have taken it: an attempt used, retried with backoff, never resent at once).
      const inFlight = rows.filter((r) => r.attempts !== 0);
      expect(inFlight.length, report).to.be.at.most(started);
      for (const r of inFlight) {
        expect(r.attempts, report).to.equal(1);
        expect(r.state, report).to.be.oneOf(['sending', 'scheduled']);
      }
    });
  }
});
