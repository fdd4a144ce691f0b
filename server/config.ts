import { z } from 'zod';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Touchpoint's configuration, read from the environment once at start. */
export interface Config {
  port: number;
  /** The address `serve` listens on: 127.0.0.1 unless BASE_URL names another host (then 0.0.0.0). */
  host: string;
  baseUrl: string;
  /** A SQLite file path or a postgres:// URL. */
  databaseUrl: string;
  /** PostgreSQL connections this process opens at most (DATABASE_POOL_MAX); SQLite has one. */
  databasePoolMax: number;
  smtpUrl: string | null;
  mailFrom: string;
  /** Emails per second the worker hands to SMTP at most. */
  mailRatePerSecond: number;
  sessionSecret: string;
  /** A session ends this many days after sign-in, however active (beside the 12-hour idle timeout). */
  sessionMaxAgeDays: number;
  /** The key of survey link tokens (server/responses/tokens.ts): LINK_SECRET, else kept in var/link-secret. */
  linkSecret: string;
  /** Where linkSecret came from: the environment, or the file kept in var/. */
  linkSecretSource: 'env' | 'kept';
  /** The first-run setup page asks for the one-time setup code printed on the console. */
  setupCodeRequired: boolean;
  /** Run the sending worker inside `serve`. */
  runWorker: boolean;
  workerIntervalMs: number;
  /**
   * How long a worker owns an invitation it claimed without renewing the claim (renewed while it sends):
   * a worker that crashed gives its unsent invitations back after this long.
   */
  workerLeaseMs: number;
  /** How long `serve` and `worker` take at most to stop on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /** A bearer token for GET /metrics from other machines (without it, /metrics answers loopback only). */
  metricsToken: string | null;
  /** How long an answer the page saved on its own is held before it counts (DESIGN.md, "Responses"). */
  answerSettleSeconds: number;
  /** Webhooks may go to http:// and to loopback, private and link-local addresses (development and tests only). */
  webhookAllowPrivate: boolean;
  logLevel: string;
  /** Secure cookies: on when BASE_URL is https. */
  secureCookies: boolean;
}

/** A worker's claim on an invitation lasts this long unless renewed (WORKER_LEASE_SECONDS). */
export const DEFAULT_LEASE_MS = 60_000;

const isUrl = (value: string) => {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
};

/** Names of this machine only: a server listening there, or a BASE_URL naming it, is reached from here alone. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

const hostSchema = z
  .string()
  .trim()
  .max(253)
  .regex(/^(\[?[0-9A-Fa-f:.]+\]?|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/, 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name of this machine')
  .transform((h) => h.replace(/^\[|\]$/g, ''));

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: hostSchema.optional(),
  BASE_URL: z.string().refine(isUrl, 'must be an absolute URL such as https://feedback.example.com').optional(),
  DATABASE_URL: z.string().min(1).default('var/touchpoint.db'),
  DATABASE_POOL_MAX: z.coerce.number('must be a number of connections').int('must be a whole number').min(1, 'must be at least 1').max(500, 'must be at most 500').default(10),
  SMTP_URL: z
    .string()
    .refine((v) => v === '' || /^smtps?:\/\//.test(v), 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Touchpoint <feedback@localhost>'),
  MAIL_RATE_PER_SECOND: z.coerce.number().positive().max(10000).default(10),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_MAX_AGE_DAYS: z.coerce.number('must be a number of days').positive('must be above 0 days').max(365, 'must be at most 365 days').default(7),
  LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SETUP_CODE_REQUIRED: z.enum(['true', 'false'], 'must be true or false').optional(),
  RUN_WORKER: z.enum(['true', 'false']).default('true'),
  WORKER_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(2000),
  WORKER_LEASE_SECONDS: z.coerce.number('must be a number of seconds').int('must be a whole number of seconds').min(2, 'must be at least 2 seconds').max(3600, 'must be at most 3600 seconds').default(DEFAULT_LEASE_MS / 1000),
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number('must be a number of seconds').int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(600, 'must be at most 600 seconds').default(25),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ANSWER_SETTLE_SECONDS: z.coerce.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400 seconds (a day)').default(600),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false'], 'must be true or false').default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ConfigError extends Error {}

/** Reads and validates the environment; a bad value throws naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (BASE_URL= in a .env file) means "use the default".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const baseUrl = (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const publicHost = !isLoopbackHost(new URL(baseUrl).hostname);
  // Loopback unless BASE_URL says people reach Touchpoint at another host.
  const host = e.HOST ?? (publicHost ? '0.0.0.0' : '127.0.0.1');
  return {
    port: e.PORT,
    host,
    baseUrl,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    smtpUrl: e.SMTP_URL ? e.SMTP_URL : null,
    mailFrom: e.MAIL_FROM,
    mailRatePerSecond: e.MAIL_RATE_PER_SECOND,
    sessionSecret: e.SESSION_SECRET ?? keptSecret(e.DATABASE_URL, 'session-secret'),
    sessionMaxAgeDays: e.SESSION_MAX_AGE_DAYS,
    linkSecret: e.LINK_SECRET ?? keptSecret(e.DATABASE_URL, 'link-secret'),
    linkSecretSource: e.LINK_SECRET ? 'env' : 'kept',
    // Asked for unless only this machine can reach the page: listening on loopback, and BASE_URL
    // naming loopback (behind a proxy on this host, BASE_URL names the public host).
    setupCodeRequired: e.SETUP_CODE_REQUIRED ? e.SETUP_CODE_REQUIRED === 'true' : publicHost || !isLoopbackHost(host),
    runWorker: e.RUN_WORKER === 'true',
    workerIntervalMs: e.WORKER_INTERVAL_MS,
    workerLeaseMs: e.WORKER_LEASE_SECONDS * 1000,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    metricsToken: e.METRICS_TOKEN ?? null,
    answerSettleSeconds: e.ANSWER_SETTLE_SECONDS,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
    logLevel: e.LOG_LEVEL,
    secureCookies: baseUrl.startsWith('https://'),
  };
}

/**
 * The folder Touchpoint keeps its own files in: the SQLite file's folder, or var/ in the working
 * directory with PostgreSQL.
 */
export const varDir = (databaseUrl: string): string => (databaseUrl.startsWith('postgres') ? path.resolve('var') : path.dirname(path.resolve(databaseUrl)));

/**
 * With no SESSION_SECRET (or LINK_SECRET), one is generated on first start and kept in var/ so
 * that sessions and invitation links survive a restart. Two processes starting at once agree: the
 * first to create the file wins and the other reads it.
 */
function keptSecret(databaseUrl: string, name: 'session-secret' | 'link-secret'): string {
  return keptValue(path.join(varDir(databaseUrl), name), () => crypto.randomBytes(32).toString('base64url'));
}

/**
 * The value kept in `file` (readable by this user only), made with `make` and written when the file
 * does not exist yet. Written whole under another name, then linked into place: linking fails when
 * the file exists, so two processes starting at once keep the same value.
 */
export function keptValue(file: string, make: () => string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = make();
  const draft = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(draft, value + '\n', { mode: 0o600 });
  try {
    fs.linkSync(draft, file);
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fs.readFileSync(file, 'utf8').trim();
  } finally {
    fs.rmSync(draft, { force: true });
  }
}
