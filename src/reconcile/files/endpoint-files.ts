// One endpoint's resolv.conf, hosts and environment files, from the spec and what IPAM decided. Pure.
import { HOST_GATEWAY, parseExtraHost } from '../../spec/extra-hosts.js';
import { type Protocol, parseExpose, parsePort } from '../../spec/ports.js';
import type { Endpoint, Spec } from '../../spec/types.js';
import type { BridgeNetwork } from '../drivers/bridge.js';
import { DEFAULT_BRIDGE } from '../networks.js';
import { attachmentKey } from '../names.js';
import { type LinkTarget, linkVariables, proxyVariables, renderEnvironment } from './environment.js';
import { type HostsEntry, renderHosts } from './hosts.js';
import { endpointFile } from './paths.js';
import { type ResolvConf, renderResolvConf } from './resolv-conf.js';

/** One network an endpoint has an address on. */
export interface Attached {
  network: string;
  address: string;
  bridge: BridgeNetwork;
}

export interface EndpointFilesInput {
  spec: Spec;
  endpoint: string;
  /** A name under /run/netns. */
  netns: string;
  /** Its networks with an address, sorted by name. */
  attached: Attached[];
  /** "endpoint/network" → IPv4 address, for the endpoints it links to. */
  addresses: Record<string, string>;
  /** It has the embedded resolver. */
  resolver: boolean;
  host: ResolvConf;
}

const hostnameOf = (spec: Spec, e: string): string => spec.endpoints[e]?.hostname ?? e;

/** The endpoint ports a linked endpoint offers: what it exposes and what it publishes. */
function containerPorts(ep: Endpoint): { port: number; protocol: Protocol }[] {
  const seen = new Map<string, { port: number; protocol: Protocol }>();
  const add = (port: number, protocol: Protocol) => seen.set(`${port}/${protocol}`, { port, protocol });
  for (const entry of ep.ports ?? []) {
    const p = parsePort(entry);
    if (p.ok) for (const r of p.requests) add(r.target, r.protocol);
  }
  for (const entry of ep.expose ?? []) {
    const x = parseExpose(entry);
    if (x.ok) for (const r of x.ports) add(r.target, r.protocol);
  }
  return [...seen.values()];
}

type Linked = LinkTarget & { target: string };

/** Legacy links ("NAME" or "NAME:ALIAS") to endpoints with an address on the default bridge. */
function links(i: EndpointFilesInput): Linked[] {
  return (i.spec.endpoints[i.endpoint].links ?? []).flatMap((link): Linked[] => {
    const [target = '', alias = target] = link.split(':');
    const address = i.addresses[attachmentKey(target, DEFAULT_BRIDGE)];
    const other = i.spec.endpoints[target];
    return address && other ? [{ parent: i.endpoint, alias, address, ports: containerPorts(other), target }] : [];
  });
}

/** host-gateway is the gateway of the network the endpoint's default route goes through. */
function extraHosts(i: EndpointFilesInput, warnings: string[]): HostsEntry[] {
  const gateway = i.attached.find((a) => !a.bridge.internal)?.bridge.gateway;
  return (i.spec.endpoints[i.endpoint].extraHosts ?? []).flatMap((entry): HostsEntry[] => {
    const h = parseExtraHost(entry);
    if (!h.ok) return [];
    if (h.address !== HOST_GATEWAY) return [{ address: h.address, names: [h.name] }];
    if (gateway) return [{ address: gateway, names: [h.name] }];
    warnings.push(`endpoints.${i.endpoint}.extraHosts: "${entry}" left out: the endpoint has no route out, so no gateway`);
    return [];
  });
}

/** Path → content; no environment file when there is nothing to put in it. */
export function endpointFiles(i: EndpointFilesInput, warnings: string[]): Record<string, string> {
  const ep = i.spec.endpoints[i.endpoint];
  const linked = links(i);
  const files: Record<string, string> = {
    [endpointFile(i.netns, 'resolv.conf')]: renderResolvConf(i.host, { resolver: i.resolver, dns: ep.dns, dnsSearch: ep.dnsSearch, dnsOptions: ep.dnsOptions }),
    [endpointFile(i.netns, 'hosts')]: renderHosts({
      hostname: hostnameOf(i.spec, i.endpoint),
      addresses: i.attached.map((a) => a.address),
      extraHosts: extraHosts(i, warnings),
      links: linked.map((l) => ({ address: l.address, names: [l.alias, hostnameOf(i.spec, l.target), l.target] })),
    }),
  };
  const env = renderEnvironment([...proxyVariables(i.spec.settings.proxies?.default, ep.proxy), ...linked.flatMap(linkVariables)]);
  if (env !== undefined) files[endpointFile(i.netns, 'environment')] = env;
  return files;
}
