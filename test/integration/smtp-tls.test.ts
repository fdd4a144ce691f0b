import { expect } from 'chai';
import os from 'node:os';
import { SMTPServer } from 'smtp-server';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { smtpTransport } from '../../server/mail/transports.ts';
import { silentLog } from '../../server/log.ts';
import type { OutgoingMail } from '../../server/mail/transport.ts';

const mail = (n: number): OutgoingMail => ({
  messageId: `<tls-test-${n}-${Date.now()}@127.0.0.1>`,
  from: 'Touchpoint <feedback@example.com>',
  to: 'customer@example.com',
  subject: `TLS test ${n}`,
  html: '<p>Hello</p>',
  text: 'Hello',
  headers: {},
});

async function sendWith(url: string, n: number): Promise<string | null> {
  const transport = smtpTransport(url, 1000, silentLog);
  try {
    await transport.send(mail(n));
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await transport.close();
  }
}

/** An address of this machine that is not loopback (a container's eth0), or null. */
function nonLoopbackAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

describe('SMTP and TLS, against a real SMTP server without STARTTLS', function () {
  this.timeout(20_000);

  describe('on loopback', () => {
    let receiver: SmtpReceiver;
    before(async () => {
      receiver = await startSmtpReceiver();
    });
    after(async () => receiver.close());

    it('a relay on this machine still takes mail in plain text', async () => {
      expect(await sendWith(`smtp://127.0.0.1:${receiver.port}`, 1)).to.equal(null);
      expect(receiver.messages.map((m) => m.parsed.subject)).to.include('TLS test 1');
    });

    it('with ?requireTLS=true the send fails rather than go out in plain text', async () => {
      const before = receiver.messages.length;
      const error = await sendWith(`smtp://127.0.0.1:${receiver.port}?requireTLS=true`, 2);
      expect(error).to.match(/STARTTLS|TLS/i);
      expect(receiver.messages.length).to.equal(before);
    });
  });

  describe("on another address of this machine (the container's own interface; nothing leaves it)", () => {
    const address = nonLoopbackAddress();
    let server: SMTPServer;
    let port = 0;
    const received: string[] = [];
    before(async function () {
      if (!address) this.skip();
      server = new SMTPServer({
        disabledCommands: ['STARTTLS', 'AUTH'],
        authOptional: true,
        logger: false,
        onData(stream, _session, callback) {
          let raw = '';
          stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
          stream.on('end', () => {
            received.push(raw);
            callback();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, address!, () => resolve());
      });
      port = (server.server.address() as { port: number }).port;
    });
    after(async () => {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('requires TLS by default: a server that offers no STARTTLS gets nothing', async () => {
      const error = await sendWith(`smtp://${address}:${port}`, 3);
      expect(error).to.match(/STARTTLS|TLS/i);
      expect(received).to.have.length(0);
    });

    it('sends in plain text only when the URL says so (?requireTLS=false)', async () => {
      expect(await sendWith(`smtp://${address}:${port}?requireTLS=false`, 4)).to.equal(null);
      expect(received).to.have.length(1);
      expect(received[0]).to.contain('TLS test 4');
    });
  });
});
