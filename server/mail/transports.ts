import nodemailer from 'nodemailer';
import type { Knex } from 'knex';
import { DEFAULT_LEASE_MS, type Config } from '../config.ts';
import type { Log } from '../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { SendError, type MailTransport, type OutgoingMail } from './transport.ts';
import { SendRateLimiter } from './rate.ts';
import { insertMailboxMessage } from './mailbox-queries.ts';
import { withCircuitBreaker } from './breaker.ts';

/** SMTP when SMTP_URL is set, else the development mailbox in the database. */
export function createTransport(config: Config, db: Knex, log: Log, clock: Clock = systemClock): MailTransport {
  const inner = config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailRatePerSecond, log, smtpTimeouts(config.workerLeaseMs)) : mailboxTransport(db, clock);
  return withCircuitBreaker(inner, clock, log);
}

/**
 * nodemailer's timeouts, below the worker's lease on an invitation (WORKER_LEASE_SECONDS): a server
 * that stops answering fails the send before another worker could take the invitation over.
 */
export function smtpTimeouts(leaseMs: number): { connectionTimeout: number; greetingTimeout: number; socketTimeout: number } {
  return { connectionTimeout: Math.min(10_000, leaseMs / 4), greetingTimeout: Math.min(10_000, leaseMs / 4), socketTimeout: leaseMs / 2 };
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');

/**
 * How a connection to the SMTP server is protected:
 * - `implicit`: smtps://, TLS from the first byte;
 * - `required`: smtp:// to another machine, STARTTLS is required (a server that does not offer it,
 *   or a man in the middle who strips it, fails the send instead of getting the login and the mail);
 * - `plain`: smtp:// to a relay on this machine (loopback) with no options in the URL, spoken to in
 *   plain text;
 * - `optional`: the URL says so explicitly: `?requireTLS=false` (STARTTLS when the server offers it)
 *   or `?ignoreTLS=true` (never); on loopback, any other option in the URL leaves nodemailer's
 *   default (STARTTLS when offered). `?requireTLS=true` asks for it anywhere.
 */
export type SmtpTlsPolicy = 'implicit' | 'required' | 'plain' | 'optional';

/** The SMTP pool's connections: how many messages are handed to the mail server at once. */
export const SMTP_POOL_CONNECTIONS = 5;

/** nodemailer's options for SMTP_URL (the URL's own query options still apply on top) and the TLS policy they make. */
export function smtpTransportOptions(smtpUrl: string, timeouts: Partial<ReturnType<typeof smtpTimeouts>> = {}): { options: Record<string, unknown>; tls: SmtpTlsPolicy } {
  const url = new URL(smtpUrl);
  const base = { ...timeouts, url: smtpUrl, pool: true, maxConnections: SMTP_POOL_CONNECTIONS, maxMessages: 1000 };
  if (url.protocol === 'smtps:') return { options: base, tls: 'implicit' };
  // The URL's query options override ours (nodemailer reads "true", "false" and numbers as such):
  // what they ask for about TLS is what happens.
  const asked = (name: string): unknown => {
    const value = url.searchParams.get(name);
    if (value === null) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    return value !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  };
  const requireTLS = asked('requireTLS');
  if (requireTLS !== undefined) return { options: base, tls: requireTLS ? 'required' : 'optional' };
  if (isLoopback(url.hostname)) {
    // A relay on this machine (smtp:// to loopback, no options in the URL) is spoken to in plain text.
    return url.search ? { options: base, tls: 'optional' } : { options: { ...base, ignoreTLS: true }, tls: 'plain' };
  }
  if (asked('ignoreTLS')) return { options: base, tls: 'optional' };
  return { options: { ...base, requireTLS: true }, tls: 'required' };
}

/** nodemailer with a connection pool; sends are spaced to the configured rate. */
export function smtpTransport(smtpUrl: string, ratePerSecond: number, log: Log, timeouts = smtpTimeouts(DEFAULT_LEASE_MS)): Pick<MailTransport, 'kind' | 'send' | 'close'> {
  const { options, tls } = smtpTransportOptions(smtpUrl, timeouts);
  if (tls === 'optional' && !isLoopback(new URL(smtpUrl).hostname)) {
    log.warn({ host: new URL(smtpUrl).hostname }, 'SMTP_URL turns off required TLS: the SMTP login and the emails may cross the network unencrypted');
  }
  const transporter = nodemailer.createTransport(options);
  const limiter = new SendRateLimiter(ratePerSecond);
  return {
    kind: 'smtp',
    async send(mail: OutgoingMail) {
      await limiter.take();
      try {
        const info = await transporter.sendMail({
          messageId: mail.messageId,
          from: mail.from,
          to: mail.to,
          replyTo: mail.replyTo || undefined,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          headers: mail.headers,
        });
        return { response: String(info.response ?? 'accepted') };
      } catch (err) {
        const failure = toSendError(err);
        log.warn({ to: mail.to, messageId: mail.messageId, code: failure.responseCode, permanent: failure.permanent }, failure.message);
        throw failure;
      }
    },
    async close() {
      transporter.close();
    },
  };
}

/**
 * A refusal of the recipient or of the message (5xx to RCPT TO or DATA) is a
 * hard bounce; everything else (4xx, a lost connection, a refused login or
 * sender, which the admin can fix) is worth trying again.
 */
export function toSendError(err: unknown): SendError {
  const e = err as { message?: string; responseCode?: number; command?: string; code?: string };
  const message = e?.message ?? String(err);
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  const refusedRecipient = code !== undefined && code >= 500 && (e.command === 'RCPT TO' || e.command === 'DATA');
  const invalidAddress = code === undefined && e?.code === 'EENVELOPE' && e.command === 'API';
  return new SendError(message, refusedRecipient || invalidAddress, code, isUnreachable(e));
}

/**
 * The server could not be reached or spoken to before any message went out: a refused or unroutable
 * connection, an unknown host, no greeting or TLS in time, or 421 (service not available). A socket timeout
 * or a dropped connection later on is not: the server may have taken the message, so it is an ordinary
 * failure (an attempt used, retried with backoff) rather than a free resend.
 */
function isUnreachable(e: { responseCode?: number; code?: string; message?: string; timeoutType?: string }): boolean {
  if (e?.responseCode === 421) return true;
  if (e?.responseCode !== undefined) return false;
  if (e?.code === 'ETIMEDOUT') return e.timeoutType === 'CONNECT_TIMEOUT' || e.timeoutType === 'GREETING_TIMEOUT' || e.timeoutType === 'UPGRADE_TIMEOUT';
  if (e?.code === 'EDNS') return true;
  return ['ESOCKET', 'ECONNECTION'].includes(String(e?.code)) && /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(String(e?.message));
}

/** The development mailbox: every message is stored for the admin pages to show. */
function mailboxTransport(db: Knex, clock: Clock = systemClock): Pick<MailTransport, 'kind' | 'send' | 'close'> {
  return {
    kind: 'mailbox',
    async send(mail: OutgoingMail) {
      const headers: Record<string, string> = {
        'Message-ID': mail.messageId,
        From: mail.from,
        To: mail.to,
        ...(mail.replyTo ? { 'Reply-To': mail.replyTo } : {}),
        Subject: mail.subject,
        ...mail.headers,
      };
      const id = await insertMailboxMessage(db, {
        message_id: mail.messageId,
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        headers: JSON.stringify(headers),
        created_at: toDbTime(clock.now()),
      });
      return { response: `stored in the development mailbox as message ${id}` };
    },
    async close() {},
  };
}
