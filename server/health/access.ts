import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a peer's address (req.socket.remoteAddress, never X-Forwarded-For) is this machine:
 * 127.0.0.0/8, ::1, or 127.x as an IPv4-mapped IPv6 address (a dual-stack listener's view of it).
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  const parts = v4.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Headers a reverse proxy adds: a request carrying one came through a proxy, from wherever it stands. */
const forwardingHeaders = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** What decides who may read /metrics (and the details of /readyz). */
export interface Caller {
  remoteAddress: string | undefined;
  headers: IncomingHttpHeaders;
}

/**
 * /metrics is for this machine and for a scraper holding METRICS_TOKEN:
 * - with METRICS_TOKEN set, a request with an Authorization header is let in only with
 *   `Bearer <METRICS_TOKEN>` (a wrong token is refused, from loopback too);
 * - otherwise the peer must be loopback and the request must not have come through a proxy (a proxy
 *   on this machine connects from loopback on behalf of anyone: its X-Forwarded-For / Forwarded /
 *   X-Real-IP header gives it away; these headers only ever refuse, they never let in).
 */
export function mayReadMetrics(caller: Caller, metricsToken: string | null): boolean {
  const authorization = caller.headers.authorization;
  if (metricsToken && authorization !== undefined) {
    const bearer = /^bearer[ \t]+(.*?)[ \t]*$/i.exec(authorization);
    return bearer !== null && sameSecret(bearer[1], metricsToken);
  }
  if (forwardingHeaders.some((name) => caller.headers[name] !== undefined)) return false;
  return isLoopbackAddress(caller.remoteAddress);
}

/** Compares in constant time (over digests, so the length of the token does not show either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}
