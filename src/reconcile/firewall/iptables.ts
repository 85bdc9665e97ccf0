// The iptables model, shaped like Docker 29's bridge layout (userland proxy off) but in
// wirestate's own chains. Rules are written in iptables-save's canonical form so that observed and
// desired compare as strings. Every published endpoint has chains of its own, so changing one
// endpoint's ports rewrites only its chains, never another endpoint's rules.
//
// filter FORWARD → WIRESTATE-USER (the user's: first, never flushed) → WIRESTATE-FORWARD:
//   WIRESTATE-CT        replies to connections a network started
//   WIRESTATE-INTERNAL  internal networks: nothing in or out but their own subnet
//   WIRESTATE-BRIDGE    traffic into a non-internal network goes through WIRESTATE-INBOUND:
//                       first each publishing endpoint's WIRESTATE-PF-<ep> (its ports' ACCEPTs),
//                       then a DROP per network (isolation, and no unpublished port reachable)
//   then per network: what may leave it (and icc inside it)
// nat PREROUTING/OUTPUT → WIRESTATE-USER, then (to a local address) WIRESTATE-DNAT → WIRESTATE-DN-<ep>
// nat POSTROUTING → WIRESTATE-USER, WIRESTATE-POSTROUTING: masquerade per network, host-to-endpoint
//   and endpoint-to-itself (hairpin) masquerade where ports are published
// raw PREROUTING → WIRESTATE-PREROUTING: no direct access to endpoint addresses from outside their
//   bridge (DNAT comes later, so published ports still work), and ports published on 127.0.0.1
//   unreachable from other machines
import { createHash } from 'node:crypto';
import { ipv4ConfKey, type Firewall, type Table } from '../../model/state.js';
import type { PublishedPort } from '../ports.js';
import type { FirewallBackend, FirewallInput, FirewallNetwork } from './backend.js';
import { withOverlays } from './overlay.js';

export const JUMP_COMMENT = '-m comment --comment wirestate';
export const USER_CHAIN = 'WIRESTATE-USER';
const jump = (chain: string, match = '') => `${match}${JUMP_COMMENT} -j ${chain}`;
const LOCAL = '-m addrtype --dst-type LOCAL ';

/** The nat chains holding each endpoint's published ports (DNAT rules). */
export const DNAT_CHAIN_PREFIX = 'WIRESTATE-DN-';

/** Per-endpoint chain names stay readable when they can (iptables allows 28 characters). */
export function endpointChain(prefix: 'DN' | 'PF', endpoint: string): string {
  const readable = /^[A-Za-z0-9_-]{1,15}$/.test(endpoint);
  return `WIRESTATE-${prefix}-${readable ? endpoint : createHash('sha256').update(endpoint).digest('hex').slice(0, 12)}`;
}

const match = (p: PublishedPort) => `-p ${p.protocol} -m ${p.protocol} --dport`;

/** A chosen port carries its allocation in a comment, so a lost state file is rebuilt from the kernel. */
export const ALLOCATION_COMMENT = /-m comment --comment "([^"]+)" -j DNAT/;
const allocationComment = (p: PublishedPort): string =>
  p.allocation && /^[\w.@:*>\/ -]+$/.test(p.allocation) ? `-m comment --comment "${p.allocation}" ` : '';
const sources = (p: PublishedPort): string[] => (p.allowFrom?.length ? p.allowFrom.map((c) => `-s ${c} `) : ['']);

function byEndpoint(ports: PublishedPort[]): Map<string, PublishedPort[]> {
  const out = new Map<string, PublishedPort[]>();
  for (const p of [...ports].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0))) {
    out.set(p.endpoint, [...(out.get(p.endpoint) ?? []), p]);
  }
  return out;
}

function filterTable(nets: FirewallNetwork[], ports: Map<string, PublishedPort[]>): Table {
  const forward = ['-j WIRESTATE-CT', '-j WIRESTATE-INTERNAL', '-j WIRESTATE-BRIDGE'];
  const ct: string[] = [];
  const internal: string[] = [];
  const bridge: string[] = [];
  const inbound: string[] = [];
  const chains: Table['chains'] = {};
  for (const [endpoint, list] of ports) {
    const chain = endpointChain('PF', endpoint);
    inbound.push(`-d ${list[0].ip}/32 -j ${chain}`);
    chains[chain] = list.flatMap((p) => sources(p).map((s) => `${s}-d ${p.ip}/32 ! -i ${p.network.bridge} -o ${p.network.bridge} ${match(p)} ${p.target} -j ACCEPT`));
  }
  for (const n of nets) {
    const br = n.bridge;
    if (n.internal) {
      internal.push(`! -s ${n.subnet} -o ${br} -j DROP`, `! -d ${n.subnet} -i ${br} -j DROP`);
      forward.push(`-i ${br} -o ${br} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
      continue;
    }
    ct.push(`-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    bridge.push(`-o ${br} -j WIRESTATE-INBOUND`);
    inbound.push(`! -i ${br} -o ${br} -j DROP`);
    if (n.icc) forward.push(`-i ${br} -j ACCEPT`);
    else forward.push(`-i ${br} -o ${br} -j DROP`, `-i ${br} ! -o ${br} -j ACCEPT`);
  }
  return {
    chains: {
      [USER_CHAIN]: null,
      'WIRESTATE-FORWARD': forward,
      'WIRESTATE-CT': ct,
      'WIRESTATE-INTERNAL': internal,
      'WIRESTATE-BRIDGE': bridge,
      'WIRESTATE-INBOUND': inbound,
      ...chains,
    },
    jumps: { FORWARD: [jump(USER_CHAIN), jump('WIRESTATE-FORWARD')] },
  };
}

function natTable(nets: FirewallNetwork[], ports: Map<string, PublishedPort[]>): Table {
  const post = nets.filter((n) => n.masquerade && !n.internal).map((n) => `-s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
  if (ports.size === 0) return { chains: { 'WIRESTATE-POSTROUTING': post }, jumps: { POSTROUTING: [jump('WIRESTATE-POSTROUTING')] } };
  const chains: Table['chains'] = {};
  const dnat: string[] = [];
  const publishingBridges = new Set<string>();
  for (const [endpoint, list] of ports) {
    const chain = endpointChain('DN', endpoint);
    dnat.push(`-j ${chain}`);
    chains[chain] = list.flatMap((p) =>
      sources(p).map((s) => `${s}${p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `}${match(p)} ${p.hostPort} ${allocationComment(p)}-j DNAT --to-destination ${p.ip}:${p.target}`),
    );
    // An endpoint reaching its own published port through the host comes back to itself: masquerade it.
    post.push(`-s ${list[0].ip}/32 -d ${list[0].ip}/32 -j MASQUERADE`);
    publishingBridges.add(list[0].network.bridge);
  }
  // The host reaching a published port (also on 127.0.0.1) must not arrive with a loopback source.
  for (const br of [...publishingBridges].sort()) post.push(`-o ${br} -m addrtype --src-type LOCAL -j MASQUERADE`);
  return {
    chains: { [USER_CHAIN]: null, 'WIRESTATE-DNAT': dnat, 'WIRESTATE-POSTROUTING': post, ...chains },
    jumps: {
      PREROUTING: [jump(USER_CHAIN), jump('WIRESTATE-DNAT', LOCAL)],
      OUTPUT: [jump(USER_CHAIN), jump('WIRESTATE-DNAT', LOCAL)],
      POSTROUTING: [jump(USER_CHAIN), jump('WIRESTATE-POSTROUTING')],
    },
  };
}

function rawTable(input: FirewallInput): Table {
  // Per network rather than per endpoint (Docker has one rule per address): the same protection
  // without a rule to rewrite whenever an endpoint comes or goes. The gateway is the host's own
  // address and stays reachable, as it is with Docker.
  const rules = input.networks.filter((n) => !n.internal).flatMap((n) => [`-d ${n.gateway}/32 -j RETURN`, `-d ${n.subnet} ! -i ${n.bridge} -j DROP`]);
  for (const p of input.ports) {
    if (p.hostIp.startsWith('127.')) rules.push(`-d ${p.hostIp}/32 ! -i lo ${match(p)} ${p.hostPort} -j DROP`);
  }
  if (rules.length === 0) return { chains: {}, jumps: {} };
  return { chains: { 'WIRESTATE-PREROUTING': rules }, jumps: { PREROUTING: [jump('WIRESTATE-PREROUTING')] } };
}

export const iptablesFirewall: FirewallBackend = {
  compile(input): Firewall {
    const ports = byEndpoint(input.ports);
    const tables: Firewall['tables'] =
      input.networks.length === 0
        ? { filter: { chains: { [USER_CHAIN]: null }, jumps: {} }, nat: { chains: {}, jumps: {} }, raw: { chains: {}, jumps: {} } }
        : { filter: filterTable(input.networks, ports), nat: natTable(input.networks, ports), raw: rawTable(input) };
    return { tables: withOverlays(tables, input) };
  },
  sysctls(input) {
    const out: Record<string, string> = {};
    // icc: false needs bridged traffic to pass through iptables; so does undoing the DNAT of a
    // published port reached from a neighbour on the same bridge.
    if (input.networks.some((n) => !n.icc) || input.ports.length > 0) out['net.bridge.bridge-nf-call-iptables'] = '1';
    // 127.0.0.1:PORT DNATed to an endpoint leaves through its bridge with a loopback source.
    for (const br of new Set(input.ports.map((p) => p.network.bridge))) out[ipv4ConfKey(br, 'route_localnet')] = '1';
    return out;
  },
};
