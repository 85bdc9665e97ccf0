// Docker-shaped views (`network ls`, `network inspect`) of the networks as the kernel has them:
// built from the observed model only, so they show what is, not what the YAML wishes. A bridge
// network is its bridge; an overlay its bridge with a VXLAN port; a macvlan network has no link of
// its own (unless wirestate made its parent), so it is seen through its endpoints' macvlans.
import { createHash } from 'node:crypto';
import type { HostState, Link, NamespaceState } from '../../model/state.js';
import { HOST_NS } from '../../model/state.js';
import { normalizeCidr } from '../../net/ipv4.js';
import { DNAT_CHAIN_PREFIX } from '../../reconcile/firewall/iptables.js';
import { GWBRIDGE } from '../../spec/defaults.js';

const id = (kind: string, name: string) => createHash('sha256').update(`wirestate ${kind} ${name}`).digest('hex');
const NETWORK = /^wirestate network (\S+)$/;
const PARENT = /^wirestate network (\S+) parent$/;
const ENDPOINT = /^wirestate endpoint (\S+) network (\S+)$/;

export interface NetworkView {
  Name: string;
  Id: string;
  Scope: 'local' | 'swarm';
  Driver: 'bridge' | 'overlay' | 'macvlan' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  /** Docker leaves out what a network does not have: an overlay's or an internal macvlan's gateway. */
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: { Subnet: string; Gateway?: string }[] };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string; Ports: string[] }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Overlays only: the hosts this one tunnels to for the network, and itself. */
  Peers?: { Name: string; IP: string }[];
}

function builtin(name: 'host' | 'none'): NetworkView {
  return {
    Name: name,
    Id: id('network', name),
    Scope: 'local',
    Driver: name === 'host' ? 'host' : 'null',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

const DNAT = /^(?:-s \S+ )?(?:-d (\S+)\/32 )?-p (\w+) -m \w+ --dport (\d+) (?:-m comment --comment "[^"]*" )?-j DNAT --to-destination ([\d.]+):(\d+)$/;

/** Published ports as the kernel has them: endpoint address → "hostIp:port->target/proto". */
function publishedPorts(nat: Record<string, string[] | null>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [chain, rules] of Object.entries(nat)) {
    if (!chain.startsWith(DNAT_CHAIN_PREFIX)) continue;
    for (const rule of rules ?? []) {
      const m = DNAT.exec(rule);
      if (!m) continue;
      const text = `${m[1] ?? '0.0.0.0'}:${m[3]}->${m[5]}/${m[2]}`;
      const list = out.get(m[4]) ?? [];
      // allowFrom writes one rule per source: show the mapping once.
      if (!list.includes(text)) list.push(text);
      out.set(m[4], list);
    }
  }
  return out;
}

/** One endpoint's interface on one network, as its namespace has it. */
interface Attachment {
  endpoint: string;
  network: string;
  link: Link;
  /** "10.0.9.2/24", or "" when it has none. */
  cidr: string;
}

/** An endpoint namespace: its attachments by network, and the network its default route goes through. */
interface EndpointSeen {
  attachments: Map<string, Attachment>;
  way?: { network: string; via?: string };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function endpointsOf(state: HostState): EndpointSeen[] {
  const out: EndpointSeen[] = [];
  for (const key of Object.keys(state.namespaces).sort(byName)) {
    if (key === HOST_NS) continue;
    const ns: NamespaceState = state.namespaces[key];
    const attachments = new Map<string, Attachment>();
    for (const link of Object.values(ns.links)) {
      const m = link.kind === 'veth' || link.kind === 'macvlan' ? ENDPOINT.exec(link.alias ?? '') : null;
      if (!m) continue;
      const cidr = Object.values(ns.addresses).find((a) => a.dev === link.name)?.cidr ?? '';
      attachments.set(m[2], { endpoint: m[1], network: m[2], link, cidr });
    }
    const route = Object.values(ns.routes).find((r) => r.dst === 'default');
    const through = route && [...attachments.values()].find((a) => a.link.name === route.dev);
    out.push({ attachments, ...(through ? { way: { network: through.network, ...(route.via ? { via: route.via } : {}) } } : {}) });
  }
  return out;
}

/**
 * Whether the endpoints here show `network` (an overlay or macvlan one) internal. Such a network
 * leaves no mark of its own in the kernel when it is internal; what it changes is its endpoints'
 * way out: compile routes an endpoint out through its first non-internal network in name order
 * (an overlay's through the gateway bridge), and an internal network gives none. So an endpoint on
 * `network` with no default route, or with one through networks that all sort after `network`,
 * shows it internal: were it not, it would be that endpoint's way out. When no endpoint here
 * shows it (each goes out through a network sorting before it, or through the gateway bridge that
 * may be this overlay's), the kernel cannot tell, and it shows as not internal, the default.
 */
function shownInternal(network: string, endpoints: EndpointSeen[], overlays: ReadonlySet<string>): boolean {
  return endpoints.some((e) => {
    if (!e.attachments.has(network)) return false;
    const way = e.way?.network;
    // Through the gateway bridge: the way out is one of the endpoint's overlays, which one the kernel does not say.
    const candidates = way === undefined ? [] : way === GWBRIDGE ? [...e.attachments.keys()].filter((n) => overlays.has(n)) : [way];
    return candidates.every((c) => c > network);
  });
}

/** The network's attachments here, by endpoint name. */
const attachmentsTo = (network: string, endpoints: EndpointSeen[]): Attachment[] =>
  endpoints.flatMap((e) => (e.attachments.has(network) ? [e.attachments.get(network)!] : [])).sort((a, b) => byName(a.endpoint, b.endpoint));

/** Overlay and macvlan networks hold no address on the host: their endpoints' addresses tell the subnet. */
function subnetOf(attachments: Attachment[]): string {
  const cidr = attachments.find((a) => a.cidr)?.cidr;
  return cidr ? normalizeCidr(cidr) : '';
}

function containersOf(attachments: Attachment[], ports: Map<string, string[]>): NetworkView['Containers'] {
  const out: NetworkView['Containers'] = {};
  for (const a of attachments) {
    out[id('endpoint', a.endpoint)] = {
      Name: a.endpoint,
      EndpointID: id('attachment', `${a.endpoint}/${a.network}`),
      MacAddress: a.link.mac ?? '',
      IPv4Address: a.cidr,
      IPv6Address: '',
      Ports: ports.get(a.cidr.split('/')[0]) ?? [],
    };
  }
  return out;
}

/** This host (where the tunnel starts) and every host a static forwarding entry sends frames to. */
function peersOf(host: NamespaceState, tunnel: Link, hostNames: ReadonlyMap<string, string>): NonNullable<NetworkView['Peers']> {
  const remote = Object.values(host.fdb ?? {}).flatMap((f) => (f.dev === tunnel.name ? [f.dst] : []));
  const addresses = new Set([...(tunnel.vxlan?.local ? [tunnel.vxlan.local] : []), ...remote]);
  return [...addresses].map((ip) => ({ Name: hostNames.get(ip) ?? ip, IP: ip })).sort((a, b) => byName(a.Name, b.Name) || byName(a.IP, b.IP));
}

function macvlanView(name: string, attachments: Attachment[], endpoints: EndpointSeen[], overlays: ReadonlySet<string>, made: Link | undefined, ports: Map<string, string[]>): NetworkView {
  // A bridge as the parent is the stand-in of a network without one: internal, as Docker's are.
  const standIn = made?.kind === 'bridge';
  const parent = standIn ? undefined : (attachments.find((a) => a.link.parent)?.link.parent ?? made?.name);
  const mode = attachments.find((a) => a.link.macvlan)?.link.macvlan?.mode;
  const gateway = endpoints.find((e) => e.way?.network === name && e.way.via)?.way?.via;
  const subnet = subnetOf(attachments);
  return {
    Name: name,
    Id: id('network', name),
    Scope: 'local',
    Driver: 'macvlan',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: subnet ? [{ Subnet: subnet, ...(gateway ? { Gateway: gateway } : {}) }] : [] },
    Internal: standIn || shownInternal(name, endpoints, overlays),
    Attachable: false,
    Ingress: false,
    Containers: containersOf(attachments, ports),
    Options: { ...(parent ? { parent } : {}), ...(mode ? { macvlan_mode: mode } : {}) },
    Labels: {},
  };
}

/** `hostNames`: underlay address → name under `hosts:`, to name an overlay's peers (else by address). */
export function networkViews(state: HostState, hostNames: ReadonlyMap<string, string> = new Map()): NetworkView[] {
  const host = state.namespaces[HOST_NS];
  const filter = host?.firewall?.tables.filter?.chains ?? {};
  const nat = host?.firewall?.tables.nat?.chains ?? {};
  const ports = publishedPorts(nat);
  const endpoints = endpointsOf(state);
  const hostLinks = Object.values(host?.links ?? {});
  // An overlay's bridge is the one with a VXLAN port (and, being layer 2 only, no address).
  const bridges = hostLinks.flatMap((link) => {
    const m = link.kind === 'bridge' ? NETWORK.exec(link.alias ?? '') : null;
    return m ? [{ name: m[1], link, tunnel: hostLinks.find((l) => l.kind === 'vxlan' && l.master === link.name) }] : [];
  });
  const overlays = new Set(bridges.filter((b) => b.tunnel).map((b) => b.name));
  const views: NetworkView[] = [];
  for (const { name, link, tunnel } of bridges) {
    const br = link.name;
    const attachments = attachmentsTo(name, endpoints);
    const addr = Object.values(host.addresses).find((a) => a.dev === br);
    const subnet = addr ? normalizeCidr(addr.cidr) : subnetOf(attachments);
    const has = (rules: string[] | null | undefined, rule: string) => (rules ?? []).includes(rule);
    views.push({
      Name: name,
      Id: id('network', name),
      Scope: tunnel ? 'swarm' : 'local',
      Driver: tunnel ? 'overlay' : 'bridge',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: addr ? [{ Subnet: subnet, Gateway: addr.cidr.split('/')[0] }] : subnet ? [{ Subnet: subnet }] : [] },
      // A bridge network is internal by firewall rules that name its bridge; an overlay by giving its endpoints no way out.
      Internal: tunnel ? shownInternal(name, endpoints, overlays) : has(filter['WIRESTATE-INTERNAL'], `! -s ${subnet} -o ${br} -j DROP`),
      Attachable: false,
      Ingress: false,
      Containers: containersOf(attachments, ports),
      Options: {
        ...(tunnel?.vxlan ? { 'com.docker.network.driver.overlay.vxlanid_list': String(tunnel.vxlan.vni) } : {}),
        'com.docker.network.bridge.name': br,
        'com.docker.network.bridge.enable_icc': String(!has(filter['WIRESTATE-FORWARD'], `-i ${br} -o ${br} -j DROP`)),
        'com.docker.network.bridge.enable_ip_masquerade': String(has(nat['WIRESTATE-POSTROUTING'], `-s ${subnet} ! -o ${br} -j MASQUERADE`)),
        'com.docker.network.driver.mtu': String(link.mtu ?? ''),
        ...(name === 'bridge' ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}),
      },
      Labels: {},
      ...(tunnel ? { Peers: peersOf(host, tunnel, hostNames) } : {}),
    });
  }
  // Macvlan networks: those an endpoint here has a macvlan on, and those whose parent wirestate made here.
  const made = new Map<string, Link>();
  for (const l of hostLinks) {
    const m = PARENT.exec(l.alias ?? '');
    if (m) made.set(m[1], l);
  }
  const macvlans = new Set([...endpoints.flatMap((e) => [...e.attachments.values()].filter((a) => a.link.kind === 'macvlan').map((a) => a.network)), ...made.keys()]);
  for (const name of macvlans) views.push(macvlanView(name, attachmentsTo(name, endpoints), endpoints, overlays, made.get(name), ports));
  views.push(builtin('host'), builtin('none'));
  return views.sort((a, b) => byName(a.Name, b.Name));
}
