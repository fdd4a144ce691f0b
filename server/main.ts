import http from 'node:http';
import { loadConfig, type Config } from './config.ts';
import { migrateLatest, openDb } from './db/knex.ts';
import { createLog } from './log.ts';
import { systemClock } from './clock.ts';
import type { Deps } from './deps.ts';
import { createApp } from './app.ts';
import { createTransport } from './delivery/transports.ts';
import { startWorker } from './delivery/worker.ts';
import { loadSurveyFiles } from './surveys/files.ts';

/** Config, database (migrated), mail transport and log: everything a command needs. */
export async function bootstrap(config: Config = loadConfig()): Promise<Deps> {
  const log = createLog(config.logLevel);
  const db = openDb(config.databaseUrl);
  const applied = await migrateLatest(db);
  if (applied.length) log.info({ applied }, 'database migrated');
  const mail = createTransport(config, db, log);
  return { config, db, log, clock: systemClock, mail };
}

export async function shutdown(deps: Deps): Promise<void> {
  await deps.mail.close();
  await deps.db.destroy();
}

/** `touchpoint serve`: the web app, and the sending worker unless RUN_WORKER=false. */
export async function serve(deps: Deps): Promise<void> {
  await loadSurveyFiles(deps);
  const app = createApp(deps);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(deps.config.port, resolve));
  deps.log.info(
    { url: deps.config.baseUrl, database: deps.config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'), mail: deps.mail.kind },
    `Touchpoint is listening on ${deps.config.baseUrl}`,
  );
  const worker = deps.config.runWorker ? startWorker(deps) : null;
  stopOnSignal(async () => {
    server.close();
    await worker?.stop();
    await shutdown(deps);
  });
}

/** `touchpoint worker`: only the sending worker (for more than one machine). */
export async function work(deps: Deps): Promise<void> {
  const worker = startWorker(deps);
  deps.log.info({ mail: deps.mail.kind }, 'worker started');
  stopOnSignal(async () => {
    await worker.stop();
    await shutdown(deps);
  });
}

function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
