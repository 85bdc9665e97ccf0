// Kernel names wirestate derives: stable (a pure function of the spec) and within Linux's 15 characters.
import { createHash } from 'node:crypto';

const hash = (s: string, len: number): string => createHash('sha256').update(s).digest('hex').slice(0, len);

/** `ws-<network>` when it fits, else `ws-` + 12 hex of a hash: readable where possible, never too long. */
export function bridgeName(network: string): string {
  const readable = `ws-${network}`;
  return readable.length <= 15 && /^[A-Za-z0-9_.-]+$/.test(network) ? readable : `ws-${hash(network, 12)}`;
}

/** Host end of an endpoint's veth: 10 characters, derived from what it connects so it never changes. */
export const hostVethName = (endpoint: string, network: string): string => `ws${hash(`${endpoint}\0${network}`, 8)}`;

/** Namespaces wirestate creates carry a prefix derived from the host namespace, so simulated hosts never collide. */
export const ownedNetnsPrefix = (hostNetns: string | null): string => (hostNetns ? `${hostNetns}-` : 'wirestate-');

export const endpointNetnsName = (hostNetns: string | null, endpoint: string): string => `${ownedNetnsPrefix(hostNetns)}${endpoint}`;

export const attachmentKey = (endpoint: string, network: string): string => `${endpoint}/${network}`;

/** Ownership marks (ifalias) that observe recognises. */
export const aliases = {
  network: (network: string) => `wirestate network ${network}`,
  endpoint: (endpoint: string, network: string) => `wirestate endpoint ${endpoint} network ${network}`,
  netns: (endpoint: string) => `wirestate netns ${endpoint}`,
  vxlan: (network: string) => `wirestate network ${network} vxlan`,
  /** A macvlan network's stand-in parent (it has no physical one) or an 802.1Q parent wirestate made. */
  macvlanParent: (network: string) => `wirestate network ${network} parent`,
};

/** Docker's scheme: 02:42 followed by the IPv4 address, so the MAC is as stable as the address. */
export function macFromIpv4(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/**
 * wirestate's IPsec objects: the reqid of its states and the firewall mark of its policies are
 * this tag with the network's VNI in the low 24 bits, so observe tells them from anyone else's.
 */
export const XFRM_TAG = 0x57000000;
export const xfrmTagOf = (vni: number): number => (XFRM_TAG | vni) >>> 0;
export const isWirestateXfrm = (reqidOrMark: number): boolean => reqidOrMark >>> 24 === XFRM_TAG >>> 24;
export const vniOfXfrmTag = (tag: number): number => tag & 0xffffff;

/** An overlay's VXLAN link: named after its VNI, so a new VNI is a new link. */
export const vxlanName = (vni: number): string => `wsvx${vni.toString(16).padStart(6, '0')}`;
export const isVxlanName = (name: string): boolean => /^wsvx[0-9a-f]{6}$/.test(name);
