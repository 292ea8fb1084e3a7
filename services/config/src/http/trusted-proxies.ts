import { BlockList, isIP } from 'node:net';
import type Koa from 'koa';

// X-Forwarded-For, -Proto and -Host are whatever the sender wrote. Only a proxy we run (the ingress
// controller) writes them truthfully, so they are believed only when the TCP peer is one of
// TRUSTED_PROXIES; from anyone else the request is what the socket says. The client address feeds
// the sign-in throttle and the audit, so a stranger who could name it could both dodge the
// throttle and get someone else refused.

/**
 * Loopback and the private ranges, as Rails' RemoteIp trusts them by default: in the chart the only
 * peer of the config pods with such an address is the ingress controller (the NetworkPolicy admits
 * its namespace alone), so a first install behind TLS gets Secure cookies, HSTS and a client address
 * per browser without another setting. Where strangers reach config from private addresses, name
 * the ingress controller's range instead.
 */
export const DEFAULT_TRUSTED_PROXIES = '127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

export interface TrustedProxies {
  /** The ranges as configured, for the start-up log. */
  readonly ranges: readonly string[];
  has(address: string): boolean;
}

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) is 10.0.0.1; a bracketed IPv6 is bare. */
function plainAddress(address: string): string {
  const bare = address.trim().replace(/^\[(.*)\](?::\d+)?$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped) return mapped;
  // Some proxies write `address:port` in X-Forwarded-For.
  return /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(bare)?.[1] ?? bare;
}

/**
 * TRUSTED_PROXIES: comma-separated CIDRs or single addresses, or `none`. Returns the problems
 * (naming an entry by position) for the environment check to report.
 */
export function parseTrustedProxies(value: string): { proxies: TrustedProxies; problems: string[] } {
  const list = new BlockList();
  const ranges: string[] = [];
  const problems: string[] = [];
  const entries = value.trim() === 'none' ? [] : value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || rest.length > 0 || !(bits <= max)) {
      problems.push(`entry ${index + 1} is not an address or CIDR range (like 10.0.0.0/8 or fc00::/7)`);
      return;
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
    ranges.push(`${address}/${bits}`);
  });
  return {
    proxies: {
      ranges,
      has: (address) => {
        const plain = plainAddress(address);
        const family = isIP(plain);
        return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
      },
    },
    problems,
  };
}

const firstValue = (header: string) => header.split(',')[0]?.trim() ?? '';

/**
 * The client of a request that came through `peer`: walking X-Forwarded-For from the right (each
 * proxy appends the address it was reached from), the first address that is not a trusted proxy.
 * Entries to its left were written by the client itself and are never believed.
 */
export function clientAddress(peer: string, forwardedFor: string, trusted: TrustedProxies): string {
  let client = plainAddress(peer);
  if (!trusted.has(client)) return client;
  const hops = forwardedFor.split(',').map(plainAddress).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    // An unreadable entry ends the walk at the last address a trusted hop vouched for.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return client;
}

/**
 * First middleware of the service's routes: sets the request's protocol (so `ctx.secure`, the
 * Secure cookie and HSTS), host and client address from the forwarded headers when the peer is a
 * trusted proxy, and from the socket otherwise.
 */
export function forwardedByTrustedProxies(trusted: TrustedProxies): Koa.Middleware {
  return async (ctx, next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    const viaProxy = trusted.has(peer);
    const encrypted = (ctx.req.socket as { encrypted?: boolean }).encrypted === true;
    const forwardedProto = viaProxy ? firstValue(ctx.get('x-forwarded-proto')).toLowerCase() : '';
    const protocol = encrypted || forwardedProto === 'https' ? 'https' : 'http';
    Object.defineProperty(ctx.request, 'protocol', { value: protocol, configurable: true });
    const forwardedHost = viaProxy ? firstValue(ctx.get('x-forwarded-host')) : '';
    if (forwardedHost)
      Object.defineProperty(ctx.request, 'host', { value: forwardedHost, configurable: true });
    ctx.request.ip = viaProxy ? clientAddress(peer, ctx.get('x-forwarded-for'), trusted) : plainAddress(peer);
    await next();
  };
}
