import { expect } from 'chai';
import { toSendError } from '../../server/delivery/transports.ts';
import { SendRateLimiter } from '../../server/delivery/rate.ts';
import { SendError } from '../../server/delivery/transport.ts';

const smtpError = (fields: Record<string, unknown>) => Object.assign(new Error('refused'), fields);

describe('email transport: which failures are permanent', () => {
  it('a 5xx to RCPT TO or DATA is a hard bounce', () => {
    for (const command of ['RCPT TO', 'DATA']) {
      const err = toSendError(smtpError({ responseCode: 550, command, code: 'EENVELOPE' }));
      expect(err).to.be.instanceOf(SendError);
      expect(err.permanent, command).to.equal(true);
      expect(err.responseCode).to.equal(550);
    }
  });

  it('a 4xx, a lost connection, a refused login or sender are tried again', () => {
    expect(toSendError(smtpError({ responseCode: 451, command: 'RCPT TO' })).permanent).to.equal(false);
    expect(toSendError(smtpError({ responseCode: 421, command: 'DATA' })).permanent).to.equal(false);
    expect(toSendError(smtpError({ code: 'ECONNECTION' })).permanent).to.equal(false);
    expect(toSendError(smtpError({ responseCode: 535, command: 'AUTH PLAIN', code: 'EAUTH' })).permanent).to.equal(false);
    expect(toSendError(smtpError({ responseCode: 553, command: 'MAIL FROM' })).permanent).to.equal(false);
    expect(toSendError('weird').permanent).to.equal(false);
  });

  it('an address nodemailer refuses to use is permanent', () => {
    expect(toSendError(smtpError({ code: 'EENVELOPE', command: 'API' })).permanent).to.equal(true);
  });
});

describe('send rate limiter', () => {
  it('spaces sends evenly at the configured rate', async () => {
    let now = 1_000_000;
    const waits: number[] = [];
    const limiter = new SendRateLimiter(4, () => now, async (ms) => {
      waits.push(ms);
    });
    // Four sends at the same instant: the first at once, the others 250 ms apart.
    const taken = [await limiter.take(), await limiter.take(), await limiter.take(), await limiter.take()];
    expect(taken).to.deep.equal([0, 250, 500, 750]);
    expect(waits).to.deep.equal([250, 500, 750]);
    // After a quiet second, the next send goes at once.
    now += 2000;
    expect(await limiter.take()).to.equal(0);
  });

  it('handles rates below one per second', async () => {
    const limiter = new SendRateLimiter(0.5, () => 0, async () => {});
    expect([await limiter.take(), await limiter.take()]).to.deep.equal([0, 2000]);
  });
});
