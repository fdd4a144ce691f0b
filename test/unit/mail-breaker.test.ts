import { expect } from 'chai';
import { withCircuitBreaker } from '../../server/mail/breaker.ts';
import { SendError, type OutgoingMail } from '../../server/mail/transport.ts';
import { ManualClock } from '../../server/clock.ts';
import { silentLog } from '../../server/log.ts';

const mail: OutgoingMail = { messageId: '<m@x>', from: 'a@example.com', to: 'b@example.com', subject: 's', html: '', text: '', headers: {} };

/** A mail server that cannot be reached (or, with `up`, answers), each send taking a moment. */
function server() {
  const state = { up: false, sends: 0 };
  const inner = {
    kind: 'smtp' as const,
    close: async () => {},
    async send() {
      state.sends++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (!state.up) throw new SendError('connect ECONNREFUSED 127.0.0.1:25', false, undefined, true);
      return { response: '250 OK' };
    },
  };
  return { state, inner };
}

const pauseMs = (t: ReturnType<typeof withCircuitBreaker>, clock: ManualClock) => Date.parse(t.health().retryAt!) - clock.now().getTime();

describe('the mail circuit breaker', () => {
  it('pauses 2 s after the first failure, however many sends in flight fail with it', async () => {
    const clock = new ManualClock();
    const { inner } = server();
    const t = withCircuitBreaker(inner, clock, silentLog);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => t.send(mail)));
    expect(results.every((r) => r.status === 'rejected')).to.equal(true);
    expect(t.health().state).to.equal('down');
    expect(pauseMs(t, clock)).to.equal(2_000);
    expect(t.available()).to.equal(false);
  });

  it('doubles the pause at each failed probe, up to 30 s; sends during a pause do not reach the server', async () => {
    const clock = new ManualClock();
    const { state, inner } = server();
    const t = withCircuitBreaker(inner, clock, silentLog);
    await t.send(mail).catch(() => {});
    const pauses = [];
    for (let probe = 0; probe < 6; probe++) {
      clock.advance(pauseMs(t, clock));
      expect(t.available()).to.equal(true);
      const sendsBefore = state.sends;
      // The probe and four more at once: only the probe reaches the server.
      await Promise.allSettled([1, 2, 3, 4, 5].map(() => t.send(mail)));
      expect(state.sends - sendsBefore).to.equal(1);
      pauses.push(pauseMs(t, clock));
    }
    expect(pauses).to.deep.equal([4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('is up again after a probe that gets through', async () => {
    const clock = new ManualClock();
    const { state, inner } = server();
    const t = withCircuitBreaker(inner, clock, silentLog);
    await t.send(mail).catch(() => {});
    state.up = true;
    clock.advance(2_000);
    expect(await t.send(mail)).to.deep.equal({ response: '250 OK' });
    expect(t.health()).to.deep.equal({ state: 'up', since: null, retryAt: null, lastError: null });
    expect(t.available()).to.equal(true);
  });
});
