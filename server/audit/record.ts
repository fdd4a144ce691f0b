import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';

/**
 * Writes one line of the audit log (DESIGN.md: accounts to OWASP ASVS level 2). Call it in the same
 * transaction as the change it reports where there is one, so a change is never without its line.
 * Services call it with the actor their route gives them; nothing here knows HTTP.
 */

type AuditActorType = 'user' | 'api_key' | 'cli' | 'system' | 'anonymous';

export interface AuditActor {
  type: AuditActorType;
  /** The user's or key's id. */
  id?: number | null;
  /** The user's email or the key's name, as it is now (kept as it was then). */
  label?: string | null;
  /** Where the request came from (the client address); null for the CLI and the worker. */
  ip?: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  /** A dotted name, such as auth.sign_in or apikey.created. */
  action: string;
  target?: { type: string; id?: string | number | null; label?: string | null };
  /** Anything else worth keeping: never a password, a token or a key. */
  detail?: Record<string, unknown>;
}

// PostgreSQL text cannot hold NUL; a typed value may carry one.
// eslint-disable-next-line no-control-regex
const clean = (value: string): string => value.replace(/\u0000/g, '');

export async function audit(db: Knex, entry: AuditEntry, at: Date): Promise<void> {
  const text = (value: string | null | undefined, max: number) => (value ? clean(value).slice(0, max) : null);
  await db('audit_log').insert({
    at: toDbTime(at),
    actor_type: entry.actor.type,
    actor_id: entry.actor.id ?? null,
    actor_label: text(entry.actor.label, 254),
    action: entry.action,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id === undefined || entry.target?.id === null ? null : text(String(entry.target.id), 200),
    target_label: text(entry.target?.label, 254),
    // JSON writes a NUL as \u0000 (six characters), which PostgreSQL's text takes.
    detail: JSON.stringify(entry.detail ?? {}),
    ip: text(entry.actor.ip, 64),
  });
}

/** The actor of the command line. */
export const cliActor: AuditActor = { type: 'cli', label: 'command line' };
/** The actor of the worker and other jobs. */
export const systemActor: AuditActor = { type: 'system', label: 'Touchpoint' };
