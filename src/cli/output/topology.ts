// The topology a drift report draws: networks, endpoints (namespaces) with their attachments, and
// published ports, each marked with the drift that touches it. Built from the desired and the
// observed HostState alone, through the ownership marks wirestate puts on links (`wirestate
// network N`, `wirestate network N vxlan`, `wirestate network N parent`, `wirestate endpoint E
// network N`), plus the spec for the ports and the names of other hosts. Endpoints on other hosts
// have no namespace here: an overlay shows them as a count per remote host, from the static
// forwarding entries that reach them, so hundreds of them are still one line per host.
import { GWBRIDGE } from '../../spec/defaults.js';
import {
  type FdbEntry,
  HOST_NS,
  type HostState,
  type Link,
  type MacvlanMode,
  type NamespaceState,
  type Neighbour,
  type XfrmPolicy,
  type XfrmState,
  fdbKey,
} from '../../model/state.js';
import { normalizeCidr } from '../../net/ipv4.js';
import type { DriftItem, DriftReport } from '../../reconcile/drift.js';
import { runsHere } from '../../reconcile/hosts.js';
import { isWirestateXfrm, vniOfXfrmTag } from '../../reconcile/names.js';
import type { Spec } from '../../spec/types.js';

export type TopoState = 'ok' | 'missing' | 'extra' | 'changed';

interface Marked {
  state: TopoState;
  /** The drift items that touch this element: "link ws-web missing". */
  drift: string[];
}

/** `gwbridge`: the gateway bridge, a bridge network that gives overlay endpoints their way out. */
export type TopoDriver = 'bridge' | 'gwbridge' | 'overlay' | 'macvlan';

/** A host an overlay tunnels to. */
export interface TopoPeer extends Marked {
  /** Its name under `hosts:`, or its underlay address when the spec names no host there. */
  host: string;
  /** Its underlay address: where the tunnel ends. */
  address: string;
  /** The remote endpoints reached there: the static forwarding entries that point at it. */
  endpoints: number;
}

export interface TopoOverlay {
  /** The VXLAN link, marked with its own drift; its VNI and UDP port when the link says. */
  vxlan: Marked & { name: string; vni?: number; port?: number };
  /** IPsec policies towards its peers, desired or found. */
  encrypted: boolean;
  peers: TopoPeer[];
}

export interface TopoMacvlan {
  /** The host link its endpoints' macvlans sit on; "" when it has none (an internal network). */
  parent: string;
  mode: MacvlanMode;
}

export interface TopoNetwork extends Marked {
  name: string;
  driver: TopoDriver;
  /** Its own link on the host: the bridge, or the parent a macvlan network's endpoints sit on when wirestate made it; "" when none. */
  bridge: string;
  subnet: string;
  overlay?: TopoOverlay;
  macvlan?: TopoMacvlan;
  /** The gateway bridge: the endpoints whose way out it is. */
  users?: string[];
}

export interface TopoAttachment extends Marked {
  network: string;
  ifname: string;
  /** "10.10.0.3/24", or "" when it has none. */
  address: string;
}

export interface TopoPort extends Marked {
  /** As the spec writes it: "8080:80", "127.0.0.1:8443:443/tcp", "8081 → 80/tcp". */
  text: string;
  /** The host port as iptables prints it after `--dport` ("8080", "9000:9002"); absent when the kernel picks one. */
  published?: string;
}

export interface TopoEndpoint extends Marked {
  name: string;
  /** Its namespace, or "" for an endpoint on the host network (no namespace of its own). */
  namespace: string;
  attachments: TopoAttachment[];
  ports: TopoPort[];
}

export interface Topology {
  networks: TopoNetwork[];
  endpoints: TopoEndpoint[];
  /** Drift on the host that belongs to no network or endpoint: firewall chains, sysctls. */
  host: Marked;
}

const NETWORK = /^wirestate network (\S+)$/;
const VXLAN = /^wirestate network (\S+) vxlan$/;
const PARENT = /^wirestate network (\S+) parent$/;
const ENDPOINT = /^wirestate endpoint (\S+) network (\S+)$/;

const presence = (desired: boolean, observed: boolean): TopoState => (desired && observed ? 'ok' : desired ? 'missing' : 'extra');
const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The same key from both sides, desired first: what is in either, and on which side. */
function union<T>(desired: Record<string, T> | undefined, observed: Record<string, T> | undefined): { key: string; value: T; state: TopoState }[] {
  const keys = [...new Set([...Object.keys(desired ?? {}), ...Object.keys(observed ?? {})])];
  return keys.map((key) => ({ key, value: (desired?.[key] ?? observed?.[key])!, state: presence(key in (desired ?? {}), key in (observed ?? {})) }));
}

const addressOn = (ns: NamespaceState | undefined, dev: string): string => Object.values(ns?.addresses ?? {}).find((a) => a.dev === dev)?.cidr ?? '';

/** `"8080:80"` → the host port as iptables prints it in `--dport`, or undefined when none is published. */
function publishedPort(port: string | number | { published?: number | string }): string | undefined {
  if (typeof port === 'object') return port.published === undefined ? undefined : String(port.published).replace('-', ':');
  const parts = String(port).split('/')[0]!.split(':');
  return parts.length >= 2 ? parts[parts.length - 2]!.replace('-', ':') : undefined;
}

function portText(port: string | number | { target: number; published?: number | string; protocol?: string; hostIp?: string }): string {
  if (typeof port !== 'object') return String(port);
  const host = port.published === undefined ? 'random port' : `${port.hostIp ? `${port.hostIp}:` : ''}${port.published}`;
  return `${host} → ${port.target}/${port.protocol ?? 'tcp'}`;
}

function mark(el: Marked, item: DriftItem, main: boolean): void {
  el.drift.push(`${item.kind} ${item.name} ${item.status}`);
  // Drift of the element's own kernel object says what happened to the element; anything else changes it.
  if (el.state === 'ok') el.state = main ? item.status : 'changed';
  else if (main && el.state === 'changed') el.state = item.status;
}

/** The hosts a VXLAN link tunnels to, from its forwarding entries on either side; each remote endpoint counted once, where the spec wants it. */
function peersOf(dev: string, dHost: NamespaceState | undefined, oHost: NamespaceState | undefined, hostNames: Map<string, string>): TopoPeer[] {
  const dsts = (fdb: Record<string, FdbEntry> | undefined) => new Set(Object.values(fdb ?? {}).flatMap((f) => (f.dev === dev ? [f.dst] : [])));
  const wanted = dsts(dHost?.fdb);
  const found = dsts(oHost?.fdb);
  const count = new Map<string, number>();
  for (const { value } of union(dHost?.fdb, oHost?.fdb)) if (value.dev === dev) count.set(value.dst, (count.get(value.dst) ?? 0) + 1);
  return [...new Set([...wanted, ...found])]
    .map((address): TopoPeer => ({ host: hostNames.get(address) ?? address, address, endpoints: count.get(address) ?? 0, state: presence(wanted.has(address), found.has(address)), drift: [] }))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.address < b.address ? -1 : 1));
}

export function topology(desired: HostState, observed: HostState, report: DriftReport, spec?: Spec, hostName?: string): Topology {
  const dHost = desired.namespaces[HOST_NS];
  const oHost = observed.namespaces[HOST_NS];
  const host: Marked = { state: 'ok', drift: [] };

  const networks = new Map<string, TopoNetwork>(); // by network name
  const devs = new Map<string, TopoNetwork>(); // a host link that is a network's own (bridge, VLAN or stand-in parent), by link name
  const vxlans = new Map<string, TopoNetwork>(); // overlays, by VXLAN link name
  const hostVeths = new Map<string, TopoAttachment>(); // host end of an attachment, by link name
  const macvlanParents: { network: string; link: Link; state: TopoState }[] = [];
  for (const { key, value, state } of union<Link>(dHost?.links, oHost?.links)) {
    const m = value.kind === 'bridge' ? NETWORK.exec(value.alias ?? '') : null;
    const parent = PARENT.exec(value.alias ?? '');
    if (parent) macvlanParents.push({ network: parent[1]!, link: value, state });
    if (!m) continue;
    const cidr = addressOn(dHost, key) || addressOn(oHost, key);
    const net: TopoNetwork = { name: m[1]!, driver: m[1] === GWBRIDGE ? 'gwbridge' : 'bridge', bridge: key, subnet: cidr ? normalizeCidr(cidr) : '', state, drift: [] };
    networks.set(net.name, net);
    devs.set(key, net);
  }
  // validate rejects two hosts with one address, so this is one to one.
  const hostNames = new Map(Object.entries(spec?.hosts ?? {}).map(([name, h]) => [h.address, name]));
  for (const { key, value, state } of union<Link>(dHost?.links, oHost?.links)) {
    const m = value.kind === 'vxlan' ? VXLAN.exec(value.alias ?? '') : null;
    if (!m) continue;
    // Found without its bridge (an overlay removed from the spec, its bridge deleted by hand): still its network's.
    const net = networks.get(m[1]!) ?? { name: m[1]!, driver: 'overlay', bridge: '', subnet: '', state, drift: [] };
    net.driver = 'overlay';
    net.overlay = {
      vxlan: { name: key, ...(value.vxlan ? { vni: value.vxlan.vni, port: value.vxlan.port } : {}), state, drift: [] },
      encrypted: Object.values({ ...oHost?.xfrmPolicies, ...dHost?.xfrmPolicies }).some((p) => isWirestateXfrm(p.mark) && vniOfXfrmTag(p.mark) === value.vxlan?.vni),
      peers: peersOf(key, dHost, oHost, hostNames),
    };
    networks.set(net.name, net);
    vxlans.set(key, net);
  }

  const endpoints = new Map<string, TopoEndpoint>(); // by namespace key
  // Macvlan networks have no link of their own unless wirestate made their parent: they are seen through their endpoints' links.
  const macvlans = new Map<string, { desired: boolean; observed: boolean; parent?: string; mode?: MacvlanMode }>();
  const macvlanOf = (network: string) => macvlans.get(network) ?? macvlans.set(network, { desired: false, observed: false }).get(network)!;
  for (const { key, value, state } of union<NamespaceState>(desired.namespaces, observed.namespaces)) {
    if (key === HOST_NS || !value.endpoint) continue;
    const dNs = desired.namespaces[key];
    const oNs = observed.namespaces[key];
    const attachments: TopoAttachment[] = [];
    for (const link of union<Link>(dNs?.links, oNs?.links)) {
      const m = ENDPOINT.exec(link.value.alias ?? '');
      if (!m) continue;
      attachments.push({ network: m[2]!, ifname: link.key, address: addressOn(dNs, link.key) || addressOn(oNs, link.key), state: link.state, drift: [] });
      if (link.value.kind !== 'macvlan') continue;
      const mv = macvlanOf(m[2]!);
      mv.desired ||= link.state !== 'extra';
      mv.observed ||= link.state !== 'missing';
      mv.parent ??= link.value.parent;
      mv.mode ??= link.value.macvlan?.mode;
    }
    endpoints.set(key, { name: value.endpoint, namespace: value.netns ?? key, state, drift: [], attachments: attachments.sort((a, b) => (a.network < b.network ? -1 : 1)), ports: [] });
  }
  for (const p of macvlanParents) {
    const mv = macvlanOf(p.network);
    mv.desired ||= p.state !== 'extra';
    mv.observed ||= p.state !== 'missing';
  }
  for (const [name, mv] of macvlans) {
    const made = macvlanParents.find((p) => p.network === name)?.link;
    // A stand-in parent (a bridge) means the network has none: it is internal.
    const parent = made ? (made.kind === 'vlan' ? made.name : '') : (mv.parent ?? spec?.networks[name]?.parent ?? '');
    const mode = mv.mode ?? spec?.networks[name]?.mode ?? 'bridge';
    const net: TopoNetwork = { name, driver: 'macvlan', bridge: made?.name ?? '', subnet: '', state: presence(mv.desired, mv.observed), drift: [], macvlan: { parent, mode } };
    networks.set(name, net);
    if (made) devs.set(made.name, net);
  }

  for (const { value } of union<Link>(dHost?.links, oHost?.links)) {
    const m = value.kind === 'veth' ? ENDPOINT.exec(value.alias ?? '') : null;
    const ep = m ? [...endpoints.values()].find((e) => e.name === m[1]) : undefined;
    const att = ep?.attachments.find((a) => a.network === m![2]);
    if (att) hostVeths.set(value.name, att);
  }
  // Endpoints of the spec that run here without a namespace of their own share the host's network stack.
  for (const [name, e] of Object.entries(spec?.endpoints ?? {})) {
    if (!runsHere(e, hostName)) continue;
    if (![...endpoints.values()].some((x) => x.name === name)) endpoints.set(`@spec/${name}`, { name, namespace: '', state: 'ok', drift: [], attachments: [], ports: [] });
    const ep = [...endpoints.values()].find((x) => x.name === name)!;
    ep.ports = (e.ports ?? []).map((p) => ({ text: portText(p), published: publishedPort(p), state: 'ok', drift: [] }));
    if (e.publishAll) ep.ports.push({ text: 'every exposed port (publishAll)', state: 'ok', drift: [] });
  }
  const sortedEndpoints = [...endpoints.values()].sort(byName);
  for (const net of networks.values()) {
    // Overlay and macvlan bridges hold no address: the endpoints' addresses tell the subnet.
    const address = sortedEndpoints.flatMap((e) => e.attachments).find((a) => a.network === net.name && a.address)?.address;
    if (!net.subnet) net.subnet = address ? normalizeCidr(address) : (spec?.networks[net.name]?.subnet ?? '');
    if (net.driver === 'gwbridge') net.users = sortedEndpoints.filter((e) => e.attachments.some((a) => a.network === net.name)).map((e) => e.name);
  }

  /** A host object the item names, desired first. */
  const hostValue = <T>(field: 'fdb' | 'neighbours' | 'xfrmStates' | 'xfrmPolicies', name: string): T | undefined =>
    ((dHost?.[field] as Record<string, T> | undefined)?.[name] ?? (oHost?.[field] as Record<string, T> | undefined)?.[name]);
  const overlayByTag = (tag: number) => (isWirestateXfrm(tag) ? [...vxlans.values()].find((n) => n.overlay!.vxlan.vni === vniOfXfrmTag(tag)) : undefined);
  /** The overlay a static entry or an IPsec object of the host belongs to, and the address of the peer it concerns. */
  const tunnelOf = (item: DriftItem): { net?: TopoNetwork; peer?: string } => {
    if (item.kind === 'fdb') {
      const f = hostValue<FdbEntry>('fdb', item.name);
      return { net: f && vxlans.get(f.dev), peer: f?.dst };
    }
    if (item.kind === 'neighbour') {
      // A neighbour names no host: the forwarding entry for the same MAC does (its key leaves out the destination).
      const n = hostValue<Neighbour>('neighbours', item.name);
      return { net: n && vxlans.get(n.dev), peer: n && hostValue<FdbEntry>('fdb', fdbKey({ ...n, dst: '' }))?.dst };
    }
    if (item.kind === 'xfrm-state') {
      const s = hostValue<XfrmState>('xfrmStates', item.name);
      const net = s && overlayByTag(s.reqid);
      return { net, peer: net?.overlay!.peers.find((p) => p.address === s!.src || p.address === s!.dst)?.address };
    }
    if (item.kind === 'xfrm-policy') {
      const p = hostValue<XfrmPolicy>('xfrmPolicies', item.name);
      return { net: p && overlayByTag(p.mark), peer: p?.dst };
    }
    return {};
  };
  const devOf = (item: DriftItem): string | undefined => {
    const ns = item.namespace;
    if (item.kind === 'address') return (desired.namespaces[ns]?.addresses[item.name] ?? observed.namespaces[ns]?.addresses[item.name])?.dev;
    if (item.kind === 'route') return (desired.namespaces[ns]?.routes[item.name] ?? observed.namespaces[ns]?.routes[item.name])?.dev;
    return item.kind === 'link' ? item.name : undefined;
  };
  for (const item of report.items) {
    const dev = devOf(item);
    if (item.namespace === HOST_NS) {
      const net = dev === undefined ? undefined : devs.get(dev);
      const tunnel = dev === undefined ? undefined : vxlans.get(dev);
      const att = dev === undefined ? undefined : hostVeths.get(dev);
      const entry = tunnelOf(item);
      if (net) mark(net, item, item.kind === 'link');
      else if (tunnel) {
        // The tunnel is how the overlay reaches other hosts: its drift is the network's too.
        mark(tunnel.overlay!.vxlan, item, item.kind === 'link');
        mark(tunnel, item, false);
      } else if (entry.net) {
        const peer = entry.net.overlay!.peers.find((p) => p.address === entry.peer);
        if (peer) mark(peer, item, false);
        mark(entry.net, item, false);
      } else if (att) mark(att, item, true);
      else mark(host, item, false);
      // A published port is drifted when a changed firewall rule names its host port.
      const ports = [...endpoints.values()].flatMap((e) => e.ports);
      for (const p of ports) if (p.published && item.detail?.some((d) => ` ${d} `.includes(` --dport ${p.published} `))) mark(p, item, false);
      continue;
    }
    const ep = endpoints.get(item.namespace);
    if (!ep) continue;
    const att = ep.attachments.find((a) => a.ifname === dev);
    if (att) mark(att, item, item.kind === 'link');
    else mark(ep, item, item.kind === 'namespace');
  }
  return { networks: [...networks.values()].sort(byName), endpoints: sortedEndpoints, host };
}
