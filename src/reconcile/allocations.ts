// What IPAM handed out before: kept in the state file and rebuilt from the kernel, so that
// subnets, addresses and interface names stay the same across passes and restarts.
import { HOST_NS, type HostState } from '../model/state.js';
import { ALLOCATION_COMMENT, DNAT_CHAIN_PREFIX } from './firewall/iptables.js';
import { normalizeCidr } from '../net/ipv4.js';

export interface Allocations {
  /** network → subnet allocated from the default pools (only networks declared without one). */
  subnets: Record<string, string>;
  /** "endpoint/network" → IPv4 address. */
  addresses: Record<string, string>;
  /** "endpoint/network" → interface name inside the endpoint (eth0, eth1, …). */
  interfaces: Record<string, string>;
  /** Published-port request → the host port chosen for it (random ports and ports from a range). */
  ports: Record<string, number>;
}

export const emptyAllocations = (): Allocations => ({ subnets: {}, addresses: {}, interfaces: {}, ports: {} });

/**
 * Into objects without a prototype, which V8 keeps as dictionaries from the start: `{ ...a, ...b }`
 * adds a thousand keys one hidden-class transition at a time (measured in the controller at 1000
 * endpoints: 50–100 ms a pass, against ~2 ms).
 */
const merged = <T>(low: Record<string, T>, high: Record<string, T>): Record<string, T> => Object.assign(Object.create(null) as Record<string, T>, low, high);

/** The state file wins; the kernel fills what the file lacks (a lost or older state file). */
export function mergeAllocations(fromFile: Allocations, fromKernel: Allocations): Allocations {
  return {
    subnets: merged(fromKernel.subnets, fromFile.subnets),
    addresses: merged(fromKernel.addresses, fromFile.addresses),
    interfaces: merged(fromKernel.interfaces, fromFile.interfaces),
    ports: merged(fromKernel.ports, fromFile.ports),
  };
}

const NETWORK_ALIAS = /^wirestate network (\S+)$/;
const ENDPOINT_ALIAS = /^wirestate endpoint (\S+) network (\S+)$/;

/** What the kernel shows was handed out: bridges' subnets, endpoints' interfaces and addresses, chosen ports. */
export function allocationsFromObserved(observed: HostState): Allocations {
  const out = emptyAllocations();
  for (const [chain, rules] of Object.entries(observed.namespaces[HOST_NS]?.firewall?.tables.nat?.chains ?? {})) {
    if (!chain.startsWith(DNAT_CHAIN_PREFIX)) continue;
    for (const rule of rules ?? []) {
      const key = ALLOCATION_COMMENT.exec(rule)?.[1];
      const port = / --dport (\d+) /.exec(rule)?.[1];
      if (key && port) out.ports[key] = Number(port);
    }
  }
  for (const ns of Object.values(observed.namespaces)) {
    for (const link of Object.values(ns.links)) {
      const addr = Object.values(ns.addresses).find((a) => a.dev === link.name);
      const net = link.kind === 'bridge' ? NETWORK_ALIAS.exec(link.alias ?? '') : null;
      if (net && addr) {
        out.subnets[net[1]] = normalizeCidr(addr.cidr);
      }
      const ep = (link.kind === 'veth' || link.kind === 'macvlan') && !link.master ? ENDPOINT_ALIAS.exec(link.alias ?? '') : null;
      if (ep) {
        const key = `${ep[1]}/${ep[2]}`;
        out.interfaces[key] = link.name;
        if (addr) out.addresses[key] = addr.cidr.split('/')[0];
      }
    }
  }
  return out;
}
