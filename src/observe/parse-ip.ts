// Pure parsing of `ip -j -d` output into the model. Only the fields the model has are kept.
import { addressKey, routeKey, type Address, type Link, type LinkKind, type MacvlanMode, type Route } from '../model/state.js';

/** The parts of an `ip -j -d link show` entry that we read. */
export interface IpLinkJson {
  ifindex?: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  address?: string;
  master?: string;
  ifalias?: string;
  link_type?: string;
  /** The lower link (vlan, macvlan; a veth's peer) when it is in the same namespace. */
  link?: string | null;
  /** The lower link when it is in another namespace: its ifindex there… */
  link_index?: number;
  /** …and the id this namespace gives that one. */
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: IpLinkInfoData; info_slave_data?: { hairpin?: boolean } };
  inet6_addr_gen_mode?: string;
}

/** `linkinfo.info_data` of the kinds the model knows: vxlan, macvlan, vlan. */
export interface IpLinkInfoData {
  id?: number;
  port?: number;
  local?: string;
  link?: string;
  learning?: boolean;
  proxy?: boolean;
  mode?: string;
}

/** An `ip -j addr show` entry. (Its link details lack inet6_addr_gen_mode, hence the separate link dump.) */
export interface IpAddrJson {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface IpRouteJson {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}

const OWNER_MARK = 'wirestate';
const NETNS_MARK = /^wirestate netns (\S+)/;
const ENDPOINT_MARK = /^wirestate endpoint (\S+) /;

/** `ip -j … -batch -` prints one JSON array per command, one per line. */
export function splitBatchJson(stdout: string, commands: number): unknown[][] {
  const arrays = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  if (arrays.length !== commands || !arrays.every(Array.isArray)) {
    throw new Error(`expected ${commands} JSON arrays from ip, got: ${stdout.slice(0, 200)}`);
  }
  return arrays as unknown[][];
}

const KINDS: readonly string[] = ['bridge', 'veth', 'vxlan', 'macvlan', 'vlan'] satisfies LinkKind[];

function kindOf(l: IpLinkJson): LinkKind | undefined {
  if (l.link_type === 'loopback') return 'loopback';
  const kind = l.linkinfo?.info_kind;
  return kind !== undefined && KINDS.includes(kind) ? (kind as LinkKind) : undefined;
}

/** Names a link's lower link as the model's `parent`: the host link it is stacked on. */
export type ParentOf = (l: IpLinkJson) => string | undefined;

/** In the host namespace the lower link is one of the host's own. */
export const hostParent: ParentOf = (l) => (typeof l.link === 'string' ? l.link : undefined);

/**
 * In an endpoint namespace a macvlan's lower link is in the host namespace: link_netnsid is the
 * host's id there (`hostNsid`) and link_index its ifindex among `hostLinks`. A lower link anywhere
 * else gets a name with a space, which no host link has, so it never passes for the desired parent.
 */
export function endpointParent(hostNsid: number | undefined, hostLinks: ReadonlyMap<number, string>): ParentOf {
  return (l) => {
    if (l.link_netnsid === undefined) return typeof l.link === 'string' ? `${l.link} in the endpoint namespace` : undefined;
    // Older kernels leave IFLA_LINK out when the lower link's ifindex (in its namespace) equals the link's own.
    const index = l.link_index ?? l.ifindex;
    return (l.link_netnsid === hostNsid && index !== undefined ? hostLinks.get(index) : undefined) ?? `ifindex ${index ?? '?'} in netnsid ${l.link_netnsid}`;
  };
}

/** ifindex → name of the links in a dump (ip's JSON always has both). */
export const linkNames = (links: IpLinkJson[]): Map<number, string> => new Map(links.flatMap((l) => (l.ifindex !== undefined ? [[l.ifindex, l.ifname] as const] : [])));

/** The attributes of a tunnel, macvlan or vlan that the model keeps. */
function kindDetails(kind: LinkKind, l: IpLinkJson, parentOf: ParentOf): Partial<Link> {
  const data = l.linkinfo?.info_data ?? {};
  const name = parentOf(l);
  const parent = name !== undefined ? { parent: name } : {};
  switch (kind) {
    case 'vxlan':
      return {
        vxlan: {
          vni: data.id ?? 0,
          port: data.port ?? 0,
          local: data.local ?? '',
          ...(data.link ? { dev: data.link } : {}),
          learning: data.learning ?? true,
          proxy: data.proxy ?? false,
        },
      };
    case 'macvlan':
      return { ...(data.mode ? { macvlan: { mode: data.mode as MacvlanMode } } : {}), ...parent };
    case 'vlan':
      return { vlan: { id: data.id ?? 0 }, ...parent };
    default:
      return {};
  }
}

/** undefined for kinds the model has no place for (e.g. the tunl0/sit0 a kernel module adds to every namespace). */
function parseLink(l: IpLinkJson, parentOf: ParentOf): Link | undefined {
  const kind = kindOf(l);
  if (kind === undefined) return undefined;
  return {
    name: l.ifname,
    kind,
    ...(l.ifalias ? { alias: l.ifalias } : {}),
    ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
    // A loopback's all-zero address is not a MAC anyone chooses.
    ...(l.address && kind !== 'loopback' ? { mac: l.address } : {}),
    ...(l.master ? { master: l.master } : {}),
    ...(l.linkinfo?.info_slave_data?.hairpin !== undefined ? { hairpin: l.linkinfo.info_slave_data.hairpin } : {}),
    ...kindDetails(kind, l, parentOf),
    up: l.flags?.includes('UP') ?? false,
    // Without the attribute the kernel has no IPv6 at all, so the link gets no IPv6 address either.
    ipv6: l.inet6_addr_gen_mode !== undefined && l.inet6_addr_gen_mode !== 'none',
  };
}

/** ip prints host routes without "/32"; the model always carries the prefix length. */
const normaliseDst = (dst: string): string => (dst === 'default' || dst.includes('/') ? dst : `${dst}/32`);

export interface ParsedNamespace {
  links: Record<string, Link>;
  addresses: Record<string, Address>;
  routes: Record<string, Route>;
  /** Names of the links not taken as owned. */
  foreignLinks: string[];
  /** Destinations (not default) of the routes not on owned links, deduplicated. */
  foreignRoutes: string[];
}

/** Splits one namespace's links, addresses and main-table routes into the owned model and the rest. */
export function parseNamespace(
  links: IpLinkJson[],
  addrs: IpAddrJson[],
  routes: IpRouteJson[],
  owns: (l: IpLinkJson) => boolean,
  parentOf: ParentOf = hostParent,
): ParsedNamespace {
  const out: ParsedNamespace = { links: {}, addresses: {}, routes: {}, foreignLinks: [], foreignRoutes: [] };
  for (const raw of links) {
    const link = owns(raw) ? parseLink(raw, parentOf) : undefined;
    if (link) out.links[link.name] = link;
    else out.foreignLinks.push(raw.ifname);
  }
  for (const { ifname, addr_info = [] } of addrs) {
    const link = out.links[ifname];
    if (!link) continue;
    for (const a of addr_info) {
      // The kernel gives lo 127.0.0.1/8 by itself when it comes up; nobody plans that address.
      if (a.family !== 'inet' || (link.kind === 'loopback' && a.local === '127.0.0.1' && a.prefixlen === 8)) continue;
      const address: Address = { dev: ifname, cidr: `${a.local}/${a.prefixlen}` };
      out.addresses[addressKey(address)] = address;
    }
  }
  const foreign = new Set<string>();
  for (const r of routes) {
    const dst = normaliseDst(r.dst);
    const owned = r.dev !== undefined && r.dev in out.links && (r.type ?? 'unicast') === 'unicast';
    if (!owned) {
      if (dst !== 'default') foreign.add(dst);
    } else if (r.protocol !== 'kernel') {
      // Connected routes follow from the addresses; only routes someone added are part of the model.
      const route: Route = { dst, dev: r.dev as string, ...(r.gateway ? { via: r.gateway } : {}) };
      out.routes[routeKey(route)] = route;
    }
  }
  out.foreignRoutes = [...foreign];
  return out;
}

/** Every IPv4 address in the dump, owned or not → its link and that link's MTU (where an overlay's tunnel starts). */
export function addressFacts(links: IpLinkJson[], addrs: IpAddrJson[]): Record<string, { dev: string; mtu?: number }> {
  const mtu = new Map(links.map((l) => [l.ifname, l.mtu]));
  const out: Record<string, { dev: string; mtu?: number }> = {};
  for (const { ifname, addr_info = [] } of addrs) {
    for (const a of addr_info) if (a.family === 'inet') out[a.local] = { dev: ifname, ...(mtu.get(ifname) !== undefined ? { mtu: mtu.get(ifname) } : {}) };
  }
  return out;
}

/** Host and foreign namespaces: a link is owned when its alias carries the mark. */
export const hasOwnerMark = (l: IpLinkJson): boolean => l.ifalias?.startsWith(OWNER_MARK) ?? false;

/** The endpoint named by the `lo` alias of a namespace wirestate created; undefined when not created by it. */
export function ownedNetnsEndpoint(links: IpLinkJson[]): string | undefined {
  const lo = links.find((l) => l.link_type === 'loopback');
  return lo?.ifalias ? NETNS_MARK.exec(lo.ifalias)?.[1] : undefined;
}

/** The endpoint named by the first owned endpoint link's alias, if any. */
export function endpointFromLinks(links: Iterable<Link>): string | undefined {
  for (const l of links) {
    const m = l.alias ? ENDPOINT_MARK.exec(l.alias) : null;
    if (m) return m[1];
  }
  return undefined;
}
