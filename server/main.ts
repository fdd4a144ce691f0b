import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, isLoopbackHost, loadConfig, varDir, type Config } from './config.ts';
import { migrateLatest, openDb } from './db/knex.ts';
import { createLog } from './log.ts';
import { systemClock } from './clock.ts';
import type { Deps } from './deps.ts';
import { createApp } from './app.ts';
import { createTransport } from './mail/transports.ts';
import { loadSurveyFiles } from './surveys/files.ts';
import { prepareSetupCode } from './accounts/setup.ts';
import { checkLinkKey } from './tokens.ts';
import { startWorker, stopWaitMs } from './jobs.ts';

/** Config, database (migrated), mail transport and log: everything a command needs. */
export async function bootstrap(config: Config = loadConfig(), options: { logTo?: 1 | 2; longRunning?: boolean } = {}): Promise<Deps> {
  const log = createLog(config.logLevel, options.logTo);
  const db = openDb(config.databaseUrl, {
    poolMax: config.databasePoolMax,
    // serve and worker checkpoint SQLite's log in a thread of their own (db/checkpoints.ts).
    ...(options.longRunning ? { checkpointInBackground: { onError: (message: string) => log.error({ error: message }, 'SQLite checkpoint failed') } } : {}),
  });
  const applied = await migrateLatest(db);
  if (applied.length) log.info({ applied }, 'database migrated');
  const mail = createTransport(config, db, log);
  return { config, db, log, clock: systemClock, mail };
}

export async function shutdown(deps: Deps): Promise<void> {
  await deps.mail.close();
  await deps.db.destroy();
}

/**
 * Processes that share a database must share the link-token key (the one that schedules an
 * invitation and the worker that sends it derive the same token). A key kept in var/ that differs
 * from the one the database knows is another machine's, or a lost one: refuse to start. A changed
 * LINK_SECRET is taken as meant, and said.
 */
export async function checkLinkSecret(deps: Deps): Promise<void> {
  const check = await checkLinkKey(deps.db, deps.config.linkSecret, deps.config.linkSecretSource === 'env');
  if (check.kind !== 'changed') return;
  if (deps.config.linkSecretSource === 'kept') {
    throw new ConfigError(
      `LINK_SECRET: this process's link-token key (kept in ${varDir(deps.config.databaseUrl)}/link-secret) is not the one this database's invitations were made with ` +
        `(key id ${check.current}, the database knows ${check.previous}). Give every process that shares the database the same LINK_SECRET ` +
        '(or copy var/link-secret from the machine that made it). If that key is lost, set LINK_SECRET to a new value (openssl rand -base64 48): ' +
        'invitations made with the lost key will fail to send rather than carry a dead link.',
    );
  }
  deps.log.warn(
    { keyId: check.current, previousKeyId: check.previous },
    'LINK_SECRET changed: invitations scheduled with the previous key cannot be sent (and reminders of those sent cannot go out); links already sent keep working',
  );
}

/** A start that fails (a refused key, a port in use) closes the database and the mail transport, so the process can end. */
async function startingOrClosed<T>(deps: Deps, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    await shutdown(deps).catch(() => {});
    throw err;
  }
}

/** The address `server` listens on, as a URL (http://127.0.0.1:3000, http://[::]:3000). */
function listenUrl(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** `touchpoint serve`: the web app, and the sending worker unless RUN_WORKER=false. */
export async function serve(deps: Deps): Promise<void> {
  let stopping = false;
  /** Requests begun before the stop and not answered yet. */
  const answering = new Set<http.ServerResponse>();
  const { server, setup } = await startingOrClosed(deps, async () => {
    await checkLinkSecret(deps);
    await loadSurveyFiles(deps);
    // Made before the first request can reach /setup.
    const code = deps.config.setupCodeRequired ? await prepareSetupCode(deps.db, varDir(deps.config.databaseUrl), deps.clock.now()) : null;
    const app = createApp(deps);
    // While stopping, answers close their connection: a keep-alive client opens a new one elsewhere.
    const started = http.createServer((req, res) => {
      if (stopping) res.setHeader('Connection', 'close');
      else {
        // Begun before the stop: told to close when the stop begins (stop below), if not answered by then.
        answering.add(res);
        res.once('close', () => answering.delete(res));
      }
      app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      started.once('error', reject);
      started.listen(deps.config.port, deps.config.host, () => {
        started.off('error', reject);
        resolve();
      });
    });
    return { server: started, setup: code };
  });
  const listening = listenUrl(server);
  deps.log.info(
    {
      listening,
      host: deps.config.host,
      url: deps.config.baseUrl,
      database: deps.config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
      mail: deps.mail.kind,
    },
    `Touchpoint is listening on ${listening}${isLoopbackHost(deps.config.host) ? ' (this machine only)' : ''}; people reach it at ${deps.config.baseUrl}`,
  );
  if (setup) announceSetupCode(deps, setup);
  const worker = deps.config.runWorker ? startWorker(deps) : null;
  stopOnSignal(deps, async () => {
    // Stop accepting; answer what is in flight (each answer closes its connection), close idle keep-alive
    // sockets; then stop the worker; then close the database and the mail pool.
    stopping = true;
    for (const res of answering) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      // One whose headers went out already (keep-alive): its connection is closed once it is idle again.
      else res.once('close', () => setImmediate(() => server.closeIdleConnections()));
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const answered = await Promise.race([closed.then(() => true), sleep(stopWaitMs(deps)).then(() => false)]);
    if (!answered) {
      deps.log.warn('requests still open when the time to stop ran out; their connections are closed');
      server.closeAllConnections();
    }
    await worker?.stop();
    await shutdown(deps);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * While no user exists and the setup page asks for a code: the code, on stderr (kept out of the log,
 * which is often shipped elsewhere and kept), and a log line saying where to find it.
 */
function announceSetupCode(deps: Deps, setup: { code: string; file: string }): void {
  deps.log.warn({ file: setup.file }, `First-run setup is waiting: open ${deps.config.baseUrl}/setup and enter the setup code printed on stderr (also kept in ${setup.file})`);
  process.stderr.write(`\n  Touchpoint setup code: ${setup.code}\n  Open ${deps.config.baseUrl}/setup and enter it to create the first admin.\n\n`);
}

/** `touchpoint worker`: only the sending worker (for more than one machine). */
export async function work(deps: Deps): Promise<void> {
  await startingOrClosed(deps, () => checkLinkSecret(deps));
  const worker = startWorker(deps);
  deps.log.info({ mail: deps.mail.kind }, 'worker started');
  stopOnSignal(deps, async () => {
    await worker.stop();
    await shutdown(deps);
  });
}

/**
 * On SIGTERM or SIGINT: `stop`, then exit 0 (1 when it failed). A second signal, or SHUTDOWN_TIMEOUT_SECONDS
 * passing, ends the process at once (exit 1).
 */
function stopOnSignal(deps: Deps, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      deps.log.info({ signal }, 'stopping');
      setTimeout(() => {
        deps.log.error({ timeoutMs: deps.config.shutdownTimeoutMs }, 'did not stop in time; exiting');
        process.exit(1);
      }, deps.config.shutdownTimeoutMs).unref();
      stop().then(
        () => {
          deps.log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          deps.log.error({ err }, 'stopping failed');
          process.exit(1);
        },
      );
    });
  }
}
