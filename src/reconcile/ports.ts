// Published ports: which host address and port lead to which endpoint address and port.
// Random host ports come from the host's ip_local_port_range, are chosen once, and then stay.
import type { Listener } from '../model/state.js';
import { type PortRequest, type Protocol, endpointPortRequests, publishingNetwork } from '../spec/ports.js';
import type { Spec } from '../spec/types.js';
import type { BridgeNetwork } from './drivers/bridge.js';
import { attachmentKey } from './names.js';

export interface PublishedPort {
  endpoint: string;
  /** The gateway network the port is published through. */
  network: BridgeNetwork;
  /** The endpoint's address on that network. */
  ip: string;
  hostIp: string;
  hostPort: number;
  target: number;
  protocol: Protocol;
  allowFrom?: string[];
  /** For a port wirestate chose (random or from a range): the allocation it keeps, written beside the rule. */
  allocation?: string;
}

export interface PortsInput {
  spec: Spec;
  endpoints: string[];
  bridges: Map<string, BridgeNetwork>;
  addresses: Record<string, string>;
  previous: Record<string, number>;
  listeners: Listener[];
  /** ip_local_port_range of the host. */
  range: [number, number];
  /** Gateway networks whose ports go through another bridge network: an overlay's through the gateway bridge. */
  via?: Record<string, string>;
}

export interface PortsResult {
  ports: PublishedPort[];
  allocations: Record<string, number>;
  errors: { path: string; message: string }[];
  warnings: string[];
}

/** The same request keeps its port across passes: the key names everything but the port chosen. */
export const requestKey = (endpoint: string, hostIp: string, r: PortRequest): string =>
  `${endpoint} ${hostIp}:${r.hostRange ? r.hostRange.join('-') : '*'}->${r.target}/${r.protocol}`;

/** 0.0.0.0 takes a port on every address, so it clashes with any address on the same port. */
const clash = (a: string, b: string): boolean => a === b || a === '0.0.0.0' || b === '0.0.0.0';

export function publishPorts(input: PortsInput): PortsResult {
  const out: PortsResult = { ports: [], allocations: {}, errors: [], warnings: [] };
  const taken: { hostIp: string; port: number; protocol: string }[] = [];
  const busy = (hostIp: string, port: number, protocol: string) =>
    taken.some((t) => t.port === port && t.protocol === protocol && clash(t.hostIp, hostIp)) ||
    input.listeners.some((l) => l.port === port && l.protocol === protocol && clash(l.address, hostIp));
  const pending: { endpoint: string; network: BridgeNetwork; ip: string; hostIp: string; r: PortRequest }[] = [];

  for (const e of input.endpoints) {
    const ep = input.spec.endpoints[e];
    const requests = endpointPortRequests(ep);
    if (requests.length === 0) continue;
    const gateway = publishingNetwork(input.spec, Object.keys(ep.networks));
    const through = gateway ? (input.via?.[gateway] ?? gateway) : undefined;
    const network = through ? input.bridges.get(through) : undefined;
    const ip = through ? input.addresses[attachmentKey(e, through)] : undefined;
    if (!gateway || !network || !ip) {
      // As Docker: port bindings on internal networks (or none, or host) publish nothing.
      out.warnings.push(`endpoints.${e}.ports: the endpoint has no non-internal bridge network, so nothing is published`);
      continue;
    }
    const hostIp = (r: PortRequest) => r.hostIp ?? input.spec.networks[gateway]?.hostBindingIPv4 ?? '0.0.0.0';
    for (const r of requests) {
      if (r.hostPort === undefined) {
        pending.push({ endpoint: e, network, ip, hostIp: hostIp(r), r });
        continue;
      }
      const listener = input.listeners.find((l) => l.port === r.hostPort && l.protocol === r.protocol && clash(l.address, hostIp(r)));
      if (listener) {
        out.errors.push({
          path: `endpoints.${e}.ports`,
          message: `host port ${r.hostPort}/${r.protocol} is already in use on the host by ${listener.process ?? 'a process'} listening on ${listener.address}`,
        });
        continue;
      }
      taken.push({ hostIp: hostIp(r), port: r.hostPort, protocol: r.protocol });
      out.ports.push({ endpoint: e, network, ip, hostIp: hostIp(r), hostPort: r.hostPort, target: r.target, protocol: r.protocol, ...(r.allowFrom ? { allowFrom: r.allowFrom } : {}) });
    }
  }

  // Previous choices first, so a newcomer never takes a port someone already had.
  const chosen = new Map<(typeof pending)[number], number>();
  for (const p of pending) {
    const key = requestKey(p.endpoint, p.hostIp, p.r);
    const prev = input.previous[key];
    const [lo, hi] = p.r.hostRange ?? input.range;
    if (prev !== undefined && prev >= lo && prev <= hi && !busy(p.hostIp, prev, p.r.protocol)) {
      chosen.set(p, prev);
      taken.push({ hostIp: p.hostIp, port: prev, protocol: p.r.protocol });
    }
  }
  for (const p of pending) {
    let port = chosen.get(p);
    if (port === undefined) {
      const [lo, hi] = p.r.hostRange ?? input.range;
      for (let c = lo; c <= hi && port === undefined; c++) if (!busy(p.hostIp, c, p.r.protocol)) port = c;
      if (port === undefined) {
        out.errors.push({ path: `endpoints.${p.endpoint}.ports`, message: `no free host port for ${p.r.target}/${p.r.protocol} in ${lo}-${hi}` });
        continue;
      }
      taken.push({ hostIp: p.hostIp, port, protocol: p.r.protocol });
    }
    const allocation = requestKey(p.endpoint, p.hostIp, p.r);
    out.allocations[allocation] = port;
    out.ports.push({ endpoint: p.endpoint, network: p.network, ip: p.ip, hostIp: p.hostIp, hostPort: port, target: p.r.target, protocol: p.r.protocol, ...(p.r.allowFrom ? { allowFrom: p.r.allowFrom } : {}), allocation });
  }
  return out;
}
