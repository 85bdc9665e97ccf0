// The overlay driver: per network and host, a bridge (layer 2 only: the network's gateway is the
// gateway bridge's business) with one VXLAN port. Every host reconciles the same spec, so each
// programs its own side of the tunnel with static entries for every remote endpoint of the
// network: a permanent neighbour (the VXLAN answers ARP itself) and a forwarding entry (which host
// has that MAC). No learning, no flooding, no gossip.
import { createHash } from 'node:crypto';
import type { NamespaceState } from '../../model/state.js';
import { fdbKey, neighbourKey } from '../../model/state.js';
import { parseMtuOption } from '../../spec/index.js';
import type { Spec } from '../../spec/types.js';
import type { LocalHost } from '../hosts.js';
import { defaultGateway } from '../ipam.js';
import { aliases, bridgeName, vxlanName } from '../names.js';
import type { OverlayMember } from '../overlay-members.js';
import type { BridgeNetwork } from './bridge.js';

export const VXLAN_PORT = 4789;
/** Docker's first VNI: below it is the VLAN range, which some platforms cannot use. */
export const VNI_START = 4096;
const VNI_COUNT = 0x1000000 - VNI_START;
/** Outer IPv4, UDP and VXLAN headers and the inner Ethernet header. */
const VXLAN_OVERHEAD = 50;
/**
 * ESP in transport mode with AES-GCM: SPI and sequence number (8), IV (8), ICV (16), pad length
 * and next header (2), and up to 3 bytes of padding to a 4-byte boundary.
 */
const ESP_OVERHEAD = 37;

export interface OverlayNetwork extends BridgeNetwork {
  vni: number;
  port: number;
  encrypted: boolean;
  /** The VXLAN link's kernel name. */
  vxlan: string;
}

/**
 * The VNI of every overlay: the one it sets, else derived from its name (a hash into Docker's
 * range from 4096), stepping past VNIs already taken in name order. A pure function of the spec,
 * so every host derives the same, and a network's VNI does not change when others come and go
 * (unless two names hash alike, which the step resolves in name order).
 */
export function overlayVnis(spec: Spec): Record<string, number> {
  const overlays = Object.keys(spec.networks)
    .filter((n) => spec.networks[n].driver === 'overlay')
    .sort();
  const out: Record<string, number> = {};
  const taken = new Set<number>();
  for (const n of overlays) {
    const vni = spec.networks[n].vni;
    if (vni !== undefined) {
      out[n] = vni;
      taken.add(vni);
    }
  }
  for (const n of overlays) {
    if (out[n] !== undefined) continue;
    let offset = Number.parseInt(createHash('sha256').update(n).digest('hex').slice(0, 12), 16) % VNI_COUNT;
    while (taken.has(VNI_START + offset)) offset = (offset + 1) % VNI_COUNT;
    out[n] = VNI_START + offset;
    taken.add(out[n]);
  }
  return out;
}

/** An overlay's settings: its MTU is the underlay's minus the tunnel (and ESP) overhead unless set. */
export function resolveOverlay(spec: Spec, name: string, vni: number, underlayMtu: number): OverlayNetwork {
  const n = spec.networks[name];
  const subnet = n.subnet as string;
  const option = n.options?.['com.docker.network.driver.mtu'];
  const set = n.mtu ?? (option === undefined ? undefined : parseMtuOption(option));
  const encrypted = n.encrypted === true;
  const overhead = underlayMtu - VXLAN_OVERHEAD - (encrypted ? ESP_OVERHEAD : 0);
  return {
    name,
    bridge: n.bridge ?? bridgeName(name),
    subnet,
    gateway: n.gateway ?? defaultGateway(subnet),
    internal: n.internal ?? false,
    // ESP pads to 4 bytes: an MTU on that boundary never leaves a padding byte over the underlay's.
    mtu: set ?? (encrypted ? overhead - (overhead % 4) : overhead),
    vni,
    port: n.port ?? VXLAN_PORT,
    encrypted,
    vxlan: vxlanName(vni),
  };
}

/** The bridge, its VXLAN port, and a neighbour and forwarding entry per endpoint on another host. */
export function addOverlay(host: NamespaceState, n: OverlayNetwork, local: LocalHost, remote: { member: OverlayMember; address: string }[]): void {
  host.links[n.bridge] = { name: n.bridge, kind: 'bridge', alias: aliases.network(n.name), mtu: n.mtu, up: true, ipv6: false };
  host.links[n.vxlan] = {
    name: n.vxlan,
    kind: 'vxlan',
    alias: aliases.vxlan(n.name),
    mtu: n.mtu,
    master: n.bridge,
    up: true,
    ipv6: false,
    vxlan: { vni: n.vni, port: n.port, local: local.address, dev: local.underlay.dev, learning: false, proxy: true },
  };
  for (const { member, address } of remote) {
    const neighbour = { dev: n.vxlan, ip: member.ipv4, mac: member.mac };
    (host.neighbours ??= {})[neighbourKey(neighbour)] = neighbour;
    const entry = { dev: n.vxlan, mac: member.mac, dst: address };
    (host.fdb ??= {})[fdbKey(entry)] = entry;
  }
}
