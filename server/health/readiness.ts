import { performance } from 'node:perf_hooks';
import type { Deps } from '../deps.ts';
import { migrationStatus } from '../db/knex.ts';

/** How long one check may take before it counts as failed: a probe must answer even when the database hangs. */
const CHECK_TIMEOUT_MS = 2000;

class CheckTimeout extends Error {
  constructor(ms: number) {
    super(`did not answer within ${ms / 1000} s`);
  }
}

/**
 * `work`, or a CheckTimeout after `ms`. The work is not cancelled (knex cannot cancel everywhere, nor
 * the wait for a connection): it ends in the background, its late failure ignored.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => {});
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 300);

/** A failed check says what failed; `detail` (the error itself, which may name hosts) goes to trusted callers only. */
interface Failure {
  ok: false;
  error: string;
  detail?: string;
}

type DatabaseCheck = { ok: true; latencyMs: number } | Failure;
type MigrationsCheck = { ok: boolean; pending: string[]; unknown?: string[] } | Failure;
interface MailCheck {
  ok: boolean;
  kind: 'smtp' | 'mailbox';
  state: 'up' | 'down';
  since: string | null;
  retryAt: string | null;
  lastError?: string | null;
}
interface Checks {
  database: DatabaseCheck;
  migrations: MigrationsCheck;
  mail: MailCheck;
}

export interface Readiness {
  status: 'ready' | 'not ready';
  checks: Checks;
}

const failure = (error: string, err: unknown): Failure => ({ ok: false, error, detail: messageOf(err) });

async function checkDatabase(deps: Deps): Promise<DatabaseCheck> {
  const started = performance.now();
  try {
    await withTimeout(deps.db.raw('SELECT 1'));
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return failure(err instanceof CheckTimeout ? err.message : 'does not answer', err);
  }
}

async function checkMigrations(deps: Deps): Promise<MigrationsCheck> {
  try {
    const { pending, unknown } = await withTimeout(migrationStatus(deps.db));
    return { ok: pending.length === 0, pending, ...(unknown.length ? { unknown } : {}) };
  } catch (err) {
    return failure(err instanceof CheckTimeout ? err.message : 'could not be listed', err);
  }
}

function checkMail(deps: Deps): MailCheck {
  const { state, since, retryAt, lastError } = deps.mail.health();
  return { ok: state === 'up', kind: deps.mail.kind, state, since, retryAt, lastError };
}

/** What a caller from elsewhere sees: which check failed, not the errors (they may name hosts and addresses). */
function withoutDetails({ database, migrations, mail }: Checks): Checks {
  const strip = <T extends object>(check: T): T => {
    const { detail: _detail, ...rest } = check as T & { detail?: string };
    return rest as T;
  };
  const { lastError: _lastError, ...mailState } = mail;
  return { database: strip(database), migrations: strip(migrations), mail: mailState };
}

/**
 * GET /readyz: ready when the database answers, every migration of this code is applied and the
 * mail server is up. Never throws: a check that fails is reported. A change between ready and not
 * ready is logged once (probes come every few seconds). `detailed`: with the errors.
 */
export function readinessProbe(deps: Deps): (detailed: boolean) => Promise<Readiness> {
  let wasReady: boolean | undefined;
  return async (detailed) => {
    const database = await checkDatabase(deps);
    const migrations: MigrationsCheck = database.ok ? await checkMigrations(deps) : { ok: false, error: 'not checked: the database does not answer' };
    const checks: Checks = { database, migrations, mail: checkMail(deps) };
    const ready = Object.values(checks).every((check) => check.ok);
    if (ready !== wasReady && (wasReady !== undefined || !ready)) {
      const failing = Object.entries(checks).filter(([, check]) => !check.ok);
      if (ready) deps.log.info('ready again: the database answers, migrations are current, the mail server is up');
      else deps.log.warn({ checks: Object.fromEntries(failing) }, `not ready: ${failing.map(([name]) => name).join(', ')}`);
    }
    wasReady = ready;
    return { status: ready ? 'ready' : 'not ready', checks: detailed ? checks : withoutDetails(checks) };
  };
}
