// Pure rendering of link/address/route changes into `ip -batch` lines.
// ip aborts a whole batch (even with -force) on an argument it cannot parse, so every value is
// checked here and a bad change is rejected on its own instead of reaching the batch.
import { createHash } from 'node:crypto';
import type { Change } from '../model/plan.js';
import type { Link } from '../model/state.js';

export type IpChange = Extract<Change, { kind: 'link' | 'address' | 'route' }>;

/** Resolves a namespace key (HOST_NS or a netns string) to what `ip … netns` takes. */
export type NetnsOf = (key: string) => string;

const IFNAME = /^[^\s"'#/:\\]{1,15}$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
// The batch reader cuts a line at '#' and joins lines ending in '\'; it has no escape for '"'.
const BATCH_UNSAFE = /["#\\\p{Cc}]/u;
const NETNS = /^[^\s"'#\\]+$/;

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new Error(`invalid ${what}: ${JSON.stringify(value)}`);
}

const ifname = (n: string): string => (check(IFNAME.test(n), 'interface name', n), n);
const ipv4 = (a: string): string => (check(IPV4.test(a), 'IPv4 address', a), a);

function cidr(c: string): string {
  const [ip = '', len, ...rest] = c.split('/');
  check(IPV4.test(ip) && len !== undefined && /^\d{1,2}$/.test(len) && Number(len) <= 32 && rest.length === 0, 'IPv4 CIDR', c);
  return c;
}

const dst = (d: string): string => (d === 'default' ? d : cidr(d));

function alias(a: string): string {
  check(!BATCH_UNSAFE.test(a) && Buffer.byteLength(a) < 256, 'alias', a);
  return `"${a}"`;
}

/**
 * `link set` arguments that make `from` (undefined: a fresh link) look like `to`, without up/down.
 * As in diff, a field `to` leaves unset is "don't care", so nothing is ever unset (no `nomaster`).
 */
function attributes(to: Link, from: Link | undefined): string[] {
  const args: string[] = [];
  if (to.mac !== undefined && to.mac !== from?.mac) {
    check(MAC.test(to.mac), 'MAC', to.mac);
    args.push('address', to.mac);
  }
  if (to.mtu !== undefined && to.mtu !== from?.mtu) {
    check(Number.isInteger(to.mtu) && to.mtu >= 68 && to.mtu <= 0x7fffffff, 'MTU', to.mtu);
    args.push('mtu', String(to.mtu));
  }
  if (to.master !== undefined && to.master !== from?.master) args.push('master', ifname(to.master));
  if (to.alias !== undefined && to.alias !== from?.alias) args.push('alias', alias(to.alias));
  // IPv6 is on by default, so a fresh link only needs the mode when it is off.
  const wasIpv6 = from ? from.ipv6 !== false : true;
  if (to.ipv6 !== undefined && to.ipv6 !== wasIpv6) args.push('addrgenmode', to.ipv6 ? 'eui64' : 'none');
  return args;
}

/** Attributes go before `up`: a link that comes up with IPv6 on has its link-local address already. */
function setLines(name: string, to: Link, from: Link | undefined): string[] {
  const args = attributes(to, from);
  const lines = args.length > 0 ? [`link set ${name} ${args.join(' ')}`] : [];
  // A bridge-port setting: only valid once the link has its master, so a line of its own after it.
  if (to.hairpin !== undefined && to.hairpin !== (from?.hairpin ?? false)) lines.push(`link set ${name} type bridge_slave hairpin ${to.hairpin ? 'on' : 'off'}`);
  if (to.macvlan && from && to.macvlan.mode !== from.macvlan?.mode) lines.push(`link set ${name} type macvlan mode ${macvlanMode(to.macvlan.mode)}`);
  if (to.up !== (from?.up ?? false)) lines.push(`link set ${name} ${to.up ? 'up' : 'down'}`);
  return lines;
}

const macvlanMode = (m: string): string => (check(['bridge', 'private', 'vepa', 'passthru'].includes(m), 'macvlan mode', m), m);
const int = (n: number, lo: number, hi: number, what: string): string => (check(Number.isInteger(n) && n >= lo && n <= hi, what, n), String(n));

/** `ip link add … type vxlan` arguments: the tunnel's fixed settings. */
function vxlanArgs(l: Link): string {
  const v = l.vxlan;
  if (!v) throw new Error(`vxlan link ${l.name} without its settings`);
  const dev = v.dev !== undefined ? ` dev ${ifname(v.dev)}` : '';
  return `type vxlan id ${int(v.vni, 1, 0xffffff, 'VNI')} dstport ${int(v.port, 1, 65535, 'port')} local ${ipv4(v.local)}${dev} ${v.learning ? 'learning' : 'nolearning'}${v.proxy ? ' proxy' : ''}`;
}

/**
 * A macvlan must be made where its parent is, in the host namespace, and is born in the endpoint's
 * namespace under this temporary name (the endpoint may still have an old link of the final name,
 * which its own batch removes before renaming this one).
 */
export const macvlanTempName = (netns: string, name: string): string => `wsm${createHash('sha256').update(`${netns}\0${name}`).digest('hex').slice(0, 8)}`;

/** Lines the host namespace runs for a change in an endpoint namespace: creating its macvlan. */
export function renderHostSide(change: IpChange, netnsOf: NetnsOf): string[] {
  if (change.kind !== 'link' || change.desired?.kind !== 'macvlan' || !(change.action === 'create' || change.replace)) return [];
  const l = change.desired;
  if (!l.parent || !l.macvlan) throw new Error(`macvlan ${l.name} without its parent or mode`);
  const netns = netnsOf(change.namespace);
  check(NETNS.test(netns), 'namespace', netns);
  return [`link add link ${ifname(l.parent)} name ${macvlanTempName(change.namespace, l.name)} netns ${netns} type macvlan mode ${macvlanMode(l.macvlan.mode)}`];
}

function createLink(l: Link, netnsOf: NetnsOf, namespace: string): string[] {
  const name = ifname(l.name);
  if (l.kind === 'bridge') return [`link add ${name} type bridge`, ...setLines(name, l, undefined)];
  if (l.kind === 'vxlan') return [`link add ${name} ${vxlanArgs(l)}`, ...setLines(name, l, undefined)];
  if (l.kind === 'vlan') {
    if (!l.parent || !l.vlan) throw new Error(`vlan ${l.name} without its parent or id`);
    return [`link add link ${ifname(l.parent)} name ${name} type vlan id ${int(l.vlan.id, 1, 4094, 'VLAN id')}`, ...setLines(name, l, undefined)];
  }
  // Made by the host (renderHostSide) under a temporary name: here it only gets its own.
  if (l.kind === 'macvlan') return [`link set ${macvlanTempName(namespace, name)} name ${name}`, ...setLines(name, l, { name, kind: l.kind, up: false, macvlan: l.macvlan })];
  if (l.kind === 'veth' && l.peer) {
    const netns = netnsOf(l.peer.netns);
    check(NETNS.test(netns), 'peer namespace', netns);
    return [`link add ${name} type veth peer name ${ifname(l.peer.name)} netns ${netns}`, ...setLines(name, l, undefined)];
  }
  // A loopback, or the end of a veth pair that was created from the other side: it exists, down.
  return setLines(name, l, { name, kind: l.kind, up: false });
}

export function renderIpChange(change: IpChange, netnsOf: NetnsOf): string[] {
  switch (change.kind) {
    case 'link': {
      const { desired, observed } = change;
      if (change.action === 'delete') return [`link del ${ifname((observed ?? desired)?.name ?? change.name)}`];
      if (!desired) throw new Error(`link ${change.action} without a desired link`);
      if (change.action === 'create') return createLink(desired, netnsOf, change.namespace);
      if (change.replace) return [`link del ${ifname(observed?.name ?? desired.name)}`, ...createLink(desired, netnsOf, change.namespace)];
      return setLines(ifname(desired.name), desired, observed);
    }
    case 'address': {
      const a = change.action === 'delete' ? (change.observed ?? change.desired) : change.desired;
      if (!a) throw new Error(`address ${change.action} without an address`);
      const verb = { create: 'add', update: 'replace', delete: 'del' }[change.action];
      return [`addr ${verb} ${cidr(a.cidr)} dev ${ifname(a.dev)}`];
    }
    case 'route': {
      if (change.action === 'delete') {
        const r = change.observed ?? change.desired;
        if (!r) throw new Error('route delete without a route');
        return [`route del ${dst(r.dst)} dev ${ifname(r.dev)}`];
      }
      const r = change.desired;
      if (!r) throw new Error(`route ${change.action} without a desired route`);
      return [`route replace ${dst(r.dst)}${r.via !== undefined ? ` via ${ipv4(r.via)}` : ''} dev ${ifname(r.dev)}`];
    }
  }
}

/** Errors that mean a delete line found nothing left to delete (e.g. a veth taken along by its peer). */
const ALREADY_GONE = /Cannot find device|No such device|Address not found|Cannot assign requested address|No such process/;
export const isAlreadyGone = (line: string, error: string): boolean => /^(?:link|addr|route) del /.test(line) && ALREADY_GONE.test(error);
