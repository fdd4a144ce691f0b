import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { smtpTransportOptions, toSendError } from '../../server/mail/transports.ts';
import { SendRateLimiter } from '../../server/mail/rate.ts';
import { SendError } from '../../server/mail/transport.ts';

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

describe('SMTP transport: TLS to another machine', () => {
  const policy = (url: string) => smtpTransportOptions(url);
  /** The options nodemailer ends up with: the URL's own query options apply on top of ours. */
  const effective = (url: string) => {
    const transporter = nodemailer.createTransport(smtpTransportOptions(url).options) as unknown as { options: Record<string, unknown>; close(): void };
    const options = { ...transporter.options };
    transporter.close();
    return options;
  };

  it('requires STARTTLS for smtp:// to a host other than loopback', () => {
    for (const url of ['smtp://mail.example.com:587', 'smtp://user:pass@192.0.2.10:25', 'smtp://[2001:db8::1]:25', 'smtp://mail.example.com:587?pool=true']) {
      expect(policy(url).tls, url).to.equal('required');
      expect(effective(url).requireTLS, url).to.equal(true);
      expect(effective(url).ignoreTLS, url).to.equal(undefined);
    }
  });

  it('leaves smtps:// to its TLS from the first byte', () => {
    expect(policy('smtps://user:pass@smtp.example.com:465').tls).to.equal('implicit');
    expect(effective('smtps://user:pass@smtp.example.com:465').secure).to.equal(true);
  });

  it('speaks plain text to a relay on this machine, as before', () => {
    for (const url of ['smtp://127.0.0.1:25', 'smtp://localhost:2525', 'smtp://[::1]:25']) {
      expect(policy(url).tls, url).to.equal('plain');
      expect(effective(url).ignoreTLS, url).to.equal(true);
      expect(effective(url).requireTLS, url).to.equal(undefined);
    }
  });

  it('turns required TLS off only when the URL says so explicitly', () => {
    expect(policy('smtp://mail.example.com:25?requireTLS=false').tls).to.equal('optional');
    expect(effective('smtp://mail.example.com:25?requireTLS=false').requireTLS).to.equal(false);
    expect(policy('smtp://mail.example.com:25?ignoreTLS=true').tls).to.equal('optional');
    expect(effective('smtp://mail.example.com:25?ignoreTLS=true').ignoreTLS).to.equal(true);
    expect(effective('smtp://mail.example.com:25?requireTLS=0').requireTLS).to.equal(0);
    expect(policy('smtp://mail.example.com:25?requireTLS=0').tls).to.equal('optional');
    // Anything else in the URL keeps it required.
    expect(policy('smtp://mail.example.com:25?requireTLS=no').tls).to.equal('required');
    expect(effective('smtp://mail.example.com:25?requireTLS=no').requireTLS).to.be.ok;
    expect(effective('smtp://mail.example.com:25?ignoreTLS=false').requireTLS).to.equal(true);
    expect(effective('smtp://mail.example.com:25?tls.rejectUnauthorized=false').requireTLS).to.equal(true);
    // And a loopback URL may ask for it.
    expect(policy('smtp://127.0.0.1:25?requireTLS=true').tls).to.equal('required');
    expect(effective('smtp://127.0.0.1:25?requireTLS=true').requireTLS).to.equal(true);
  });
});
