// The embedded resolver's records: which names each user-defined network answers, and what each
// endpoint's resolver sees and forwards to. Pure.
import type { DnsRecords, ResolverView, Upstream } from '../dns/records.js';
import type { Endpoint, Spec } from '../spec/types.js';
import type { Attached } from './files/endpoint-files.js';
import type { ResolvConf } from './files/resolv-conf.js';
import { userNdots } from './files/resolv-conf.js';
import { DEFAULT_BRIDGE } from './networks.js';

/** Docker's maxExtDNS: at most three upstreams per endpoint. */
const MAX_UPSTREAMS = 3;

/** User-defined networks answer names unless `dns: false`; the default bridge never does. */
export const hasDns = (spec: Spec, network: string): boolean => network !== DEFAULT_BRIDGE && spec.networks[network]?.dns !== false;

/** Docker's DNS names of an endpoint on a network: its name, its hostname, the network's aliases. */
function dnsNames(spec: Spec, e: string, network: string): string[] {
  const ep = spec.endpoints[e];
  return [...new Set([e, ep.hostname ?? e, ...(ep.networks[network]?.aliases ?? [])].map((n) => n.toLowerCase()))];
}

/** The `dns` servers are dialled from the endpoint; without them the host's, unless every network is internal (Docker's proxyDNS=false). */
function upstreams(ep: Endpoint, host: ResolvConf, att: Attached[]): Upstream[] {
  if (ep.dns?.length) return ep.dns.slice(0, MAX_UPSTREAMS).map((address) => ({ address, from: 'endpoint' }));
  if (att.every((a) => a.bridge.internal)) return [];
  return host.nameservers.slice(0, MAX_UPSTREAMS).map((address) => ({ address, from: 'host' }));
}

/** Answers endpoint `e`'s names on `network` with `address` (and `address` with `e`). */
export function addNames(records: DnsRecords, spec: Spec, e: string, network: string, address: string): void {
  // Without a prototype: a name is any string, "__proto__" included.
  const net = (records.networks[network] ??= { names: Object.create(null) as Record<string, string[]>, ptr: Object.create(null) as Record<string, string> });
  for (const name of dnsNames(spec, e, network)) (net.names[name] ??= []).push(address);
  net.ptr[address] = e;
}

/** Adds endpoint `e` (in namespace `netns`, attached as `att`, its DNS networks `named`) to `records`. */
export function addEndpointRecords(records: DnsRecords, spec: Spec, e: string, netns: string, att: Attached[], named: Attached[], host: ResolvConf): void {
  for (const a of named) addNames(records, spec, e, a.network, a.address);
  if (named.length === 0) return;
  const ep = spec.endpoints[e];
  const view: ResolverView = { netns, networks: named.map((a) => a.network), upstreams: upstreams(ep, host, att), ndots: userNdots(ep) };
  records.endpoints[e] = view;
}
