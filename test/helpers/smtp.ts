import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import PostalMime, { type Email } from 'postal-mime';
import { createTestContext, type TestContext } from './context.ts';

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

/** What withSmtpTestContext gives a describe block; read it inside hooks and tests, not while the block is defined. */
export interface SmtpTestContext {
  /** The block's receiver, emptied before each test. */
  readonly smtp: SmtpReceiver;
  /** This test's fresh Touchpoint, sending its mail to `smtp`. */
  readonly ctx: TestContext;
}

/**
 * Registers the hooks of a describe block whose tests send real mail: one SMTP receiver for the
 * block (before/after), and for each test an emptied inbox and a fresh test context with SMTP_URL
 * pointing at the receiver plus `env` (beforeEach/afterEach). A `beforeEach` the block registers
 * after this call runs after the context is made, so it can use `ctx`.
 */
export function withSmtpTestContext(options: { env?: Record<string, string> } = {}): SmtpTestContext {
  let smtp: SmtpReceiver | undefined;
  let ctx: TestContext | undefined;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  after(async () => smtp?.close());
  beforeEach(async () => {
    const receiver = current(smtp, 'smtp');
    receiver.messages.length = 0;
    ctx = await createTestContext({ env: { SMTP_URL: `smtp://127.0.0.1:${receiver.port}`, ...options.env } });
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });
  return {
    get smtp() {
      return current(smtp, 'smtp');
    },
    get ctx() {
      return current(ctx, 'ctx');
    },
  };
}

function current<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`withSmtpTestContext: ${name} is only there inside the block's hooks and tests`);
  return value;
}

/** Every href of an email's HTML part, in link order, with &amp; undone. */
export const hrefsOf = (html: string): string[] => [...html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
