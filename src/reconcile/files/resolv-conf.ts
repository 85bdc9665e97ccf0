// An endpoint's resolv.conf, as Docker writes it. Pure.
//   user-defined network with DNS: "nameserver 127.0.0.11", the host's (or dnsSearch's) search
//     list, its (or dnsOptions') options plus ndots:0 unless ndots is set; the real servers become
//     the embedded resolver's upstreams.
//   default bridge, none, or DNS off: the host's servers (or dns's) without loopback and IPv6
//     ones — they would not answer from inside the endpoint — else Google's, Docker's fallback.
import { managedFile } from './header.js';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** The address the embedded resolver answers at inside every endpoint that has it. */
export const EMBEDDED_RESOLVER = '127.0.0.11';
/** What Docker writes when the host has no server an endpoint could reach. */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** glibc's reading: every nameserver line; the last search or domain line wins; options add up. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const [key, ...values] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.search = values;
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';
const isIpv6 = (ip: string): boolean => ip.includes(':');

/** ndots takes a non-negative integer; Docker drops any other value before adding its own. */
const NDOTS = /^ndots:(\d+)$/;
const isNdots = (o: string): boolean => o.startsWith('ndots:');

export interface EndpointDns {
  /** The endpoint has the embedded resolver: it is on a user-defined network with DNS on. */
  resolver: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

/** `dnsSearch: ["."]` means no search list at all, as in Docker. */
function searchList(host: ResolvConf, ep: EndpointDns): string[] {
  if (!ep.dnsSearch) return host.search;
  return ep.dnsSearch.filter((d) => d !== '.');
}

export function renderResolvConf(host: ResolvConf, ep: EndpointDns): string {
  let nameservers: string[];
  let options = ep.dnsOptions ?? host.options;
  if (ep.resolver) {
    nameservers = [EMBEDDED_RESOLVER];
    options = options.filter((o) => !isNdots(o) || NDOTS.test(o));
    if (!options.some(isNdots)) options = [...options, 'ndots:0'];
  } else {
    nameservers = (ep.dns ?? host.nameservers).filter((ip) => !isLoopback(ip) && !isIpv6(ip));
    if (nameservers.length === 0) nameservers = FALLBACK_NAMESERVERS;
  }
  const search = searchList(host, ep);
  return managedFile([
    ...nameservers.map((ns) => `nameserver ${ns}`),
    ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...(options.length ? [`options ${options.join(' ')}`] : []),
  ]);
}

/** Docker's rule: with an ndots above 0 set by the user, an unknown single-label name is answered empty so the stub tries the search list. */
export const userNdots = (ep: { dnsOptions?: string[] }): boolean => (ep.dnsOptions ?? []).some((o) => Number(NDOTS.exec(o)?.[1] ?? 0) > 0);
