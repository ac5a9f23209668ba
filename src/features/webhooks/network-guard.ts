// Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only. Loopback,
// private, link-local, shared (CGNAT), unspecified, multicast and reserved ranges are refused, in IPv4 and
// IPv6, including IPv4 written inside IPv6 (::ffff:127.0.0.1, ::7f00:1, 64:ff9b::a00:1), unless
// WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. The check is made when an endpoint is saved and again at every
// delivery, which then connects to the very address it checked (a DNS answer that changed in between,
// or changes between the check and the connection, cannot send it inward).
import { lookup } from 'node:dns/promises';
import net from 'node:net';

const BLOCKED = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // ::, ::1 and the IPv4-compatible addresses
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** The 16 bytes of an IPv6 address (net.isIPv6 must hold). */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const groups =
    tail === undefined ? part(head) : [...part(head), ...Array<string>(8 - part(head).length - part(tail).length).fill('0'), ...part(tail)];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96), if any. */
function embeddedIpv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address);
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const mapped = zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
  const nat64 = bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12);
  return mapped || nat64 ? bytes.slice(12).join('.') : undefined;
}

/** Whether a resolved address is one a webhook must not be sent to (see the module comment). */
export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(address);
  if (inner !== undefined) return BLOCKED.check(inner, 'ipv4');
  return BLOCKED.check(address.split('%')[0]!, 'ipv6');
}

export class UnsafeTarget extends Error {
  override name = 'UnsafeTarget';
}

/** A webhook URL's syntax: absolute http or https, no credentials, no fragment. Throws UnsafeTarget. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeTarget('must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeTarget(`must be an http:// or https:// URL (got "${url.protocol}")`);
  }
  if (url.username !== '' || url.password !== '') throw new UnsafeTarget('must not contain a user name or password');
  if (url.hash !== '' || raw.includes('#')) throw new UnsafeTarget('must not contain a #fragment');
  if (url.hostname === '') throw new UnsafeTarget('must name a host');
  return url;
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host and checks every address it resolves to; answers the first, to connect to.
 * Throws UnsafeTarget when the host does not resolve or any address is refused (unless allowPrivate).
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<ResolvedTarget> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: { address: string; family: number }[];
  if (net.isIP(host) !== 0) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch (error) {
      throw new UnsafeTarget(`its host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (addresses.length === 0) throw new UnsafeTarget(`its host ${host} does not resolve`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => isBlockedAddress(a.address));
    if (refused) {
      throw new UnsafeTarget(
        `its host ${host} is (or resolves to) ${refused.address}, a loopback, private, link-local or reserved address; set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow such targets`,
      );
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
