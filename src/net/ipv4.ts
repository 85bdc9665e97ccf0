// IPv4 address and CIDR arithmetic on uint32 numbers: pure functions shared by spec checks and IPAM.

export interface Cidr {
  /** The address as written, host bits included. */
  addr: number;
  prefix: number;
}

// Same grammar as ajv-formats' "ipv4": no leading zeros, which inet_aton would read as octal.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const PREFIX_RE = /^(?:\d|[12]\d|3[0-2])$/;

export function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** "a.b.c.d/n" with n in 0..32; host bits may be set. */
export function isCidr4(s: string): boolean {
  const slash = s.indexOf('/');
  return slash > 0 && isIpv4(s.slice(0, slash)) && PREFIX_RE.test(s.slice(slash + 1));
}

export function parseIpv4(s: string): number {
  if (!isIpv4(s)) throw new Error(`"${s}" is not an IPv4 address`);
  return s.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(s: string): Cidr {
  if (!isCidr4(s)) throw new Error(`"${s}" is not an IPv4 CIDR`);
  const [addr, prefix] = s.split('/') as [string, string];
  return { addr: parseIpv4(addr), prefix: Number(prefix) };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.prefix}`;
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function asCidr(c: string | Cidr): Cidr {
  return typeof c === 'string' ? parseCidr(c) : c;
}

/** The network address as a number ("10.0.0.5/24" → 10.0.0.0). */
export function networkOf(c: string | Cidr): number {
  const { addr, prefix } = asCidr(c);
  return (addr & prefixMask(prefix)) >>> 0;
}

/** The broadcast (last) address as a number. */
export function broadcastOf(c: string | Cidr): number {
  const { addr, prefix } = asCidr(c);
  return (addr | ~prefixMask(prefix)) >>> 0;
}

export function cidrNetwork(c: string | Cidr): string {
  return formatIpv4(networkOf(c));
}

export function cidrBroadcast(c: string | Cidr): string {
  return formatIpv4(broadcastOf(c));
}

/** The CIDR with its host bits cleared: "10.0.0.5/24" → "10.0.0.0/24". */
export function normalizeCidr(c: string | Cidr): string {
  const cidr = asCidr(c);
  return formatCidr({ addr: networkOf(cidr), prefix: cidr.prefix });
}

export function hasHostBits(c: string | Cidr): boolean {
  const cidr = asCidr(c);
  return networkOf(cidr) !== cidr.addr;
}

/** Number of addresses, network and broadcast included. */
export function cidrSize(c: string | Cidr): number {
  return 2 ** (32 - asCidr(c).prefix);
}

/** True when `inner` (an address or a CIDR) lies entirely inside `outer`. */
export function cidrContains(outer: string | Cidr, inner: string): boolean {
  const o = asCidr(outer);
  const i = inner.includes('/') ? parseCidr(inner) : { addr: parseIpv4(inner), prefix: 32 };
  return i.prefix >= o.prefix && networkOf({ addr: i.addr, prefix: o.prefix }) === networkOf(o);
}

export function cidrsOverlap(a: string | Cidr, b: string | Cidr): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  return networkOf({ addr: x.addr, prefix }) === networkOf({ addr: y.addr, prefix });
}

/** The first address an interface may take: network + 1, or the network itself for /31 and /32 (RFC 3021). */
export function firstUsable(c: string | Cidr): string {
  const cidr = asCidr(c);
  return formatIpv4(cidr.prefix >= 31 ? networkOf(cidr) : networkOf(cidr) + 1);
}
