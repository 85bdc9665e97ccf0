// Reads the kernel into Observed with as few spawns as possible: one `ip -j -d -batch -` per
// namespace (in parallel), one iptables-save for the host, one sysctl reader per namespace that
// needs one. Never writes.
import { emptyNamespace, HOST_NS, type NamespaceState, type Observed } from '../model/state.js';
import { DEFAULT_POOL_LIMIT, listNetns, mapPool, run } from '../kernel/run.js';
import { readSysctls } from '../kernel/sysctl.js';
import {
  endpointFromLinks,
  hasOwnerMark,
  ownedNetnsEndpoint,
  parseNamespace,
  splitBatchJson,
  type IpAddrJson,
  type IpLinkJson,
  type IpRouteJson,
  type ParsedNamespace,
} from './parse-ip.js';
import { parseIptablesSave } from './parse-iptables.js';

export interface ObserveRequest {
  hostNetns: string | null;
  /** Endpoint namespaces to look at (names or paths); missing ones are simply absent from the result. */
  namespaces: string[];
  /** Names under /run/netns starting with this are looked at too (namespaces wirestate may have created earlier). Empty: none. */
  ownedPrefix: string;
  /** sysctl keys to read, per namespace key (HOST_NS or the netns string), e.g. { '@host': ['net.ipv4.ip_forward'] }. */
  sysctls: Record<string, string[]>;
  /** Read the host namespace's firewall (false when settings.iptables is false). */
  firewall: boolean;
}

const DUMP = 'link show\naddr show\nroute show table main\n';

interface Dump {
  links: IpLinkJson[];
  addrs: IpAddrJson[];
  routes: IpRouteJson[];
}

/** undefined when the namespace does not exist. */
async function dumpNamespace(netns: string | null): Promise<Dump | undefined> {
  for (let attempt = 0; ; attempt++) {
    const res = await run('ip', ['-j', '-d', '-batch', '-'], { netns, input: DUMP });
    if (res.code !== 0 && /cannot open/i.test(res.stderr)) return undefined;
    // A dump that raced a change may be inconsistent; the kernel says so and one retry settles it.
    if (/Dump was interrupted/.test(res.stderr + res.stdout) && attempt === 0) continue;
    if (res.code !== 0) throw new Error(`ip failed in namespace ${netns ?? '(current)'}: ${res.stderr.trim()}`);
    const [links, addrs, routes] = splitBatchJson(res.stdout, 3);
    return { links: links as IpLinkJson[], addrs: addrs as IpAddrJson[], routes: routes as IpRouteJson[] };
  }
}

const toState = (ns: NamespaceState, p: ParsedNamespace): NamespaceState => ({ ...ns, links: p.links, addresses: p.addresses, routes: p.routes });

async function observeEndpoint(netns: string, sysctlKeys: string[]): Promise<NamespaceState | undefined> {
  const [dump, sysctls] = await Promise.all([dumpNamespace(netns), readSysctls(netns, sysctlKeys)]);
  if (!dump) return undefined;
  const createdFor = ownedNetnsEndpoint(dump.links);
  // In a namespace wirestate created everything is its own, even a link whose alias an interrupted apply never set.
  const parsed = parseNamespace(dump.links, dump.addrs, dump.routes, createdFor !== undefined ? () => true : hasOwnerMark);
  const endpoint = createdFor ?? endpointFromLinks(Object.values(parsed.links));
  return { ...toState(emptyNamespace(netns, createdFor !== undefined, endpoint), parsed), sysctls };
}

async function observeFirewall(netns: string | null): Promise<NamespaceState['firewall']> {
  const res = await run('iptables-save', [], { netns });
  if (res.code !== 0) throw new Error(`iptables-save failed in namespace ${netns ?? '(current)'}: ${res.stderr.trim()}`);
  return parseIptablesSave(res.stdout);
}

export async function observe(req: ObserveRequest): Promise<Observed> {
  const netnsNames = listNetns();
  const prefixed = req.ownedPrefix ? netnsNames.filter((n) => n.startsWith(req.ownedPrefix)) : [];
  const sysctlNamespaces = Object.keys(req.sysctls).filter((k) => k !== HOST_NS);
  const endpoints = [...new Set([...req.namespaces, ...prefixed, ...sysctlNamespaces])].filter((n) => n !== req.hostNetns);

  const [hostDump, hostSysctls, firewall, endpointStates] = await Promise.all([
    dumpNamespace(req.hostNetns),
    readSysctls(req.hostNetns, req.sysctls[HOST_NS] ?? []),
    req.firewall ? observeFirewall(req.hostNetns) : undefined,
    mapPool(endpoints, DEFAULT_POOL_LIMIT, (n) => observeEndpoint(n, req.sysctls[n] ?? [])),
  ]);
  if (!hostDump) throw new Error(`host network namespace ${req.hostNetns} does not exist`);

  const host = parseNamespace(hostDump.links, hostDump.addrs, hostDump.routes, hasOwnerMark);
  const namespaces: Record<string, NamespaceState> = {
    [HOST_NS]: { ...toState(emptyNamespace(req.hostNetns, false), host), sysctls: hostSysctls, ...(firewall ? { firewall } : {}) },
  };
  endpoints.forEach((n, i) => {
    const state = endpointStates[i];
    if (state) namespaces[n] = state;
  });
  return {
    state: { namespaces },
    facts: { foreignLinks: host.foreignLinks, foreignRoutes: host.foreignRoutes, netnsNames },
  };
}
