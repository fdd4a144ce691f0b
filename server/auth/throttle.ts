import crypto from 'node:crypto';
import net from 'node:net';
import type { Knex } from 'knex';
import { HOUR, MINUTE, DAY } from '../clock.ts';
import { countHit, forgetKey, heldUntil, holdKey } from '../db/rate-counters.ts';

/**
 * Throttles against guessing, counted in the database (`rate_counters`) so that every app process
 * sharing it counts together. A kind (sign_in, password_reset, two_factor) has rules; each rule counts
 * hits (failed sign-ins, reset requests, wrong codes) of one scope in fixed windows, and every
 * `every`-th hit in a window places a hold: from then on, for the hold's length, that scope is
 * refused at once (429 with Retry-After), without checking anything. Holds grow: the first hold of a
 * window is holdsMs[0], the second holdsMs[1] …, the last one repeating.
 *
 * Scopes: `account` (the email, or the user id, as given: the same for accounts that exist and those
 * that do not, so a refusal tells nothing about accounts), `address` (the client address; IPv6 by its
 * /64 network, where one machine usually has many addresses) and `account_address` (the pair). Keys
 * are stored as HMACs, never as emails or addresses.
 */
type ThrottleScope = 'account' | 'address' | 'account_address';

export interface ThrottleRule {
  scope: ThrottleScope;
  /** A hold begins at every `every`-th hit within one window. */
  every: number;
  windowMs: number;
  /** The holds in order (the first, the second …); the last repeats. */
  holdsMs: readonly number[];
}

export const throttleRules = {
  /**
   * Failed sign-ins. One address guessing one account: after 5 failures that address is held for that
   * account for 1 minute, after 10 for 5 minutes, after 15 for 15 minutes, then for an hour at every
   * 5 more (counted per UTC day; a right password clears the pair's count). The account stays open to
   * the right password from other addresses. One address failing 20 times in an hour, on any accounts,
   * is held from every sign-in for an hour. One account failing 100 times in an hour, from anywhere
   * (guessing spread over many addresses), is held for an hour (OWASP ASVS 2.2.1's ceiling).
   */
  sign_in: [
    { scope: 'account_address', every: 5, windowMs: DAY, holdsMs: [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR] },
    { scope: 'address', every: 20, windowMs: HOUR, holdsMs: [HOUR] },
    { scope: 'account', every: 100, windowMs: HOUR, holdsMs: [HOUR] },
  ],
  /** Reset links asked for: 3 an hour per email (whether or not it has an account), 10 an hour per address. */
  password_reset: [
    { scope: 'account', every: 3, windowMs: HOUR, holdsMs: [HOUR] },
    { scope: 'address', every: 10, windowMs: HOUR, holdsMs: [HOUR] },
  ],
  /**
   * Wrong second-factor codes (for the two-factor step): the password is known to be right, so the
   * account counts from every address: 5 wrong codes hold it for 1 minute, 10 for 5, 15 for 15, then an
   * hour at every 5 more, per UTC day; 20 wrong codes from one address in an hour hold the address.
   */
  two_factor: [
    { scope: 'account', every: 5, windowMs: DAY, holdsMs: [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR] },
    { scope: 'address', every: 20, windowMs: HOUR, holdsMs: [HOUR] },
  ],
} as const satisfies Record<string, readonly ThrottleRule[]>;

type ThrottleKind = keyof typeof throttleRules;

/** Who is counted: the account (an email, normalised here, or a user id) and the client address. */
interface ThrottleSubject {
  account?: string | number | null;
  address?: string | null;
}

/** A hold in force: which scope, until when, and the seconds for Retry-After (at least 1). */
export interface ThrottleHold {
  kind: ThrottleKind;
  scope: ThrottleScope;
  until: Date;
  retryAfterSeconds: number;
}

/** An email as one account: trimmed, lower case, Unicode NFC (as findUserByEmail compares). */
export const normaliseAccount = (account: string | number): string => String(account).normalize('NFC').trim().toLowerCase();

/** Expands an IPv6 address into its eight groups (null when it is not one). */
function ipv6Groups(address: string): number[] | null {
  if (!net.isIPv6(address)) return null;
  let text = address.split('%')[0];
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * A client address as one source: IPv4 as it is (also when written as ::ffff:1.2.3.4), IPv6 by its
 * /64 network (one machine or home usually has a whole /64 to pick addresses from).
 */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (mapped) return mapped[1];
  const groups = ipv6Groups(trimmed);
  if (!groups) return trimmed.toLowerCase();
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** "45 seconds", "1 minute", "5 minutes", "1 hour", "2 hours": how long until the next try, rounded up. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} ${s === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60 || (minutes > 60 && minutes < 120)) return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
}

export interface Throttle {
  /** The longest hold in force for this subject, or null. Counts nothing. */
  check(kind: ThrottleKind, subject: ThrottleSubject, now: Date): Promise<ThrottleHold | null>;
  /** Counts one hit (a failure, a request) for every scope the subject has; returns the longest hold this hit began, or null. */
  hit(kind: ThrottleKind, subject: ThrottleSubject, now: Date): Promise<ThrottleHold | null>;
  /** Forgets the counts of these scopes (a right password clears its account and address pair). */
  clear(kind: ThrottleKind, subject: ThrottleSubject, scopes: ThrottleScope[]): Promise<void>;
}

/**
 * The throttle of one database. `secret` keys the HMACs that stand for accounts and addresses in the
 * table (every process must use the same: the session secret does).
 */
export function createThrottle(db: Knex, secret: string): Throttle {
  const keyOf = crypto.createHmac('sha256', secret).update('touchpoint throttle keys').digest();
  const digest = (text: string) => crypto.createHmac('sha256', keyOf).update(text).digest('hex').slice(0, 40);

  /** The subject's value for a scope, or null when the subject lacks a part of it. */
  function subjectOf(scope: ThrottleScope, subject: ThrottleSubject): string | null {
    const account = subject.account === undefined || subject.account === null || subject.account === '' ? null : normaliseAccount(subject.account);
    const address = subject.address ? normaliseAddress(subject.address) : null;
    if (scope === 'account') return account;
    if (scope === 'address') return address;
    return account !== null && address !== null ? `${account}\n${address}` : null;
  }

  const keys = (kind: ThrottleKind, rule: ThrottleRule, subject: ThrottleSubject) => {
    const value = subjectOf(rule.scope, subject);
    if (value === null) return null;
    const id = `${kind}:${rule.scope}:${rule.windowMs}:${digest(`${kind}\n${rule.scope}\n${value}`)}`;
    return { count: `throttle:${id}`, hold: `hold:${id}` };
  };

  const holdOf = (kind: ThrottleKind, scope: ThrottleScope, until: Date, now: Date): ThrottleHold => ({
    kind,
    scope,
    until,
    retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)),
  });

  return {
    async check(kind, subject, now) {
      let longest: ThrottleHold | null = null;
      for (const rule of throttleRules[kind] as readonly ThrottleRule[]) {
        const key = keys(kind, rule, subject);
        if (!key) continue;
        const until = await heldUntil(db, key.hold, now);
        if (until && (!longest || until > longest.until)) longest = holdOf(kind, rule.scope, until, now);
      }
      return longest;
    },

    async hit(kind, subject, now) {
      let longest: ThrottleHold | null = null;
      for (const rule of throttleRules[kind] as readonly ThrottleRule[]) {
        const key = keys(kind, rule, subject);
        if (!key) continue;
        const count = await countHit(db, key.count, rule.windowMs, now);
        if (count % rule.every !== 0) continue;
        const holdMs = rule.holdsMs[Math.min(count / rule.every, rule.holdsMs.length) - 1];
        const until = new Date(now.getTime() + holdMs);
        await holdKey(db, key.hold, until);
        if (!longest || until > longest.until) longest = holdOf(kind, rule.scope, until, now);
      }
      return longest;
    },

    async clear(kind, subject, scopes) {
      for (const rule of throttleRules[kind] as readonly ThrottleRule[]) {
        if (!scopes.includes(rule.scope)) continue;
        const key = keys(kind, rule, subject);
        if (key) await forgetKey(db, key.count);
      }
    },
  };
}
