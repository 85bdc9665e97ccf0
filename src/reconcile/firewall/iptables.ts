// The iptables model, shaped like Docker 29's bridge layout but in wirestate's own chains.
// Rules are written in iptables-save's canonical form so that observed and desired compare as strings.
//
// filter FORWARD → WIRESTATE-USER (the user's, first, never flushed) → WIRESTATE-FORWARD:
//   WIRESTATE-CT        replies to connections a network started
//   WIRESTATE-INTERNAL  internal networks: nothing in or out but their own subnet
//   WIRESTATE-BRIDGE    traffic into a non-internal network goes through WIRESTATE-INBOUND, which drops
//                       whatever is not explicitly allowed (isolation between networks, and the
//                       place where published ports add their ACCEPTs before the DROP)
//   then per network: what may leave it (and icc inside it)
// nat POSTROUTING → WIRESTATE-POSTROUTING: masquerade per network.
import type { Firewall, Table } from '../../model/state.js';
import type { FirewallBackend, FirewallNetwork } from './backend.js';

export const JUMP_COMMENT = '-m comment --comment wirestate';
export const USER_CHAIN = 'WIRESTATE-USER';
const jump = (chain: string) => `${JUMP_COMMENT} -j ${chain}`;

function filterTable(nets: FirewallNetwork[]): Table {
  const forward = ['-j WIRESTATE-CT', '-j WIRESTATE-INTERNAL', '-j WIRESTATE-BRIDGE'];
  const ct: string[] = [];
  const internal: string[] = [];
  const bridge: string[] = [];
  const toNetwork: string[] = [];
  for (const n of nets) {
    const br = n.bridge;
    if (n.internal) {
      internal.push(`! -s ${n.subnet} -o ${br} -j DROP`, `! -d ${n.subnet} -i ${br} -j DROP`);
      forward.push(`-i ${br} -o ${br} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
      continue;
    }
    ct.push(`-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    bridge.push(`-o ${br} -j WIRESTATE-INBOUND`);
    toNetwork.push(`! -i ${br} -o ${br} -j DROP`);
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
      'WIRESTATE-INBOUND': toNetwork,
    },
    jumps: { FORWARD: [jump(USER_CHAIN), jump('WIRESTATE-FORWARD')] },
  };
}

function natTable(nets: FirewallNetwork[]): Table {
  const masq = nets.filter((n) => n.masquerade && !n.internal).map((n) => `-s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
  return { chains: { 'WIRESTATE-POSTROUTING': masq }, jumps: { POSTROUTING: [jump('WIRESTATE-POSTROUTING')] } };
}

export const iptablesFirewall: FirewallBackend = {
  compile(nets): Firewall {
    if (nets.length === 0) return { tables: { filter: { chains: { [USER_CHAIN]: null }, jumps: {} }, nat: emptyTable(), raw: emptyTable() } };
    return { tables: { filter: filterTable(nets), nat: natTable(nets), raw: emptyTable() } };
  },
  sysctls(nets) {
    const out: Record<string, string> = {};
    // icc: false is enforced by iptables only if bridged traffic passes through it.
    if (nets.some((n) => !n.icc)) out['net.bridge.bridge-nf-call-iptables'] = '1';
    return out;
  },
};

function emptyTable(): Table {
  return { chains: {}, jumps: {} };
}
