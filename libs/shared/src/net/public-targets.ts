import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';

/**
 * Outbound requests the platform makes to URLs its users chose (webhooks, the MCP servers of
 * pipelines) may only reach the public Internet: this is the one rule of which addresses that is.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList
 * itself; the IPv6 transition ranges that embed an IPv4 address (NAT64, 6to4, Teredo) are refused
 * as a whole.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local, including fd00:ec2::254 (a cloud metadata address)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** A host refused as a target: it does not resolve (`address` null), or one of its addresses is not public. */
export class TargetRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly address: string | null,
  ) {
    super(address === null ? `${host} does not resolve` : `${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address`);
    this.name = TargetRefusedError.name;
  }
}

/**
 * Every address `host` resolves to (an IP literal is its own address), each checked unless
 * `allowPrivate`: one non-public address refuses the whole name, so a resolver cannot be made to
 * pick the bad one. Throws TargetRefusedError; each caller words it for its feature.
 */
export async function resolvePublicHost(host: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  const family = isIP(host);
  let addresses: LookupAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new TargetRefusedError(host, null);
    }
    if (addresses.length === 0) throw new TargetRefusedError(host, null);
  }
  if (!allowPrivate) {
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused) throw new TargetRefusedError(host, refused.address);
  }
  return addresses;
}

/**
 * net's `lookup` for a connection (an undici Agent's `connect.lookup`): answers only addresses that
 * `resolvePublicHost` checked, so a name re-pointed at a private address after it was checked (DNS
 * rebinding) is refused without connecting. An IP literal is connected to without any lookup: check
 * it with `resolvePublicHost` before the request. `refusal` turns a TargetRefusedError into the
 * caller's own error.
 */
export function publicHostLookup(allowPrivate: boolean, refusal: (error: TargetRefusedError) => Error): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublicHost(hostname, allowPrivate).then(
      (resolved) => {
        const addresses = options.family ? resolved.filter((entry) => entry.family === options.family) : resolved;
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address of the requested family`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0].address, addresses[0].family);
        }
      },
      (error: unknown) => callback(error instanceof TargetRefusedError ? refusal(error) : (error as Error), '', 0),
    );
  };
}
