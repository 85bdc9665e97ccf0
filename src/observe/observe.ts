// Reads the kernel into Observed with as few spawns as possible: one `ip -4 -j -d -batch -` and one
// iptables-save for the host, one nsdump.py for all endpoint namespaces together (the same JSON
// as ip's, from one process that hops through them), one sysctl reader per namespace that needs
// one; the managed files and the services wirestate runs through naming.ts. Never writes. With a
// session of the controller's ObserveCache, endpoint namespaces it still holds are not read again.
import { emptyNamespace, HOST_NS, type NamespaceState, type Observed } from '../model/state.js';
import { dumpNamespaces, type NetnsDump, type NetnsDumpResult } from '../kernel/nsdump.js';
import { DEFAULT_POOL_LIMIT, listNetns, mapPool, run } from '../kernel/run.js';
import { readSysctls } from '../kernel/sysctl.js';
import type { CacheSession } from './cache.js';
import { observeForwarding } from './forwarding.js';
import { addNaming, etcNetnsNames, observeNaming } from './naming.js';
import {
  addressFacts,
  endpointFromLinks,
  endpointParent,
  hasOwnerMark,
  linkNames,
  ownedNetnsEndpoint,
  parseNamespace,
  splitBatchJson,
  type IpAddrJson,
  type IpLinkJson,
  type IpRouteJson,
  type ParentOf,
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
  /** Managed files of the host namespace to read (the DNS records); endpoint files are found under /etc/netns/<name>/. */
  hostFiles?: string[];
  /** Services to look for by name (`dns`): whether they run and what they serve. */
  services?: string[];
}

const DUMP = 'link show\naddr show\nroute show table main\n';

/**
 * The host namespace through ip (endpoint namespaces go through dumpNamespaces); undefined when it
 * does not exist. -4: `addr show` then lists only the links with an IPv4 address, not every link
 * with its details again (measured at 1000 endpoints: 1.3 MB of JSON and ~30 ms less per pass).
 */
export async function dumpWithIp(netns: string | null): Promise<NetnsDump | undefined> {
  for (let attempt = 0; ; attempt++) {
    const res = await run('ip', ['-4', '-j', '-d', '-batch', '-'], { netns, input: DUMP });
    if (res.code !== 0 && /cannot open/i.test(res.stderr)) return undefined;
    // A dump that raced a change may be inconsistent; the kernel says so and one retry settles it.
    if (/Dump was interrupted/.test(res.stderr + res.stdout) && attempt === 0) continue;
    if (res.code !== 0) throw new Error(`ip failed in namespace ${netns ?? '(current)'}: ${res.stderr.trim()}`);
    const [links, addrs, routes] = splitBatchJson(res.stdout, 3);
    return { links, addrs, routes };
  }
}

const toState = (ns: NamespaceState, p: ParsedNamespace): NamespaceState => ({ ...ns, links: p.links, addresses: p.addresses, routes: p.routes });

const parseDump = (d: NetnsDump, owns: (l: IpLinkJson) => boolean, parentOf?: ParentOf): ParsedNamespace =>
  parseNamespace(d.links as IpLinkJson[], d.addrs as IpAddrJson[], d.routes as IpRouteJson[], owns, parentOf);

/** Pure: an endpoint namespace's state from its dump. `hostLinks`: the host's link names by ifindex, its macvlans' parents. */
export function endpointState(netns: string, dump: NetnsDump, sysctls: Record<string, string>, hostLinks: ReadonlyMap<number, string> = new Map()): NamespaceState {
  const createdFor = ownedNetnsEndpoint(dump.links as IpLinkJson[]);
  // In a namespace wirestate created everything is its own, even a link whose alias an interrupted apply never set.
  const parsed = parseDump(dump, createdFor !== undefined ? () => true : hasOwnerMark, endpointParent(dump.hostNsid, hostLinks));
  const endpoint = createdFor ?? endpointFromLinks(Object.values(parsed.links));
  return { ...toState(emptyNamespace(netns, createdFor !== undefined, endpoint), parsed), sysctls };
}

/** undefined for a namespace that does not exist. */
function endpointFrom(netns: string, result: NetnsDumpResult, sysctls: Record<string, string>, hostLinks: ReadonlyMap<number, string>): NamespaceState | undefined {
  if ('error' in result && result.error === 'missing') return undefined;
  if ('error' in result) throw new Error(`cannot read network namespace ${netns}: ${result.error}`);
  return endpointState(netns, result, sysctls, hostLinks);
}

async function observeFirewall(netns: string | null): Promise<NamespaceState['firewall']> {
  const res = await run('iptables-save', [], { netns });
  if (res.code !== 0) throw new Error(`iptables-save failed in namespace ${netns ?? '(current)'}: ${res.stderr.trim()}`);
  return parseIptablesSave(res.stdout);
}

const MISSING: NetnsDumpResult = { error: 'missing' };

export async function observe(req: ObserveRequest, opts: { cache?: CacheSession } = {}): Promise<Observed> {
  const netnsNames = listNetns();
  const present = new Set(netnsNames);
  const prefixed = req.ownedPrefix ? netnsNames.filter((n) => n.startsWith(req.ownedPrefix)) : [];
  const sysctlNamespaces = Object.keys(req.sysctls).filter((k) => k !== HOST_NS);
  // A namespace of ours deleted by hand leaves its /etc/netns/<name>/ behind: looked at too, for its files.
  const leftDirs = req.ownedPrefix ? etcNetnsNames().filter((n) => n.startsWith(req.ownedPrefix) && !present.has(n)) : [];
  const endpoints = [...new Set([...req.namespaces, ...prefixed, ...leftDirs, ...sysctlNamespaces])].filter((n) => n !== req.hostNetns);
  const readEndpoints = async (): Promise<{ dumps: Map<string, NetnsDumpResult>; reused: Map<string, NetnsDump> }> => {
    const { read, reused } = opts.cache ? await opts.cache.select(endpoints, present) : { read: endpoints, reused: new Map<string, NetnsDump>() };
    return { dumps: await dumpNamespaces(read, req.hostNetns), reused };
  };

  const naming = observeNaming({ hostNetns: req.hostNetns, endpoints, hostFiles: req.hostFiles ?? [], services: req.services ?? [] });
  const [hostDump, hostSysctls, firewall, { dumps: endpointDumps, reused }, endpointSysctls] = await Promise.all([
    dumpWithIp(req.hostNetns),
    readSysctls(req.hostNetns, req.sysctls[HOST_NS] ?? []),
    req.firewall ? observeFirewall(req.hostNetns) : undefined,
    readEndpoints(),
    mapPool(endpoints, DEFAULT_POOL_LIMIT, (n) => readSysctls(n, req.sysctls[n] ?? [])),
  ]);
  if (!hostDump) throw new Error(`host network namespace ${req.hostNetns} does not exist`);
  opts.cache?.keep(endpointDumps);

  const host = parseDump(hostDump, hasOwnerMark);
  // Only a host with overlay links has forwarding entries to read, and their names come from the dump.
  const forwarding = await observeForwarding(req.hostNetns, host.links);
  const namespaces: Record<string, NamespaceState> = {
    [HOST_NS]: { ...toState(emptyNamespace(req.hostNetns, false), host), sysctls: hostSysctls, ...(firewall ? { firewall } : {}), ...forwarding },
  };
  const hostLinks = linkNames(hostDump.links as IpLinkJson[]);
  endpoints.forEach((n, i) => {
    // dumpNamespaces answers for every namespace it was given, or throws; one neither read nor kept does not exist.
    const state = endpointFrom(n, endpointDumps.get(n) ?? reused.get(n) ?? MISSING, endpointSysctls[i] ?? {}, hostLinks);
    if (state) namespaces[n] = state;
  });
  const named = await naming;
  addNaming(namespaces, named);
  const leftoverFiles = Object.fromEntries(endpoints.filter((n) => !namespaces[n] && Object.keys(named.files.get(n) ?? {}).length).map((n) => [n, named.files.get(n)!]));
  return {
    state: { namespaces },
    facts: {
      foreignLinks: host.foreignLinks,
      foreignRoutes: host.foreignRoutes,
      netnsNames,
      addresses: addressFacts(hostDump.links as IpLinkJson[], hostDump.addrs as IpAddrJson[]),
      ...(named.resolvConf !== undefined ? { resolvConf: named.resolvConf } : {}),
      ...(Object.keys(leftoverFiles).length ? { leftoverFiles } : {}),
    },
  };
}
