// IPAM: subnets from the default pools and endpoint addresses, lowest free first, and stable:
// what was handed out before is kept while it is still valid, so edits never renumber others.
import { broadcastOf, cidrsOverlap, firstUsable, formatIpv4, networkOf, parseCidr, parseIpv4 } from '../net/ipv4.js';

export interface Pool {
  base: string;
  size: number;
}

/** Docker's local-scope pools: 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s. */
export const DOCKER_DEFAULT_POOLS: Pool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

function* poolSubnets(pool: Pool): Generator<string> {
  const { prefix } = parseCidr(pool.base);
  if (pool.size < prefix) return;
  const step = 2 ** (32 - pool.size);
  const start = networkOf(pool.base);
  const count = 2 ** (pool.size - prefix);
  for (let i = 0; i < count; i++) yield `${formatIpv4((start + i * step) >>> 0)}/${pool.size}`;
}

/**
 * Picks a subnet for every network in `wanted` (names, in order): the previous one if it still
 * collides with nothing in `taken`, else the first free subnet of the pools.
 */
export function allocateSubnets(
  wanted: string[],
  previous: Record<string, string>,
  taken: string[],
  pools: Pool[],
): { subnets: Record<string, string>; exhausted: string[] } {
  const used = [...taken];
  const subnets: Record<string, string> = {};
  const free = (c: string) => !used.some((t) => cidrsOverlap(t, c));
  for (const name of wanted) {
    const prev = previous[name];
    if (prev && free(prev)) {
      subnets[name] = prev;
      used.push(prev);
    }
  }
  const exhausted: string[] = [];
  for (const name of wanted) {
    if (subnets[name]) continue;
    let found: string | undefined;
    for (const pool of pools) {
      for (const c of poolSubnets(pool)) {
        if (free(c)) {
          found = c;
          break;
        }
      }
      if (found) break;
    }
    if (found) {
      subnets[name] = found;
      used.push(found);
    } else exhausted.push(name);
  }
  return { subnets, exhausted };
}

export interface AddressRequest {
  key: string;
  static?: string;
}

/** Default gateway: the subnet's first usable address, as Docker gives `.1`. */
export const defaultGateway = (subnet: string): string => firstUsable(subnet);

/**
 * Addresses for one network's attachments. Static addresses first, then previous allocations still
 * inside the dynamic range and not taken, then the lowest free address for the rest (in request order).
 */
export function allocateAddresses(
  subnet: string,
  gateway: string,
  ipRange: string | undefined,
  requests: AddressRequest[],
  previous: Record<string, string>,
): { addresses: Record<string, string>; full: string[] } {
  const { prefix } = parseCidr(subnet);
  const taken = new Set<number>([parseIpv4(gateway)]);
  if (prefix < 31) {
    taken.add(networkOf(subnet));
    taken.add(broadcastOf(subnet));
  }
  const addresses: Record<string, string> = {};
  for (const r of requests) {
    if (r.static) {
      addresses[r.key] = r.static;
      taken.add(parseIpv4(r.static));
    }
  }
  const range = ipRange ?? subnet;
  const lo = networkOf(range);
  const hi = broadcastOf(range);
  for (const r of requests) {
    const prev = previous[r.key];
    if (r.static || !prev) continue;
    const n = parseIpv4(prev);
    if (n >= lo && n <= hi && !taken.has(n)) {
      addresses[r.key] = prev;
      taken.add(n);
    }
  }
  const full: string[] = [];
  let cursor = lo;
  for (const r of requests) {
    if (addresses[r.key]) continue;
    while (cursor <= hi && taken.has(cursor)) cursor++;
    if (cursor > hi) {
      full.push(r.key);
      continue;
    }
    addresses[r.key] = formatIpv4(cursor);
    taken.add(cursor);
  }
  return { addresses, full };
}
