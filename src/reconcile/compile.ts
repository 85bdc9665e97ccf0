// compile: spec + what was allocated before + facts about the host → the desired state of one host.
// Pure: the Docker semantics live here and in drivers/ and firewall/, nothing here touches the kernel.
import type { HostFacts, HostState, NamespaceState } from '../model/state.js';
import { HOST_NS, emptyNamespace } from '../model/state.js';
import { cidrsOverlap } from '../net/ipv4.js';
import { GWBRIDGE } from '../spec/defaults.js';
import type { KeyFile } from '../spec/keyfile.js';
import { publishingNetwork } from '../spec/ports.js';
import type { Spec } from '../spec/types.js';
import type { Allocations } from './allocations.js';
import { type Attachment, type BridgeNetwork, addAttachment, addBridge } from './drivers/bridge.js';
import { gwbridgeNetwork } from './drivers/gwbridge.js';
import { type MacvlanNetwork, addMacvlanAttachment, addMacvlanParent } from './drivers/macvlan.js';
import type { OverlayNetwork } from './drivers/overlay.js';
import type { FirewallBackend } from './firewall/backend.js';
import { iptablesFirewall } from './firewall/iptables.js';
import { noFirewall } from './firewall/none.js';
import { localHost, runsHere } from './hosts.js';
import { DOCKER_DEFAULT_POOLS, allocateAddresses, allocateSubnets, defaultGateway } from './ipam.js';
import { aliases, attachmentKey, endpointNetnsName, macFromIpv4 } from './names.js';
import { DEFAULT_MTU, type ResolvedNetwork, resolveNetworks } from './networks.js';
import { addNameService } from './name-service.js';
import { overlayMembership } from './overlay-members.js';
import { compileOverlays } from './overlays.js';
import { publishPorts } from './ports.js';

export interface CompileContext {
  /** The host namespace wirestate acts on (--netns), null for the current one. */
  hostNetns: string | null;
  /** --host: which entry of `hosts:` this machine is. */
  hostName?: string;
  allocations: Allocations;
  facts: HostFacts;
  /** The host's ip_local_port_range: where random host ports come from. */
  portRange?: [number, number];
  /** The key files of encrypted overlays, as read for this pass (spec/keyfile.ts). */
  keys?: Record<string, KeyFile>;
}

/** Linux's default ip_local_port_range. */
export const DEFAULT_PORT_RANGE: [number, number] = [32768, 60999];

/** A problem only visible against the host (a foreign bridge of the same name, a full pool). */
export interface CompileError {
  path: string;
  message: string;
}

export interface CompileResult {
  desired: HostState;
  allocations: Allocations;
  errors: CompileError[];
  /** Parts of the spec this version accepts but does not act on yet. */
  warnings: string[];
}

export function firewallBackend(spec: Spec): FirewallBackend {
  return spec.settings.iptables === false ? noFirewall : iptablesFirewall;
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** Endpoints this host runs: those naming it with `host:`, or those naming no host when --host is not given. */
function localEndpoints(spec: Spec, hostName: string | undefined): string[] {
  return sorted(Object.keys(spec.endpoints)).filter((e) => runsHere(spec.endpoints[e], hostName));
}

/** The built-in default bridge, and networks that do not say, are bridge networks. */
const driverOf = (spec: Spec, network: string | undefined): string => (network !== undefined && spec.networks[network]?.driver) || 'bridge';

/** Subnets of bridge networks (and the gateway bridge) from the pools, clear of every declared subnet. */
function decideSubnets(spec: Spec, nets: ResolvedNetwork[], ctx: CompileContext, errors: CompileError[]): Map<string, BridgeNetwork> {
  const others = Object.values(spec.networks).flatMap((n) => (n.driver !== undefined && n.driver !== 'bridge' && n.subnet ? [n.subnet] : []));
  const declared = [...nets.filter((n) => n.subnet).map((n) => n.subnet as string), ...others];
  for (const n of nets) {
    const clash = n.subnet && ctx.facts.foreignRoutes.find((r) => cidrsOverlap(r, n.subnet as string));
    if (clash) errors.push({ path: `networks.${n.name}.subnet`, message: `${n.subnet} overlaps ${clash}, already routed on the host by something wirestate does not own` });
    if (ctx.facts.foreignLinks.includes(n.bridge)) {
      errors.push({ path: `networks.${n.name}`, message: `bridge name "${n.bridge}" is already used by a link wirestate does not own` });
    }
  }
  const wanted = nets.filter((n) => !n.subnet).map((n) => n.name);
  const pools = spec.settings.defaultAddressPools ?? DOCKER_DEFAULT_POOLS;
  const { subnets, exhausted } = allocateSubnets(wanted, ctx.allocations.subnets, [...declared, ...ctx.facts.foreignRoutes], pools);
  for (const name of exhausted) {
    errors.push({ path: `networks.${name}`, message: 'no free subnet left in settings.defaultAddressPools; set a subnet or add a pool' });
  }
  const out = new Map<string, BridgeNetwork>();
  for (const n of nets) {
    const subnet = n.subnet ?? subnets[n.name];
    if (!subnet) continue;
    out.set(n.name, { name: n.name, bridge: n.bridge, subnet, gateway: n.gateway ?? defaultGateway(subnet), internal: n.internal, mtu: n.mtu });
  }
  return out;
}

/** Interface names: a new endpoint gets eth0… in lexical order of its networks; later connections take the lowest free ethN, and existing ones never move. */
function interfaceNames(endpoint: string, networks: string[], previous: Record<string, string>): Record<string, string> {
  const names: Record<string, string> = {};
  const used = new Set<string>();
  for (const n of networks) {
    const prev = previous[attachmentKey(endpoint, n)];
    if (prev && !used.has(prev)) {
      names[n] = prev;
      used.add(prev);
    }
  }
  let i = 0;
  for (const n of networks) {
    if (names[n]) continue;
    while (used.has(`eth${i}`)) i++;
    names[n] = `eth${i}`;
    used.add(names[n]);
  }
  return names;
}

/** The parents of macvlan networks (made when wirestate makes them) and the settings their endpoints use. */
function addMacvlans(spec: Spec, host: NamespaceState, ctx: CompileContext, errors: CompileError[]): Map<string, MacvlanNetwork> {
  const out = new Map<string, MacvlanNetwork>();
  for (const name of sorted(Object.keys(spec.networks))) {
    if (driverOf(spec, name) !== 'macvlan' || !spec.networks[name].subnet) continue;
    const n = addMacvlanParent(host, spec, name, ctx.facts.foreignLinks, errors);
    if (n) out.set(name, n);
  }
  return out;
}

export function compile(spec: Spec, ctx: CompileContext): CompileResult {
  const errors: CompileError[] = [];
  const warnings: string[] = [];
  const endpoints = localEndpoints(spec, ctx.hostName);
  // An endpoint whose way out is an overlay goes out through the gateway bridge, made for it.
  const gatewayNetworkOf = (e: string) => publishingNetwork(spec, Object.keys(spec.endpoints[e].networks));
  const viaGateway = new Set(endpoints.filter((e) => driverOf(spec, gatewayNetworkOf(e)) === 'overlay'));
  const nets = [...resolveNetworks(spec).filter((n) => driverOf(spec, n.name) === 'bridge'), ...(viaGateway.size ? [gwbridgeNetwork()] : [])];
  const bridges = decideSubnets(spec, nets, ctx, errors);
  const allocations: Allocations = { subnets: {}, addresses: {}, interfaces: {}, ports: {} };
  for (const n of nets) if (!n.subnet && bridges.has(n.name)) allocations.subnets[n.name] = bridges.get(n.name)!.subnet;

  const host = emptyNamespace(ctx.hostNetns, false);
  const desired: HostState = { namespaces: { [HOST_NS]: host } };
  for (const b of bridges.values()) addBridge(host, b);
  const local = localHost(spec, ctx.hostName, ctx.facts, errors);
  const membership = overlayMembership(spec);
  const overlays = local ? compileOverlays(spec, host, local, membership, ctx.keys ?? {}, errors) : new Map<string, OverlayNetwork>();
  const macvlans = addMacvlans(spec, host, ctx, errors);

  // Address requests per network, in endpoint order, so allocation is independent of YAML order.
  const requests = new Map<string, { key: string; static?: string }[]>();
  const request = (net: string, key: string, ipv4?: string) => {
    const list = requests.get(net) ?? [];
    list.push({ key, static: ipv4 });
    requests.set(net, list);
  };
  for (const e of endpoints) {
    for (const [net, att] of Object.entries(spec.endpoints[e].networks)) {
      if (bridges.has(net) || macvlans.has(net)) request(net, attachmentKey(e, net), att.ipv4);
    }
    if (viaGateway.has(e)) request(GWBRIDGE, attachmentKey(e, GWBRIDGE));
  }
  // Overlay addresses are the same on every host: worked out from the spec, never remembered.
  for (const [net, members] of Object.entries(membership.members)) {
    for (const m of members) if (overlays.has(net) && runsHere(spec.endpoints[m.endpoint], ctx.hostName)) allocations.addresses[attachmentKey(m.endpoint, net)] = m.ipv4;
  }
  for (const f of membership.full) {
    if (runsHere(spec.endpoints[f.endpoint], ctx.hostName)) errors.push({ path: `endpoints.${f.endpoint}.networks.${f.network}`, message: `no free address left in this host's share of the network (${f.share})` });
  }
  for (const [net, reqs] of requests) {
    const b = bridges.get(net) ?? macvlans.get(net);
    if (!b) continue;
    const ipRange = spec.networks[net]?.ipRange;
    const { addresses, full } = allocateAddresses(b.subnet, b.gateway, ipRange, reqs, ctx.allocations.addresses);
    Object.assign(allocations.addresses, addresses);
    for (const key of full) errors.push({ path: `endpoints.${key.split('/')[0]}.networks.${net}`, message: `no free address left in ${ipRange ?? b.subnet}` });
  }

  const published = publishPorts({
    spec,
    endpoints,
    bridges,
    addresses: allocations.addresses,
    previous: ctx.allocations.ports,
    listeners: ctx.facts.listeners ?? [],
    range: ctx.portRange ?? DEFAULT_PORT_RANGE,
    via: Object.fromEntries([...overlays.keys()].map((n) => [n, GWBRIDGE])),
  });
  allocations.ports = published.allocations;
  errors.push(...published.errors);
  warnings.push(...published.warnings);
  const publishing = new Set(published.ports.map((p) => attachmentKey(p.endpoint, p.network.name)));

  for (const e of endpoints) {
    const ep = spec.endpoints[e];
    const attached = sorted(Object.keys(ep.networks));
    if (attached.includes('host')) continue;
    const owned = ep.netns === undefined;
    const nsKey = ep.netns ?? endpointNetnsName(ctx.hostNetns, e);
    const ns = emptyNamespace(nsKey, owned, e);
    desired.namespaces[nsKey] = ns;
    if (owned) ns.links.lo = { name: 'lo', kind: 'loopback', alias: aliases.netns(e), up: true };
    // The gateway bridge comes after the endpoint's own networks, as docker_gwbridge does.
    const wired = [...attached.filter((n) => bridges.has(n) || overlays.has(n) || macvlans.has(n)), ...(viaGateway.has(e) ? [GWBRIDGE] : [])];
    const ifnames = interfaceNames(e, wired, ctx.allocations.interfaces);
    const gatewayNet = viaGateway.has(e) ? GWBRIDGE : gatewayNetworkOf(e);
    for (const net of wired) {
      const key = attachmentKey(e, net);
      const ipv4 = allocations.addresses[key];
      if (!ipv4) continue;
      allocations.interfaces[key] = ifnames[net];
      const mac = ep.networks[net]?.mac ?? macFromIpv4(ipv4);
      const macvlan = macvlans.get(net);
      if (macvlan) {
        addMacvlanAttachment(ns, { endpoint: e, network: macvlan, ifname: ifnames[net], ipv4, mac, gatewayRoute: net === gatewayNet });
        continue;
      }
      const a: Attachment = {
        endpoint: e,
        network: (bridges.get(net) ?? overlays.get(net))!,
        ifname: ifnames[net],
        ipv4,
        mac,
        gatewayRoute: net === gatewayNet,
        hairpin: publishing.has(key),
      };
      addAttachment(host, ns, nsKey, a);
    }
  }

  // Names are answered on overlay and macvlan networks too (a macvlan's "bridge" is its parent).
  const named = new Map<string, BridgeNetwork>([...bridges, ...overlays, ...[...macvlans].map(([k, m]): [string, BridgeNetwork] => [k, { ...m, bridge: m.parent, mtu: m.mtu ?? DEFAULT_MTU }])]);
  const remote = Object.fromEntries([...overlays.keys()].map((n) => [n, (membership.members[n] ?? []).filter((m) => !runsHere(spec.endpoints[m.endpoint], ctx.hostName))]));
  warnings.push(...addNameService(desired, { spec, endpoints, bridges: named, addresses: allocations.addresses, hostNetns: ctx.hostNetns, resolvConf: ctx.facts.resolvConf, remote }));

  const fw = firewallBackend(spec);
  const fwNets = [...bridges.values()].map((b) => {
    const n = nets.find((x) => x.name === b.name)!;
    return { name: b.name, bridge: b.bridge, subnet: b.subnet, gateway: b.gateway, internal: n.internal, icc: n.icc, masquerade: n.masquerade };
  });
  const overlayList = [...overlays.values()];
  const fwInput = {
    networks: fwNets,
    ports: published.ports,
    overlays: overlayList.map((o) => ({ bridge: o.bridge })),
    encrypted: overlayList.filter((o) => o.encrypted).map((o) => ({ vni: o.vni, port: o.port })),
  };
  const firewall = fw.compile(fwInput);
  if (firewall) host.firewall = firewall;
  // Forwarding is what makes a bridge network reach anything beyond its bridge, firewall or not.
  host.sysctls = { ...(bridges.size > 0 ? { 'net.ipv4.ip_forward': '1' } : {}), ...fw.sysctls(fwInput) };
  return { desired, allocations, errors, warnings };
}
