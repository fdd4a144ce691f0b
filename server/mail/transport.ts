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
  /** Whether the worker may hand it mail now: false while the mail server is unreachable and no probe is due. */
  available(): boolean;
  /** The mail server's state as /readyz shows it. */
  health(): TransportHealth;
  close(): Promise<void>;
}

/**
 * `up`: sending (or not tried yet); `down`: the server could not be reached, sending pauses until
 * `retryAt`, when one send probes it again.
 */
export interface TransportHealth {
  state: 'up' | 'down';
  /** Since when it has been down. */
  since: string | null;
  retryAt: string | null;
  lastError: string | null;
}

export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
    /** The server could not be reached or spoken to at all (no connection, no greeting, 421): nothing about this message. */
    readonly unreachable = false,
  ) {
    super(message);
  }
}
