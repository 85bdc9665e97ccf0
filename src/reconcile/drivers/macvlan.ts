// The macvlan driver: each endpoint gets a macvlan of the network's parent as its ethN, straight
// on the physical network (no bridge, no NAT, no firewall rules: the gateway is the physical
// network's router). The parent is a link of the host; `eth0.10` that does not exist is created
// as an 802.1Q sub-interface and owned. A network without a parent is internal: its endpoints
// share a stand-in parent that leads nowhere (Docker uses a dummy link; a bridge without ports
// serves the same and needs no kernel module beyond the bridge wirestate needs anyway).
import { createHash } from 'node:crypto';
import type { MacvlanMode, NamespaceState } from '../../model/state.js';
import { addressKey, routeKey } from '../../model/state.js';
import { parseCidr } from '../../net/ipv4.js';
import { VLAN_PARENT } from '../../spec/checks/macvlan.js';
import { parseMtuOption, specPath } from '../../spec/index.js';
import type { Spec } from '../../spec/types.js';
import type { CompileError } from '../compile.js';
import { defaultGateway } from '../ipam.js';
import { aliases } from '../names.js';

export interface MacvlanNetwork {
  name: string;
  subnet: string;
  gateway: string;
  /** No parent, or declared internal: no default route through it. */
  internal: boolean;
  mode: MacvlanMode;
  /** The host link the endpoints' macvlans sit on. */
  parent: string;
  /** Unset: the parent's. */
  mtu?: number;
}

/** The stand-in parent of a macvlan network without one. */
const standInName = (network: string): string => `wsmv${createHash('sha256').update(network).digest('hex').slice(0, 8)}`;

/**
 * The network's parent, made when it is wirestate's to make (a stand-in, or a missing VLAN
 * sub-interface of an existing link); undefined, with the reason in `errors`, when the host lacks it.
 */
export function addMacvlanParent(host: NamespaceState, spec: Spec, name: string, foreignLinks: readonly string[], errors: CompileError[]): MacvlanNetwork | undefined {
  const n = spec.networks[name];
  const subnet = n.subnet as string;
  const option = n.options?.['com.docker.network.driver.mtu'];
  const common = {
    name,
    subnet,
    gateway: n.gateway ?? defaultGateway(subnet),
    mode: n.mode ?? 'bridge',
    mtu: n.mtu ?? (option === undefined ? undefined : parseMtuOption(option)),
  };
  if (n.parent === undefined) {
    const parent = standInName(name);
    host.links[parent] = { name: parent, kind: 'bridge', alias: aliases.macvlanParent(name), up: true, ipv6: false };
    return { ...common, internal: true, parent };
  }
  const at = specPath(['networks', name, 'parent']);
  const base = { ...common, internal: n.internal ?? false, parent: n.parent };
  if (foreignLinks.includes(n.parent)) return base;
  const vlan = VLAN_PARENT.exec(n.parent);
  if (!vlan) {
    errors.push({ path: at, message: `this host has no link "${n.parent}"` });
    return undefined;
  }
  const lower = vlan[1];
  if (!foreignLinks.includes(lower)) {
    errors.push({ path: at, message: `"${n.parent}" would be a VLAN of "${lower}", and this host has no link "${lower}"` });
    return undefined;
  }
  host.links[n.parent] = { name: n.parent, kind: 'vlan', alias: aliases.macvlanParent(name), up: true, ipv6: false, vlan: { id: Number(vlan[2]) }, parent: lower };
  return base;
}

export interface MacvlanAttachment {
  endpoint: string;
  network: MacvlanNetwork;
  ifname: string;
  ipv4: string;
  mac: string;
  gatewayRoute: boolean;
}

/** The endpoint's ethN: created from the host on the parent (apply moves it in), then addressed here. */
export function addMacvlanAttachment(ns: NamespaceState, a: MacvlanAttachment): void {
  const n = a.network;
  ns.links[a.ifname] = {
    name: a.ifname,
    kind: 'macvlan',
    alias: aliases.endpoint(a.endpoint, n.name),
    ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
    mac: a.mac,
    up: true,
    ipv6: false,
    macvlan: { mode: n.mode },
    parent: n.parent,
  };
  const addr = { dev: a.ifname, cidr: `${a.ipv4}/${parseCidr(n.subnet).prefix}` };
  ns.addresses[addressKey(addr)] = addr;
  if (a.gatewayRoute) {
    const r = { dst: 'default', dev: a.ifname, via: n.gateway };
    ns.routes[routeKey(r)] = r;
  }
}
