import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

// Where webhooks may go (SSRF guard, docs/notifications.md). Integrators give URLs; Hekim must
// not become a way to reach its own network: loopback, link-local (cloud metadata), private
// and shared ranges are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS (tests, an EHR on the
// same premises). Unspecified, multicast and reserved addresses are never allowed. The check
// runs when the endpoint is registered and again on every connection (the DNS answer may
// change after registration), on the address actually connected to.
export interface TargetPolicy {
  httpsOnly: boolean;
  allowPrivate: boolean;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

const NEVER = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NEVER.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const)
  NEVER.addSubnet(net, prefix, 'ipv6');

// Why an address may not be connected to, or undefined when it may.
export function addressRefusal(address: string, policy: TargetPolicy): string | undefined {
  let ip = address;
  let family: 'ipv4' | 'ipv6' = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  // An IPv4-mapped IPv6 address is its IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) {
    ip = mapped[1];
    family = 'ipv4';
  }
  if (NEVER.check(ip, family)) return 'a reserved, unspecified or multicast address';
  if (!policy.allowPrivate && PRIVATE.check(ip, family))
    return 'a loopback, link-local or private address';
  return undefined;
}

// Problems with the URL itself (scheme, credentials, literal addresses).
export function urlRefusal(raw: string, policy: TargetPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && (policy.httpsOnly || url.protocol !== 'http:'))
    return policy.httpsOnly ? 'must be an https:// URL' : 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = addressRefusal(host, policy);
    if (refusal) return `must not point at ${refusal}`;
  }
  return undefined;
}

// Resolves the host and checks every address it has. A name that does not resolve is not a
// refusal: the endpoint is accepted and its deliveries fail visibly until it does.
export async function resolvedRefusal(
  raw: string,
  policy: TargetPolicy,
): Promise<string | undefined> {
  const shape = urlRefusal(raw, policy);
  if (shape) return shape;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return undefined;
  const addresses = await new Promise<LookupAddress[]>((resolve) =>
    dnsLookup(host, { all: true }, (err, found) => resolve(err ? [] : found)),
  );
  for (const a of addresses) {
    const refusal = addressRefusal(a.address, policy);
    if (refusal) return `must not point at ${refusal} (${host} resolves to one)`;
  }
  return undefined;
}

export class ForbiddenTargetError extends Error {
  readonly code = 'FORBIDDEN_TARGET';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

// A `lookup` for http.request that refuses forbidden addresses at connection time.
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, []);
      const bad = found.find((a) => addressRefusal(a.address, policy));
      if (bad) return callback(new ForbiddenTargetError(`refused target ${hostname}`), []);
      const wantsAll = (options as { all?: boolean }).all === true;
      if (wantsAll) return callback(null, found);
      callback(null, found[0].address, found[0].family);
    });
  };
}
