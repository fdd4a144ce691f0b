import dns from 'node:dns';
import net from 'node:net';

/**
 * Where a webhook may go (issue 14, "safe to point anywhere"): https:// only, and never to loopback,
 * private, link-local, shared, documentation, multicast or cloud metadata addresses, checked on the URL when
 * it is saved and on every address its host resolves to at every delivery (the lookup the request
 * connects with, so a name that later resolves elsewhere is caught). WEBHOOK_ALLOW_PRIVATE=true lifts both
 * rules for development and tests.
 */

const notPublic = new net.BlockList();
const ipv4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const ipv6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  // NAT64 addresses name IPv4 hosts behind a translator: refused. (IPv4-mapped ones, ::ffff:a.b.c.d, are
  // checked by BlockList as the IPv4 address they map.)
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
];
for (const [address, prefix] of ipv4) notPublic.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of ipv6) notPublic.addSubnet(address, prefix, 'ipv6');

const NOT_PUBLIC = 'must not point to a loopback, private, link-local or metadata address';

/** Whether an IP address is one a webhook may be sent to. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  return family !== 0 && !notPublic.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** What is wrong with a webhook URL (the reason, for the field `url`), or null. */
export function webhookUrlProblem(text: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL such as https://example.com/hooks/touchpoint';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'must start with https://';
  if (url.username || url.password) return 'must not hold a user name or password';
  if (allowPrivate) return null;
  const host = hostOf(url).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) !== 0 && !isPublicAddress(host))) return NOT_PUBLIC;
  return null;
}

/** Thrown (as the request's error) when the host resolves to an address a webhook may not go to. */
export class AddressRefused extends Error {
  readonly code = 'EADDRNOTPUBLIC';
}

/**
 * The `lookup` of the delivery request: resolves the host and refuses it when any of its addresses is
 * not public (unless `allowPrivate`). An IP literal is not looked up by Node: checkLiteralHost covers it.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(new AddressRefused(`${hostname} resolves to ${refused.address}: webhooks ${NOT_PUBLIC.replace('must ', '')}`), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The error for a URL whose host is an IP literal that is not public (Node connects to those without a lookup), else null. */
export function literalHostRefused(url: URL, allowPrivate: boolean): AddressRefused | null {
  const host = hostOf(url);
  if (allowPrivate || net.isIP(host) === 0 || isPublicAddress(host)) return null;
  return new AddressRefused(`${host}: webhooks ${NOT_PUBLIC.replace('must ', '')}`);
}
