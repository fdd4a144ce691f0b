import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import PostalMime, { type Email } from 'postal-mime';

export interface ReceivedMail {
  /** The envelope. */
  from: string;
  to: string[];
  raw: string;
  parsed: Email;
  /** A header's value by its (case-insensitive) name; the first one. */
  header(name: string): string | undefined;
}

export interface SmtpReceiver {
  port: number;
  messages: ReceivedMail[];
  /** Answer `code` (e.g. 550 permanent, 451 temporary) to RCPT TO for this address until told otherwise. */
  refuse(address: string, code: number): void;
  accept(address: string): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback for tests: plain text (no STARTTLS, no AUTH),
 * every accepted message parsed with postal-mime before the 250 answer, so a
 * send that resolved has already landed in `messages`.
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const refusals = new Map<string, number>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = refusals.get(address.address.toLowerCase());
      if (!code) return callback();
      const err = Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code });
      callback(err);
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        PostalMime.parse(raw).then(
          (parsed) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              header: (name) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value,
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('the SMTP receiver has no port');
  return {
    port: address.port,
    messages,
    refuse: (addr, code) => void refusals.set(addr.toLowerCase(), code),
    accept: (addr) => void refusals.delete(addr.toLowerCase()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every href of an email's HTML part, in link order, with &amp; undone. */
export const hrefsOf = (html: string): string[] => [...html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
