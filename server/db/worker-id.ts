import os from 'node:os';
import crypto from 'node:crypto';

/** This process's name on the rows it claims (outboxes): host, process and a random part (a restarted process is another owner). */
export const processWorkerId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
