// Compose's `ports` syntax, short and long, parsed into what to publish. Pure; shared by the
// spec checks (which report the errors at their position) and compile (which programs the rest).
//   "80"                      endpoint 80/tcp on a random host port
//   "8080:80"                 host 8080 → endpoint 80
//   "127.0.0.1:8443:443/tcp"  bound to one host address
//   "127.0.0.1::80"           one host address, random port
//   "9000-9002:9000-9002"     ranges, one to one
//   "8000-8010:80"            one host port chosen from the range
//   { target, published, protocol, hostIp, allowFrom }   the long form
import { isIpv4 } from '../net/ipv4.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortRequest {
  /** Host address as written; absent: the network's hostBindingIPv4, else 0.0.0.0. */
  hostIp?: string;
  /** A fixed host port, or a range to choose one from; neither: a random port. */
  hostPort?: number;
  hostRange?: [number, number];
  target: number;
  protocol: Protocol;
  /** Only these sources may connect (the long syntax). */
  allowFrom?: string[];
}

export type PortEntry = string | number | { target: number; published?: number | string; protocol?: Protocol; hostIp?: string; allowFrom?: string[] };

type Parsed = { ok: true; requests: PortRequest[] } | { ok: false; error: string };
const fail = (error: string): Parsed => ({ ok: false, error });

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

/** "80" or "80-82" → [lo, hi], or an error message. */
function parseRange(s: string, what: string): [number, number] | string {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return `"${s}" is not ${what === 'host' ? 'a host' : 'an endpoint'} port or range`;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535) return `${what} port ${lo < 1 ? lo : hi} is outside 1–65535`;
  if (hi < lo) return `${what} range ${s} ends before it starts`;
  return [lo, hi];
}

function checkHostIp(ip: string | undefined): string | undefined {
  if (ip === undefined || isIpv4(ip)) return undefined;
  if (ip.includes(':')) return `host address ${ip} is IPv6, and this version has no IPv6 networks to publish to`;
  return `"${ip}" is not an IPv4 host address`;
}

/** Expands ranges into one request per endpoint port. */
function expand(hostIp: string | undefined, host: [number, number] | undefined, target: [number, number], protocol: Protocol, allowFrom?: string[]): Parsed {
  const count = target[1] - target[0] + 1;
  const requests: PortRequest[] = [];
  const base = { ...(hostIp !== undefined ? { hostIp } : {}), protocol, ...(allowFrom ? { allowFrom } : {}) };
  if (host && host[1] - host[0] + 1 !== count) {
    if (count !== 1) return fail(`host range ${host[0]}-${host[1]} and endpoint range ${target[0]}-${target[1]} differ in length`);
    return { ok: true, requests: [{ ...base, hostRange: host, target: target[0] }] };
  }
  for (let i = 0; i < count; i++) {
    const hostPort = host ? host[0] + i : undefined;
    requests.push({ ...base, ...(hostPort !== undefined ? { hostPort } : {}), target: target[0] + i });
  }
  return { ok: true, requests };
}

function parseShort(entry: string): Parsed {
  let rest = entry;
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1);
    if (!PROTOCOLS.includes(p)) return fail(`protocol "${p}" is not tcp, udp or sctp`);
    protocol = p as Protocol;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']:');
    if (end < 0) return fail(`"${entry}" is not a port mapping`);
    hostIp = rest.slice(1, end);
    rest = rest.slice(end + 2);
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || (hostIp !== undefined && parts.length !== 2)) return fail(`"${entry}" is not a port mapping; write [HOST_IP:][HOST_PORT:]PORT[/PROTOCOL]`);
  const ipError = checkHostIp(hostIp);
  if (ipError) return fail(ipError);
  const target = parseRange(parts[parts.length - 1], 'endpoint');
  if (typeof target === 'string') return fail(target);
  let host: [number, number] | undefined;
  if (parts.length === 2 && parts[0] !== '') {
    const h = parseRange(parts[0], 'host');
    if (typeof h === 'string') return fail(h);
    host = h;
  }
  return expand(hostIp, host, target, protocol);
}

export function parsePort(entry: PortEntry): Parsed {
  if (typeof entry === 'number') return parseShort(String(entry));
  if (typeof entry === 'string') return parseShort(entry.trim());
  const ipError = checkHostIp(entry.hostIp);
  if (ipError) return fail(ipError);
  let host: [number, number] | undefined;
  if (entry.published !== undefined) {
    const h = parseRange(String(entry.published), 'host');
    if (typeof h === 'string') return fail(h);
    host = h;
  }
  return expand(entry.hostIp, host, [entry.target, entry.target], entry.protocol ?? 'tcp', entry.allowFrom);
}

/** `expose` entries ("80", 80, "8000-8010/udp"): documentation, and what publishAll publishes. */
export function parseExpose(entry: string | number): { ok: true; ports: { target: number; protocol: Protocol }[] } | { ok: false; error: string } {
  const s = String(entry).trim();
  if (s.includes(':')) return { ok: false, error: `"${s}" is not an exposed port; expose takes PORT[-PORT][/PROTOCOL], publishing is for ports` };
  const parsed = parseShort(s);
  if (!parsed.ok) return parsed;
  return { ok: true, ports: parsed.requests.map((r) => ({ target: r.target, protocol: r.protocol })) };
}

/** A macvlan network without a parent leads nowhere: it is internal whatever it says. */
export const isInternal = (n: { internal?: boolean; driver?: string; parent?: string }): boolean => n.internal === true || (n.driver === 'macvlan' && n.parent === undefined);

/**
 * The endpoint's gateway network: the first non-internal one, which gives it its default route and
 * publishes its ports (an overlay's go through the gateway bridge).
 */
export function publishingNetwork(spec: { networks: Record<string, { internal?: boolean; driver?: string; parent?: string }> }, networks: string[]): string | undefined {
  return [...networks].sort().find((n) => n === 'bridge' || (spec.networks[n] !== undefined && !isInternal(spec.networks[n])));
}

/** Everything one endpoint publishes: its `ports`, then (publishAll) every exposed port not already there. */
export function endpointPortRequests(ep: { ports?: PortEntry[]; expose?: (string | number)[]; publishAll?: boolean }): PortRequest[] {
  const out: PortRequest[] = [];
  for (const entry of ep.ports ?? []) {
    const p = parsePort(entry);
    if (p.ok) out.push(...p.requests);
  }
  if (ep.publishAll) {
    for (const entry of ep.expose ?? []) {
      const e = parseExpose(entry);
      if (!e.ok) continue;
      for (const x of e.ports) if (!out.some((r) => r.target === x.target && r.protocol === x.protocol)) out.push({ target: x.target, protocol: x.protocol });
    }
  }
  return out;
}
