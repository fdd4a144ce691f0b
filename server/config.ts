import { z } from 'zod';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Touchpoint's configuration, read from the environment once at start. */
export interface Config {
  port: number;
  baseUrl: string;
  /** A SQLite file path or a postgres:// URL. */
  databaseUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  /** Emails per second the worker hands to SMTP at most. */
  mailRatePerSecond: number;
  sessionSecret: string;
  /** Run the sending worker inside `serve`. */
  runWorker: boolean;
  workerIntervalMs: number;
  /** How long an answer the page saved on its own is held before it counts (DESIGN.md, "Responses"). */
  answerSettleSeconds: number;
  logLevel: string;
  /** Secure cookies: on when BASE_URL is https. */
  secureCookies: boolean;
}

const isUrl = (value: string) => {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
};

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_URL: z.string().refine(isUrl, 'must be an absolute URL such as https://feedback.example.com').optional(),
  DATABASE_URL: z.string().min(1).default('var/touchpoint.db'),
  SMTP_URL: z
    .string()
    .refine((v) => v === '' || /^smtps?:\/\//.test(v), 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Touchpoint <feedback@localhost>'),
  MAIL_RATE_PER_SECOND: z.coerce.number().positive().max(10000).default(10),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  RUN_WORKER: z.enum(['true', 'false']).default('true'),
  WORKER_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(2000),
  ANSWER_SETTLE_SECONDS: z.coerce.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400 seconds (a day)').default(600),
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
  return {
    port: e.PORT,
    baseUrl,
    databaseUrl: e.DATABASE_URL,
    smtpUrl: e.SMTP_URL ? e.SMTP_URL : null,
    mailFrom: e.MAIL_FROM,
    mailRatePerSecond: e.MAIL_RATE_PER_SECOND,
    sessionSecret: e.SESSION_SECRET ?? keptSecret(e.DATABASE_URL),
    runWorker: e.RUN_WORKER === 'true',
    workerIntervalMs: e.WORKER_INTERVAL_MS,
    answerSettleSeconds: e.ANSWER_SETTLE_SECONDS,
    logLevel: e.LOG_LEVEL,
    secureCookies: baseUrl.startsWith('https://'),
  };
}

/**
 * With no SESSION_SECRET, one is generated on first start and kept in var/ so
 * that sessions and invitation links survive a restart.
 */
function keptSecret(databaseUrl: string): string {
  const dir = databaseUrl.startsWith('postgres') ? 'var' : path.dirname(path.resolve(databaseUrl));
  const file = path.join(dir, 'session-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
