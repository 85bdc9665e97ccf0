// The bridge driver: a Linux bridge per network in the host namespace, holding the gateway address,
// and for every endpoint a veth pair whose inner end is ethN in the endpoint's namespace.
import type { NamespaceState } from '../../model/state.js';
import { addressKey, routeKey } from '../../model/state.js';
import { parseCidr } from '../../net/ipv4.js';
import { aliases, hostVethName } from '../names.js';

/** A network with its subnet and gateway decided. */
export interface BridgeNetwork {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  mtu: number;
}

export function addBridge(host: NamespaceState, n: BridgeNetwork): void {
  host.links[n.bridge] = { name: n.bridge, kind: 'bridge', alias: aliases.network(n.name), mtu: n.mtu, up: true, ipv6: false };
  const a = { dev: n.bridge, cidr: `${n.gateway}/${parseCidr(n.subnet).prefix}` };
  host.addresses[addressKey(a)] = a;
}

export interface Attachment {
  endpoint: string;
  network: BridgeNetwork;
  ifname: string;
  ipv4: string;
  mac: string;
  /** This network gives the endpoint its default route. */
  gatewayRoute: boolean;
  /** The endpoint publishes ports here: it may reach them itself through the host (hairpin). */
  hairpin: boolean;
}

export function addAttachment(host: NamespaceState, ns: NamespaceState, nsKey: string, a: Attachment): void {
  const alias = aliases.endpoint(a.endpoint, a.network.name);
  const veth = hostVethName(a.endpoint, a.network.name);
  const mtu = a.network.mtu;
  host.links[veth] = {
    name: veth,
    kind: 'veth',
    alias,
    mtu,
    master: a.network.bridge,
    up: true,
    ipv6: false,
    hairpin: a.hairpin,
    peer: { netns: nsKey, name: a.ifname },
  };
  ns.links[a.ifname] = { name: a.ifname, kind: 'veth', alias, mtu, mac: a.mac, up: true, ipv6: false };
  const addr = { dev: a.ifname, cidr: `${a.ipv4}/${parseCidr(a.network.subnet).prefix}` };
  ns.addresses[addressKey(addr)] = addr;
  if (a.gatewayRoute) {
    const r = { dst: 'default', dev: a.ifname, via: a.network.gateway };
    ns.routes[routeKey(r)] = r;
  }
}
