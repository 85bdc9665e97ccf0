// Pure rendering of the overlay's forwarding changes into batch lines: neighbours and IPsec for
// `ip -batch`, FDB entries for `bridge -batch`. As in render-ip, every value is checked first, so
// a bad change fails alone instead of stopping a batch.
//
// Deletes are written to be harmless when the entry is already gone where ip allows it: a
// neighbour is flushed rather than deleted (`ip neigh del` of a missing entry ends the whole batch).
// `ip xfrm … del` of a missing object also ends the batch; IPsec has a batch of its own for that.
import type { Change } from '../model/plan.js';
import type { XfrmPolicy, XfrmState } from '../model/state.js';

export type ForwardingChange = Extract<Change, { kind: 'neighbour' | 'fdb' }>;
export type XfrmChange = Extract<Change, { kind: 'xfrm-state' | 'xfrm-policy' }>;

const IFNAME = /^[^\s"'#/:\\]{1,15}$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const ALGORITHM = /^[a-z0-9()]+$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

function check<T>(ok: boolean, what: string, value: T): T {
  if (!ok) throw new Error(`invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}

const ifname = (n: string): string => check(IFNAME.test(n), 'interface name', n);
const mac = (m: string): string => check(MAC.test(m), 'MAC', m);
const ipv4 = (a: string): string => check(IPV4.test(a), 'IPv4 address', a);
const u32 = (n: number, what: string): string => `0x${check(Number.isInteger(n) && n >= 0 && n <= 0xffffffff, what, n).toString(16)}`;
const port = (p: number): string => String(check(Number.isInteger(p) && p > 0 && p < 65536, 'port', p));

function entry<T>(c: { action: string; desired?: T; observed?: T; kind: string }): T {
  const e = c.action === 'delete' ? (c.observed ?? c.desired) : c.desired;
  if (!e) throw new Error(`${c.kind} ${c.action} without an entry`);
  return e;
}

/** `ip -batch` lines for a neighbour, `bridge -batch` lines for an FDB entry. */
export function renderForwarding(c: ForwardingChange): string[] {
  if (c.kind === 'neighbour') {
    const n = entry(c);
    if (c.action === 'delete') return [`neigh flush to ${ipv4(n.ip)} dev ${ifname(n.dev)} nud permanent`];
    return [`neigh replace ${ipv4(n.ip)} lladdr ${mac(n.mac)} dev ${ifname(n.dev)} nud permanent`];
  }
  const f = entry(c);
  if (c.action === 'delete') return [`fdb del ${mac(f.mac)} dev ${ifname(f.dev)} dst ${ipv4(f.dst)} self`];
  return [`fdb replace ${mac(f.mac)} dev ${ifname(f.dev)} dst ${ipv4(f.dst)} self permanent`];
}

const stateId = (s: XfrmState): string => `src ${ipv4(s.src)} dst ${ipv4(s.dst)} proto esp spi ${u32(s.spi, 'SPI')}`;
const policyId = (p: XfrmPolicy): string =>
  `src ${ipv4(p.src)} dst ${ipv4(p.dst)} proto udp dport ${port(p.dport)} dir out mark ${u32(p.mark, 'mark')} mask 0xffffffff`;

/**
 * `ip -batch` lines for IPsec. `key` gives a state's key material (hex), which exists only in the
 * batch ip reads from its stdin: never in a plan, a message or a process's arguments.
 */
export function renderXfrm(c: XfrmChange, key: (s: XfrmState) => string): string[] {
  if (c.kind === 'xfrm-policy') {
    const p = entry(c);
    if (c.action === 'delete') return [`xfrm policy del ${policyId(p)}`];
    return [`xfrm policy update ${policyId(p)} tmpl src ${ipv4(p.src)} dst ${ipv4(p.dst)} proto esp reqid ${u32(p.reqid, 'reqid')} mode transport`];
  }
  const s = entry(c);
  const del = `xfrm state del ${stateId(s)}`;
  if (c.action === 'delete') return [del];
  const material = key(s);
  if (!HEX.test(material)) throw new Error('invalid key material (not shown)');
  const algorithm = check(ALGORITHM.test(s.algorithm), 'algorithm', s.algorithm);
  const icv = check(Number.isInteger(s.icvBits), 'ICV length', s.icvBits);
  const add = `xfrm state add ${stateId(s)} reqid ${u32(s.reqid, 'reqid')} mode transport replay-window 32 aead ${algorithm} 0x${material} ${icv}`;
  // A state's key cannot change in place.
  return c.action === 'update' ? [del, add] : [add];
}
