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
};

/** Docker's scheme: 02:42 followed by the IPv4 address, so the MAC is as stable as the address. */
export function macFromIpv4(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}
