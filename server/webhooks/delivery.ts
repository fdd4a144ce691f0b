import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import type { Deps } from '../deps.ts';
import { DAY, HOUR, MINUTE } from '../clock.ts';
import { writeTransaction } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { processWorkerId } from '../db/worker-id.ts';
import { renewWhileHeld } from '../db/lease.ts';
import { guardedLookup, literalHostRefused } from './address-guard.ts';
import { tellAdminsWebhookOff } from './off-mail.ts';
import { chatBody } from './chat.ts';
import { claimDueMessages, disableEndpoint, findEndpoint, recordAttempt, renewMessageClaims, updateEndpoint, type EndpointRow, type MessageRow } from './queries.ts';

/**
 * The webhook worker pass (issue 14): claims due messages of the outbox, signs each the Standard Webhooks
 * way and POSTs it, and records the attempt: a 2xx delivers it; anything else, a timeout or a refused
 * address tries again later (RETRY_DELAYS_MS), then fails it; a 410 turns the endpoint off, and so does
 * failing for FAILING_DAYS in a row. At least once: the claim is held like the sending worker's (a lease of
 * WORKER_LEASE_SECONDS, renewed every third of it while the pass runs), so a message whose worker died is
 * claimed again once its lease has run out, with the same webhook-id, and a live worker's never is.
 */

/** After the nth failed attempt the next waits RETRY_DELAYS_MS[n - 1]; after the last, the message fails. */
export const RETRY_DELAYS_MS = [5_000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
const TIMEOUT_MS = 10_000;
/** An endpoint failing every attempt this long is turned off. */
const FAILING_DAYS = 5;
const CLAIM_LIMIT = 100;
const CONCURRENT = 10;
/** How much of an answer an attempt keeps. */
const KEPT_CHARS = 500;

/** The webhook-signature header: v1 signatures with the secret, and with the previous one while a rotation overlaps (at `now`). */
function signatures(endpoint: Pick<EndpointRow, 'secret' | 'previous_secret' | 'previous_secret_until'>, messageId: string, sentAt: Date, payload: string, now: Date): string {
  const secrets = [endpoint.secret];
  if (endpoint.previous_secret && endpoint.previous_secret_until && endpoint.previous_secret_until > now.toISOString()) secrets.push(endpoint.previous_secret);
  return secrets.map((secret) => new Webhook(secret).sign(messageId, sentAt, payload)).join(' ');
}

interface Answer {
  status: number;
  body: string;
}

/** POSTs `payload` to `url` once: no redirects followed, every resolved address checked, 10 s at most. */
function post(url: URL, headers: Record<string, string>, payload: string, allowPrivate: boolean): Promise<Answer> {
  const refused = literalHostRefused(url, allowPrivate);
  if (refused) return Promise.reject(refused);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Touchpoint-Webhooks/1', 'content-length': Buffer.byteLength(payload), ...headers },
        lookup: guardedLookup(allowPrivate),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < KEPT_CHARS) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, KEPT_CHARS) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(err.name === 'AbortError' ? new Error(`no answer within ${TIMEOUT_MS / 1000} s`) : err));
    req.end(payload);
  });
}

export interface WebhookRun {
  delivered: number;
  retried: number;
  failed: number;
}

/** One pass: every due message (up to CLAIM_LIMIT), CONCURRENT at a time. */
export async function deliverDueWebhooks(deps: Deps, owner = processWorkerId): Promise<WebhookRun> {
  const run: WebhookRun = { delivered: 0, retried: 0, failed: 0 };
  const now = deps.clock.now();
  const staleBefore = toDbTime(new Date(now.getTime() - deps.config.workerLeaseMs));
  const claimed = await writeTransaction(deps.db, (trx) => claimDueMessages(trx, owner, toDbTime(now), staleBefore, CLAIM_LIMIT));
  if (claimed.length === 0) return run;
  const queue = [...claimed];
  /** Claimed and not yet recorded: what the lease renewal keeps. */
  const held = new Set(claimed.map((m) => m.id));
  const worker = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      try {
        const outcome = await deliverOne(deps, m, owner);
        if (outcome) run[outcome]++;
      } catch (err) {
        // The message stays claimed; it is taken again once the lease runs out.
        deps.log.error({ err, webhookMessage: m.message_id }, 'delivering a webhook failed');
      } finally {
        held.delete(m.id);
      }
    }
  };
  const stopRenewing = renewWhileHeld(deps.config.workerLeaseMs, held, (ids) => renewMessageClaims(deps.db, ids, owner, toDbTime(deps.clock.now())), deps.log, 'webhook messages');
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT, queue.length) }, worker));
  } finally {
    stopRenewing();
  }
  if (run.delivered || run.retried || run.failed) deps.log.info(run, 'webhooks delivered');
  return run;
}

async function deliverOne(deps: Deps, message: MessageRow, owner: string): Promise<keyof WebhookRun | null> {
  const endpoint = await findEndpoint(deps.db, message.endpoint_id);
  const attemptAt = deps.clock.now();
  // The header's time is the wire's (receivers compare it with their clock); the payload's is when it happened.
  const sentAt = new Date();
  let status: number | null = null;
  let response: string | null = null;
  let error: string | null = null;
  const started = performance.now();
  if (!endpoint || endpoint.disabled_at !== null) {
    error = 'The endpoint is turned off';
  } else {
    try {
      // A chat gets the alert formatted for it (no signature: Slack and Teams keep the URL secret); a webhook the signed message.
      const answer =
        endpoint.kind === 'webhook'
          ? await post(
              new URL(endpoint.url),
              { 'webhook-id': message.message_id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signatures(endpoint, message.message_id, sentAt, message.payload, attemptAt) },
              message.payload,
              deps.config.webhookAllowPrivate,
            )
          : await post(new URL(endpoint.url), {}, chatBody(endpoint.kind, message.payload, deps.config.baseUrl), deps.config.webhookAllowPrivate);
      status = answer.status;
      response = answer.body;
    } catch (err) {
      error = (err as Error).message || String(err);
    }
  }
  const durationMs = Math.round(performance.now() - started);
  const delivered = status !== null && status >= 200 && status < 300;
  const attempts = message.attempts + 1;
  const gone = status === 410;
  const last = !delivered && (gone || !endpoint || endpoint.disabled_at !== null || attempts > RETRY_DELAYS_MS.length);
  const nowIso = toDbTime(attemptAt);
  const next = delivered
    ? { state: 'delivered' as const, attempts, next_attempt_at: message.next_attempt_at, finished_at: nowIso }
    : last
      ? { state: 'failed' as const, attempts, next_attempt_at: message.next_attempt_at, finished_at: nowIso }
      : { state: 'pending' as const, attempts, next_attempt_at: toDbTime(new Date(attemptAt.getTime() + RETRY_DELAYS_MS[attempts - 1])), finished_at: null };
  /** Why this attempt turned the endpoint off, if it did. */
  let turnedOff: string | null = null;
  const recorded = await writeTransaction(deps.db, async (trx) => {
    turnedOff = null;
    if (!(await recordAttempt(trx, { id: message.id, owner }, { at: nowIso, status, duration_ms: durationMs, response, error }, next))) return false;
    if (!endpoint || endpoint.disabled_at !== null) return true;
    if (delivered) {
      if (endpoint.failing_since) await updateEndpoint(trx, endpoint.id, { failing_since: null });
    } else if (gone) {
      const reason = `The endpoint answered 410 Gone on ${nowIso}`;
      if (await disableEndpoint(trx, endpoint.id, reason, nowIso)) turnedOff = reason;
    } else {
      const since = endpoint.failing_since ?? nowIso;
      if (attemptAt.getTime() - Date.parse(since) >= FAILING_DAYS * DAY) {
        const reason = `Every delivery failed for ${FAILING_DAYS} days (since ${since})`;
        if (await disableEndpoint(trx, endpoint.id, reason, nowIso)) turnedOff = reason;
      } else if (!endpoint.failing_since) {
        await updateEndpoint(trx, endpoint.id, { failing_since: nowIso });
      }
    }
    return true;
  });
  if (!recorded) return null;
  if (turnedOff && endpoint) await tellAdminsWebhookOff(deps, endpoint, turnedOff, nowIso);
  return delivered ? 'delivered' : next.state === 'failed' ? 'failed' : 'retried';
}
