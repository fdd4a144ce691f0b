import nodemailer from 'nodemailer';
import type { Knex } from 'knex';
import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { SendError, type MailTransport, type OutgoingMail } from './transport.ts';
import { SendRateLimiter } from './rate.ts';
import { insertMailboxMessage } from '../mailbox/queries.ts';

/** SMTP when SMTP_URL is set, else the development mailbox in the database. */
export function createTransport(config: Config, db: Knex, log: Log, clock: Clock = systemClock): MailTransport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailRatePerSecond, log) : mailboxTransport(db, clock);
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');

/** nodemailer with a connection pool; sends are spaced to the configured rate. */
export function smtpTransport(smtpUrl: string, ratePerSecond: number, log: Log): MailTransport {
  const url = new URL(smtpUrl);
  // A relay on this machine (smtp:// to loopback, no options in the URL) is spoken to in plain text.
  const plainLoopback = url.protocol === 'smtp:' && isLoopback(url.hostname) && !url.search;
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 5,
    maxMessages: 1000,
    ...(plainLoopback ? { ignoreTLS: true } : {}),
  });
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
  return new SendError(message, refusedRecipient || invalidAddress, code);
}

/** The development mailbox: every message is stored for the admin pages to show. */
export function mailboxTransport(db: Knex, clock: Clock = systemClock): MailTransport {
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
