import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite commits append pages to the write-ahead log; a checkpoint copies them back into the database file,
 * and it is the checkpoint that waits for the disk (it syncs the log, then the file). By default the commit
 * that grows the log past 1,000 pages runs it, inside whatever request made that commit: on this kind of disk
 * about two thirds of a write's commit time. A long-running process (serve, worker) checkpoints in a thread
 * of its own instead, on its own connection, so requests never wait for the disk; its connections keep a
 * far larger automatic checkpoint only as a backstop (AUTOCHECKPOINT_BACKSTOP). A passive checkpoint takes
 * no lock that writers or readers wait for.
 */

/** Pages in the log after which a committing connection checkpoints by itself all the same (about 40 MB). */
export const AUTOCHECKPOINT_BACKSTOP = 10_000;

/** How often the thread checkpoints what has been committed since the last time. */
const EVERY_MS = 100;

// Plain JavaScript run in the thread (no TypeScript loader there): its own connection, a passive checkpoint
// every EVERY_MS, and a last one when told to stop. The log is truncated back to 64 MiB when it has grown past it.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 10000 });
db.pragma('journal_size_limit = 67108864');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

export interface Checkpoints {
  /** The last checkpoint done and the thread ended. */
  stop(): Promise<void>;
}

/** Starts checkpointing the SQLite database `file` in a thread; `onError` hears a checkpoint that failed. */
export function checkpointInBackground(file: string, onError: (message: string) => void): Checkpoints {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(THREAD, { eval: true, workerData: { file, driver, everyMs: EVERY_MS } });
  // Never what keeps the process alive.
  thread.unref();
  thread.on('message', (message: { error?: string }) => message.error && onError(message.error));
  thread.on('error', (err) => onError(err.message));
  const ended = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  return {
    async stop() {
      thread.postMessage('stop');
      await ended;
    },
  };
}
