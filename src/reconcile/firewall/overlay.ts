// The firewall's part in overlays, added to the bridge layout:
//   filter WIRESTATE-FORWARD  an overlay bridge's own traffic (endpoints here and across the
//                             tunnel) is accepted, as a bridge network's is, when br_netfilter
//                             shows it to iptables
//   mangle OUTPUT → WIRESTATE-OUTPUT  an encrypted network's tunnel packets carry its mark, which
//                             selects its IPsec policy (a policy cannot match a VNI)
//   filter INPUT → WIRESTATE-INPUT    and the same packets arriving without IPsec are dropped
// The VNI is read with u32: the 24 bits after the first 4 bytes of the VXLAN header, which starts
// 8 bytes into the UDP header, after an IPv4 header of IHL words.
import type { Firewall, Table } from '../../model/state.js';
import { xfrmTagOf } from '../names.js';
import type { FirewallInput } from './backend.js';

// As in iptables.ts, which imports this module.
const JUMP = '-m comment --comment wirestate -j';
const USER_CHAIN = 'WIRESTATE-USER';

const vniMatch = (vni: number): string => `-m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x8=0x${vni.toString(16)}"`;
const tunnel = (port: number): string => `-p udp -m udp --dport ${port}`;

/** `tables` with the overlays' rules added (and the mangle table, always: so that rules of a removed network are deleted). */
export function withOverlays(tables: Firewall['tables'], input: FirewallInput): Firewall['tables'] {
  const encrypted = input.encrypted ?? [];
  const mangle: Table = { chains: {}, jumps: {} };
  if (encrypted.length) {
    mangle.chains['WIRESTATE-OUTPUT'] = encrypted.map((e) => `${tunnel(e.port)} ${vniMatch(e.vni)} -j MARK --set-xmark 0x${xfrmTagOf(e.vni).toString(16)}/0xffffffff`);
    mangle.jumps.OUTPUT = [`${JUMP} WIRESTATE-OUTPUT`];
  }
  const overlays = input.overlays ?? [];
  if (overlays.length === 0 && encrypted.length === 0) return { ...tables, mangle };
  const filter: Table = structuredClone(tables.filter ?? { chains: { [USER_CHAIN]: null }, jumps: {} });
  if (overlays.length) {
    // With no bridge network the layout has no FORWARD chain yet: the overlays start it, user chain first.
    const forward = (filter.chains['WIRESTATE-FORWARD'] ??= []);
    filter.jumps.FORWARD ??= [`${JUMP} ${USER_CHAIN}`, `${JUMP} WIRESTATE-FORWARD`];
    forward.push(...overlays.map((o) => `-i ${o.bridge} -o ${o.bridge} -j ACCEPT`));
  }
  if (encrypted.length) {
    filter.chains['WIRESTATE-INPUT'] = encrypted.map((e) => `${tunnel(e.port)} -m policy --dir in --pol none ${vniMatch(e.vni)} -j DROP`);
    filter.jumps.INPUT = [`${JUMP} WIRESTATE-INPUT`];
  }
  return { ...tables, filter, mangle };
}
