import net from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import PostalMime, { type Email } from 'postal-mime';

/** One message as the slow receiver got it: kept from the moment its data ended, whatever came after. */
interface SlowMail {
  /** The Message-ID header, angle brackets included. */
  messageId: string;
  /** The envelope recipients. */
  to: string[];
  raw: string;
  /** When the last byte of its data arrived (Date.now()): from then on the server holds the message. */
  receivedAt: number;
  /** When the server answered 250 (null: not yet). */
  answeredAt: number | null;
  /** The message parsed (postal-mime), for its links. */
  parsed(): Promise<Email>;
}

export interface SlowSmtpReceiver {
  readonly port: number;
  /** Every message, in the order its data ended; one sent twice is here twice. */
  readonly messages: SlowMail[];
  /** How long the server waits after the data before it answers 250 (ms); may be changed while it runs. */
  delayMs: number | (() => number);
  /** Answer `code` (451 temporary, 550 permanent) to RCPT TO for this address. */
  refuse(address: string, code: number): void;
  /** Whether it is listening now. */
  readonly listening: boolean;
  /** Listens again on the same port, keeping the messages. */
  start(): Promise<void>;
  /** Stops listening and drops every connection at once (messages being answered are kept: the server had them). */
  stop(): Promise<void>;
  /** The Message-IDs received more than once, with their counts. */
  duplicates(): Map<string, number>;
}

/** A port on loopback that nothing listens on (just now). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A real SMTP server on loopback that is slow to say yes: it keeps each message as soon as its data
 * has arrived (as a real server does before it answers), then waits `delayMs` before the 250. It can be
 * stopped and started again on the same port (a mail server that goes away and comes back), and with
 * `listen: false` it starts stopped on `port` (nothing listening there yet).
 */
export async function startSlowSmtpReceiver(options: { delayMs?: number | (() => number); port?: number; listen?: boolean } = {}): Promise<SlowSmtpReceiver> {
  const messages: SlowMail[] = [];
  const refusals = new Map<string, number>();
  let server: SMTPServer | null = null;
  let port = options.port ?? 0;

  const receiver: SlowSmtpReceiver = {
    get port() {
      return port;
    },
    messages,
    delayMs: options.delayMs ?? 0,
    refuse: (address, code) => void refusals.set(address.toLowerCase(), code),
    get listening() {
      return server !== null;
    },
    async start() {
      if (server) return;
      const next = new SMTPServer({
        disabledCommands: ['STARTTLS', 'AUTH'],
        authOptional: true,
        logger: false,
        closeTimeout: 50,
        onRcptTo(address, _session, callback) {
          const code = refusals.get(address.address.toLowerCase());
          if (!code) return callback();
          callback(Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code }));
        },
        onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const headers = raw.split(/\r?\n\r?\n/, 1)[0];
            const mail: SlowMail = {
              messageId: /^message-id:\s*(\S+)/im.exec(headers)?.[1] ?? '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              receivedAt: Date.now(),
              answeredAt: null,
              parsed: () => PostalMime.parse(raw),
            };
            messages.push(mail);
            const delay = typeof receiver.delayMs === 'function' ? receiver.delayMs() : receiver.delayMs;
            setTimeout(() => {
              mail.answeredAt = Date.now();
              callback();
            }, delay);
          });
        },
      });
      next.on('error', () => {}); // a client that vanished mid-answer
      await new Promise<void>((resolve, reject) => {
        next.server.once('error', reject);
        next.listen(port, '127.0.0.1', () => resolve());
      });
      const address = next.server.address();
      if (!address || typeof address === 'string') throw new Error('the SMTP receiver has no port');
      port = address.port;
      server = next;
    },
    async stop() {
      const closing = server;
      server = null;
      if (!closing) return;
      const done = new Promise<void>((resolve) => closing.close(() => resolve()));
      // Drop the connections now rather than after closeTimeout: the server is gone, not shutting down politely.
      for (const connection of (closing as unknown as { connections: Set<{ _socket?: net.Socket }> }).connections) connection._socket?.destroy();
      await done;
    },
    duplicates() {
      const counts = new Map<string, number>();
      for (const m of messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
      return new Map([...counts].filter(([, n]) => n > 1));
    },
  };
  if (options.listen !== false) await receiver.start();
  else if (!port) port = await freePort();
  return receiver;
}
