import { pino, type Logger } from 'pino';

export type Log = Logger;

export function createLog(level: string): Log {
  return pino({ level, base: undefined });
}

export const silentLog: Log = pino({ level: 'silent' });
