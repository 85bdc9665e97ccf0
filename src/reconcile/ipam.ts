// IPAM: subnets from the default pools and endpoint addresses, lowest free first, and stable:
// what was handed out before is kept while it is still valid, so edits never renumber others.
// Networks that span hosts cannot remember (every host must agree): allocateShared, at the end.
import { createHash } from 'node:crypto';
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

export interface SharedRequest extends AddressRequest {
  /** The host the endpoint runs on: its address comes from that host's share of the range. */
  host: string;
}

/** Where in its share an attachment looks first: a hash of its key, so it does not depend on who else is there. */
function home(key: string, size: number): number {
  return Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 12), 16) % size;
}

/**
 * Addresses on a network that spans hosts (an overlay), computed from the spec alone so that every
 * host gets the same answer for every endpoint, its own and the others', without talking.
 *
 * - No two hosts hand out the same address, even while they reconcile different versions of the
 *   spec: the dynamic range is cut into one equal share per host (hosts sorted by name) and an
 *   endpoint's address always comes from its own host's share.
 * - Within a share, an attachment takes the first free address at or after its home (a hash of
 *   its key), attachments taken in order of home then key: each address is handed out once.
 * - Stable: an attachment's address depends on the attachments of the same host whose home falls
 *   in the run of taken addresses before its own, and on nothing else; at the low fill of a share
 *   that is almost always none, so endpoints come and go without renumbering the others.
 *   Changing `hosts:` re-cuts the shares and so renumbers.
 * Static addresses, the gateway, and the subnet's network and broadcast addresses are never handed out.
 */
export function allocateShared(
  subnet: string,
  gateway: string,
  ipRange: string | undefined,
  hosts: readonly string[],
  requests: SharedRequest[],
): { addresses: Record<string, string>; full: { key: string; share: string }[] } {
  const taken = new Set<number>([parseIpv4(gateway), networkOf(subnet), broadcastOf(subnet)]);
  const addresses: Record<string, string> = {};
  for (const r of requests) {
    if (!r.static) continue;
    addresses[r.key] = r.static;
    taken.add(parseIpv4(r.static));
  }
  const range = ipRange ?? subnet;
  const lo = networkOf(range);
  const order = [...hosts].sort();
  const size = Math.floor((broadcastOf(range) - lo + 1) / Math.max(order.length, 1));
  const full: { key: string; share: string }[] = [];
  order.forEach((host, i) => {
    const start = lo + i * size;
    const share = `${formatIpv4(start)}–${formatIpv4(start + size - 1)}`;
    const mine = requests
      .filter((r) => r.host === host && !r.static)
      .map((r) => ({ key: r.key, home: size > 0 ? home(r.key, size) : 0 }))
      .sort((a, b) => a.home - b.home || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const r of mine) {
      let found: number | undefined;
      for (let step = 0; step < size && found === undefined; step++) {
        const candidate = start + ((r.home + step) % size);
        if (!taken.has(candidate)) found = candidate;
      }
      if (found === undefined) {
        full.push({ key: r.key, share });
        continue;
      }
      taken.add(found);
      addresses[r.key] = formatIpv4(found);
    }
  });
  return { addresses, full };
}
