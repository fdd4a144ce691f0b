import { expect } from 'chai';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { startSlowSmtpReceiver, type SlowSmtpReceiver } from '../helpers/slow-smtp.ts';
import { startTouchpoint, waitUntil, type TouchpointProcess } from '../helpers/touchpoint-process.ts';
import { ManualClock } from '../../server/clock.ts';

/**
 * Issue 12, "mail server outages pause sending": a `touchpoint worker` whose mail server is not there
 * (nothing listens on its port) gives the invitations back without using their attempts and claims
 * nothing between probes; once the server listens on that port, sending resumes by itself at the next
 * probe. A refusal of one message (451, 550) is not an outage: it is retried (an attempt used) or a hard
 * bounce, as before (test/integration/delivery.test.ts checks those in depth, in process).
 */
describe('fault: the mail server is down for a while', function () {
  this.timeout(60_000);
  let ctx: TestContext | undefined;
  let smtp: SlowSmtpReceiver | undefined;
  let worker: TouchpointProcess | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && worker) console.log(`the worker's last output:\n${worker.tail()}`);
    await worker?.kill();
    worker = undefined;
    await smtp?.stop();
    smtp = undefined;
    await ctx?.close();
    ctx = undefined;
  });

  it('uses no attempt while it is down, resumes by itself when it is back, sends each once; 451 and 550 keep their meaning', async () => {
    ctx = await createTestContext({ clock: new ManualClock(new Date(Date.now() - 60_000)) });
    // A port nothing listens on yet: the receiver comes up there later.
    const receiver = (smtp = await startSlowSmtpReceiver({ listen: false }));
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push(await seedInvitation(ctx, {}));
    const temporary = await seedInvitation(ctx, { email: 'greylisted@example.com' });
    const permanent = await seedInvitation(ctx, { email: 'nobody@example.com' });
    receiver.refuse(temporary.email, 451);
    receiver.refuse(permanent.email, 550);
    const all = [...seeded, temporary, permanent].map((s) => s.invitationId);
    const db = ctx.deps.db;

    worker = startTouchpoint('worker', ctx, { SMTP_URL: `smtp://127.0.0.1:${receiver.port}`, WORKER_INTERVAL_MS: '200', MAIL_RATE_PER_SECOND: '10' });
    const w = worker;

    // Down: the worker finds out, pauses, probes again; meanwhile no row ever uses an attempt or fails.
    const firstFailure = await w.waitForLog(/the mail server is unreachable; sending pauses/, 20_000);
    const downSince = Number(firstFailure.time);
    const rowsNow = () => db('invitations').whereIn('id', all).select('id', 'state', 'attempts', 'last_error', 'next_attempt_at');
    const connectionErrors = () => w.log().filter((l) => /ECONNREFUSED/.test(String(l.msg))).map((l) => Number(l.time));
    // The first pause is 2 s (sends already in flight when it began do not lengthen it): a probe then, which fails too.
    const probes = () => connectionErrors().filter((at) => at >= downSince + 1_500);
    const snapshot = await waitUntil('a probe 2 s after the first failure, every row given back', 12_000, async () => {
      const rows = await rowsNow();
      for (const row of rows) {
        expect(row.state, `invitation ${row.id} while the server is down`).to.be.oneOf(['scheduled', 'sending']);
        expect(row.attempts, `attempts of invitation ${row.id} while the server is down`).to.be.at.most(1);
        expect(row.last_error, `invitation ${row.id} while the server is down`).to.equal(null);
      }
      return probes().length && Date.now() >= downSince + 3_000 && rows.every((row) => row.state === 'scheduled') ? rows : undefined;
    });
    const firstProbe = probes()[0] - downSince;
    expect(firstProbe, 'the first probe, ms after the server was found down').to.be.within(1_500, 6_000);
    for (const row of snapshot) expect(row, `invitation ${row.id} after ~3 s down`).to.deep.include({ state: 'scheduled', attempts: 0, last_error: null });
    // Paused, not busy: a run claims rows only at a probe, not every 200 ms (WORKER_INTERVAL_MS).
    const downFor = Date.now() - downSince;
    const claimingRuns = w.log().filter((l) => l.msg === 'worker run' && Number(l.claimed) > 0).length;
    expect(claimingRuns, `runs that claimed rows in ${downFor} ms down`).to.be.at.most(1 + probes().length);
    expect(w.log().filter((l) => /the mail server is unreachable; sending pauses/.test(String(l.msg))), 'the outage is logged once').to.have.length(1);

    // Back: the receiver listens on the same port; the next probe (due at the rows' next_attempt_at) finds it.
    await receiver.start();
    const backAt = Date.now();
    const nextProbe = Math.max(...snapshot.map((row) => Date.parse(row.next_attempt_at)));
    const pause = nextProbe - probes().at(-1)!;
    expect(pause, 'the pause after the failed probe (ms)').to.be.within(2_000, 30_000);
    const firstMail = await waitUntil('a message after the next probe', Math.max(0, nextProbe - backAt) + 3_000, () => receiver.messages[0]);
    // A send the breaker held back while the probe was out waits one more pause; then everything has gone.
    const bound = Math.max(0, nextProbe - backAt) + pause + 4_000;
    await waitUntil(`every row done within ${bound} ms of the server's return`, bound, async () => {
      const rows = await rowsNow();
      const done = rows.every((row) =>
        row.id === temporary.invitationId ? row.state === 'scheduled' && row.attempts === 1 : row.state === (row.id === permanent.invitationId ? 'failed' : 'sent'),
      );
      return done;
    });
    const resumedIn = firstMail.receivedAt - backAt;
    const doneIn = Date.now() - backAt;
    await w.waitForLog(/the mail server answers again; sending resumes/, 1_000);

    // Each once, with its one attempt; nothing received twice.
    expect([...receiver.duplicates()], 'Message-IDs received twice').to.deep.equal([]);
    for (const s of seeded) {
      expect(receiver.messages.filter((m) => m.to.includes(s.email)), s.email).to.have.length(1);
      expect(await db('invitations').where({ id: s.invitationId }).first(), `invitation ${s.invitationId}`).to.deep.include({ state: 'sent', attempts: 1, last_error: null });
    }
    // 451: a retry with an attempt used and the error kept, due in a minute; 550: failed at once, the customer bounced.
    const retried = await db('invitations').where({ id: temporary.invitationId }).first();
    expect(retried.last_error).to.contain('451');
    expect(Date.parse(retried.next_attempt_at) - Date.now()).to.be.within(30_000, 61_000);
    const bounced = await db('invitations').where({ id: permanent.invitationId }).first();
    expect(bounced).to.deep.include({ state: 'failed', attempts: 1 });
    expect(bounced.last_error).to.contain('550');
    expect((await db('customers').where({ id: permanent.customerId }).first()).bounced_at).not.to.equal(null);
    expect(receiver.messages.filter((m) => m.to.includes(temporary.email) || m.to.includes(permanent.email))).to.deep.equal([]);
    // Neither refusal took the server for down again.
    expect(w.log().filter((l) => /the mail server is unreachable; sending pauses/.test(String(l.msg)))).to.have.length(1);
    console.log(`      (first probe ${firstProbe} ms after the outage began; back after ${downFor} ms; first mail ${resumedIn} ms later, all done in ${doneIn} ms, bound ${bound} ms)`);
  });
});
