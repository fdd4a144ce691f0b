import { pino, type Logger } from 'pino';

export type Log = Logger;

/** JSON lines on standard output (serve, worker), or on standard error (`to: 2`, the other commands: their output stays theirs). */
export function createLog(level: string, to: 1 | 2 = 1): Log {
  return pino({ level, base: undefined }, pino.destination({ fd: to, sync: true }));
}

export const silentLog: Log = pino({ level: 'silent' });
