/** One email as the worker hands it to a transport. */
export interface OutgoingMail {
  messageId: string;
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

interface SendResult {
  /** The server's answer, kept in the delivery log. */
  response: string;
}

/**
 * Where mail goes: SMTP (nodemailer, pooled, rate-limited) or, with no
 * SMTP_URL, the development mailbox in the database. A failure throws a
 * SendError: `permanent` for a 5xx answer (a hard bounce), else retryable.
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'mailbox';
  send(mail: OutgoingMail): Promise<SendResult>;
  close(): Promise<void>;
}

export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
  ) {
    super(message);
  }
}
