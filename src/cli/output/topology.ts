// The topology a drift report draws: networks (bridges), endpoints (namespaces) with their
// attachments, and published ports, each marked with the drift that touches it. Built from the
// desired and the observed HostState alone, through the ownership marks wirestate puts on links
// (`wirestate network N`, `wirestate endpoint E network N`), plus the spec for the ports.
import { HOST_NS, type HostState, type Link, type NamespaceState } from '../../model/state.js';
import { normalizeCidr } from '../../net/ipv4.js';
import type { DriftItem, DriftReport } from '../../reconcile/drift.js';
import type { Spec } from '../../spec/types.js';

export type TopoState = 'ok' | 'missing' | 'extra' | 'changed';

interface Marked {
  state: TopoState;
  /** The drift items that touch this element: "link ws-web missing". */
  drift: string[];
}

export interface TopoNetwork extends Marked {
  name: string;
  bridge: string;
  subnet: string;
}

export interface TopoAttachment extends Marked {
  network: string;
  ifname: string;
  /** "10.10.0.3/24", or "" when it has none. */
  address: string;
}

export interface TopoPort extends Marked {
  /** As the spec writes it: "8080:80", "127.0.0.1:8443:443/tcp", "8081 → 80/tcp". */
  text: string;
  /** The host port as iptables prints it after `--dport` ("8080", "9000:9002"); absent when the kernel picks one. */
  published?: string;
}

export interface TopoEndpoint extends Marked {
  name: string;
  /** Its namespace, or "" for an endpoint on the host network (no namespace of its own). */
  namespace: string;
  attachments: TopoAttachment[];
  ports: TopoPort[];
}

export interface Topology {
  networks: TopoNetwork[];
  endpoints: TopoEndpoint[];
  /** Drift on the host that belongs to no network or endpoint: firewall chains, sysctls. */
  host: Marked;
}

const NETWORK = /^wirestate network (\S+)$/;
const ENDPOINT = /^wirestate endpoint (\S+) network (\S+)$/;

const presence = (desired: boolean, observed: boolean): TopoState => (desired && observed ? 'ok' : desired ? 'missing' : 'extra');
const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The same key from both sides, desired first: what is in either, and on which side. */
function union<T>(desired: Record<string, T> | undefined, observed: Record<string, T> | undefined): { key: string; value: T; state: TopoState }[] {
  const keys = [...new Set([...Object.keys(desired ?? {}), ...Object.keys(observed ?? {})])];
  return keys.map((key) => ({ key, value: (desired?.[key] ?? observed?.[key])!, state: presence(key in (desired ?? {}), key in (observed ?? {})) }));
}

const addressOn = (ns: NamespaceState | undefined, dev: string): string => Object.values(ns?.addresses ?? {}).find((a) => a.dev === dev)?.cidr ?? '';

/** `"8080:80"` → the host port as iptables prints it in `--dport`, or undefined when none is published. */
function publishedPort(port: string | number | { published?: number | string }): string | undefined {
  if (typeof port === 'object') return port.published === undefined ? undefined : String(port.published).replace('-', ':');
  const parts = String(port).split('/')[0]!.split(':');
  return parts.length >= 2 ? parts[parts.length - 2]!.replace('-', ':') : undefined;
}

function portText(port: string | number | { target: number; published?: number | string; protocol?: string; hostIp?: string }): string {
  if (typeof port !== 'object') return String(port);
  const host = port.published === undefined ? 'random port' : `${port.hostIp ? `${port.hostIp}:` : ''}${port.published}`;
  return `${host} → ${port.target}/${port.protocol ?? 'tcp'}`;
}

function mark(el: Marked, item: DriftItem, main: boolean): void {
  el.drift.push(`${item.kind} ${item.name} ${item.status}`);
  // Drift of the element's own kernel object says what happened to the element; anything else changes it.
  if (el.state === 'ok') el.state = main ? item.status : 'changed';
  else if (main && el.state === 'changed') el.state = item.status;
}

export function topology(desired: HostState, observed: HostState, report: DriftReport, spec?: Spec): Topology {
  const dHost = desired.namespaces[HOST_NS];
  const oHost = observed.namespaces[HOST_NS];
  const host: Marked = { state: 'ok', drift: [] };

  const networks = new Map<string, TopoNetwork>(); // by bridge name
  const hostVeths = new Map<string, TopoAttachment>(); // host end of an attachment, by link name
  for (const { key, value, state } of union<Link>(dHost?.links, oHost?.links)) {
    const m = value.kind === 'bridge' ? NETWORK.exec(value.alias ?? '') : null;
    if (!m) continue;
    const cidr = addressOn(dHost, key) || addressOn(oHost, key);
    networks.set(key, { name: m[1]!, bridge: key, subnet: cidr ? normalizeCidr(cidr) : '', state, drift: [] });
  }

  const endpoints = new Map<string, TopoEndpoint>(); // by namespace key
  for (const { key, value, state } of union<NamespaceState>(desired.namespaces, observed.namespaces)) {
    if (key === HOST_NS || !value.endpoint) continue;
    const dNs = desired.namespaces[key];
    const oNs = observed.namespaces[key];
    const attachments: TopoAttachment[] = [];
    for (const link of union<Link>(dNs?.links, oNs?.links)) {
      const m = ENDPOINT.exec(link.value.alias ?? '');
      if (!m) continue;
      attachments.push({ network: m[2]!, ifname: link.key, address: addressOn(dNs, link.key) || addressOn(oNs, link.key), state: link.state, drift: [] });
    }
    endpoints.set(key, { name: value.endpoint, namespace: value.netns ?? key, state, drift: [], attachments: attachments.sort((a, b) => (a.network < b.network ? -1 : 1)), ports: [] });
  }
  for (const { value } of union<Link>(dHost?.links, oHost?.links)) {
    const m = value.kind === 'veth' ? ENDPOINT.exec(value.alias ?? '') : null;
    const ep = m ? [...endpoints.values()].find((e) => e.name === m[1]) : undefined;
    const att = ep?.attachments.find((a) => a.network === m![2]);
    if (att) hostVeths.set(value.name, att);
  }
  // Endpoints of the spec without a namespace of their own share the host's network stack.
  for (const [name, e] of Object.entries(spec?.endpoints ?? {})) {
    if (![...endpoints.values()].some((x) => x.name === name)) endpoints.set(`@spec/${name}`, { name, namespace: '', state: 'ok', drift: [], attachments: [], ports: [] });
    const ep = [...endpoints.values()].find((x) => x.name === name)!;
    ep.ports = (e.ports ?? []).map((p) => ({ text: portText(p), published: publishedPort(p), state: 'ok', drift: [] }));
    if (e.publishAll) ep.ports.push({ text: 'every exposed port (publishAll)', state: 'ok', drift: [] });
  }

  const devOf = (item: DriftItem): string | undefined => {
    const ns = item.namespace;
    if (item.kind === 'address') return (desired.namespaces[ns]?.addresses[item.name] ?? observed.namespaces[ns]?.addresses[item.name])?.dev;
    if (item.kind === 'route') return (desired.namespaces[ns]?.routes[item.name] ?? observed.namespaces[ns]?.routes[item.name])?.dev;
    return item.kind === 'link' ? item.name : undefined;
  };
  for (const item of report.items) {
    const dev = devOf(item);
    if (item.namespace === HOST_NS) {
      const net = dev === undefined ? undefined : networks.get(dev);
      const att = dev === undefined ? undefined : hostVeths.get(dev);
      if (net) mark(net, item, item.kind === 'link');
      else if (att) mark(att, item, true);
      else mark(host, item, false);
      // A published port is drifted when a changed firewall rule names its host port.
      const ports = [...endpoints.values()].flatMap((e) => e.ports);
      for (const p of ports) if (p.published && item.detail?.some((d) => ` ${d} `.includes(` --dport ${p.published} `))) mark(p, item, false);
      continue;
    }
    const ep = endpoints.get(item.namespace);
    if (!ep) continue;
    const att = ep.attachments.find((a) => a.ifname === dev);
    if (att) mark(att, item, item.kind === 'link');
    else mark(ep, item, item.kind === 'namespace');
  }
  return { networks: [...networks.values()].sort(byName), endpoints: [...endpoints.values()].sort(byName), host };
}
