// Docker-shaped views (`network ls`, `network inspect`) of the networks as the kernel has them:
// built from the observed model only, so they show what is, not what the YAML wishes.
import { createHash } from 'node:crypto';
import type { HostState } from '../../model/state.js';
import { HOST_NS } from '../../model/state.js';
import { normalizeCidr } from '../../net/ipv4.js';
import { DNAT_CHAIN_PREFIX } from '../../reconcile/firewall/iptables.js';

const id = (kind: string, name: string) => createHash('sha256').update(`wirestate ${kind} ${name}`).digest('hex');
const NETWORK = /^wirestate network (\S+)$/;
const ENDPOINT = /^wirestate endpoint (\S+) network (\S+)$/;

export interface NetworkView {
  Name: string;
  Id: string;
  Scope: 'local' | 'swarm';
  Driver: 'bridge' | 'overlay' | 'host' | 'null';
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string; Ports: string[] }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

function builtin(name: 'host' | 'none'): NetworkView {
  return {
    Name: name,
    Id: id('network', name),
    Scope: 'local',
    Driver: name === 'host' ? 'host' : 'null',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

const DNAT = /^(?:-s \S+ )?(?:-d (\S+)\/32 )?-p (\w+) -m \w+ --dport (\d+) (?:-m comment --comment "[^"]*" )?-j DNAT --to-destination ([\d.]+):(\d+)$/;

/** Published ports as the kernel has them: endpoint address → "hostIp:port->target/proto". */
function publishedPorts(nat: Record<string, string[] | null>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [chain, rules] of Object.entries(nat)) {
    if (!chain.startsWith(DNAT_CHAIN_PREFIX)) continue;
    for (const rule of rules ?? []) {
      const m = DNAT.exec(rule);
      if (!m) continue;
      const text = `${m[1] ?? '0.0.0.0'}:${m[3]}->${m[5]}/${m[2]}`;
      const list = out.get(m[4]) ?? [];
      // allowFrom writes one rule per source: show the mapping once.
      if (!list.includes(text)) list.push(text);
      out.set(m[4], list);
    }
  }
  return out;
}

export function networkViews(state: HostState): NetworkView[] {
  const host = state.namespaces[HOST_NS];
  const filter = host?.firewall?.tables.filter?.chains ?? {};
  const nat = host?.firewall?.tables.nat?.chains ?? {};
  const ports = publishedPorts(nat);
  const views: NetworkView[] = [];
  for (const link of Object.values(host?.links ?? {})) {
    const m = link.kind === 'bridge' ? NETWORK.exec(link.alias ?? '') : null;
    if (!m) continue;
    const br = link.name;
    const addr = Object.values(host.addresses).find((a) => a.dev === br);
    const has = (rules: string[] | null | undefined, rule: string) => (rules ?? []).includes(rule);
    const containers: NetworkView['Containers'] = {};
    for (const ns of Object.values(state.namespaces)) {
      for (const l of Object.values(ns.links)) {
        const e = ns !== host && l.kind === 'veth' ? ENDPOINT.exec(l.alias ?? '') : null;
        if (!e || e[2] !== m[1]) continue;
        const a = Object.values(ns.addresses).find((x) => x.dev === l.name);
        const ip = a?.cidr.split('/')[0] ?? '';
        containers[id('endpoint', e[1])] = {
          Name: e[1],
          EndpointID: id('attachment', `${e[1]}/${e[2]}`),
          MacAddress: l.mac ?? '',
          IPv4Address: a?.cidr ?? '',
          IPv6Address: '',
          Ports: ports.get(ip) ?? [],
        };
      }
    }
    const subnet = addr ? normalizeCidr(addr.cidr) : '';
    // An overlay's bridge is the one with a VXLAN port (and, being layer 2 only, no address).
    const tunnel = Object.values(host.links).find((l) => l.kind === 'vxlan' && l.master === br);
    views.push({
      Name: m[1],
      Id: id('network', m[1]),
      Scope: tunnel ? 'swarm' : 'local',
      Driver: tunnel ? 'overlay' : 'bridge',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: addr ? [{ Subnet: subnet, Gateway: addr.cidr.split('/')[0] }] : [] },
      Internal: has(filter['WIRESTATE-INTERNAL'], `! -s ${subnet} -o ${br} -j DROP`),
      Attachable: false,
      Ingress: false,
      Containers: containers,
      Options: {
        ...(tunnel?.vxlan ? { 'com.docker.network.driver.overlay.vxlanid_list': String(tunnel.vxlan.vni) } : {}),
        'com.docker.network.bridge.name': br,
        'com.docker.network.bridge.enable_icc': String(!has(filter['WIRESTATE-FORWARD'], `-i ${br} -o ${br} -j DROP`)),
        'com.docker.network.bridge.enable_ip_masquerade': String(has(nat['WIRESTATE-POSTROUTING'], `-s ${subnet} ! -o ${br} -j MASQUERADE`)),
        'com.docker.network.driver.mtu': String(link.mtu ?? ''),
        ...(m[1] === 'bridge' ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}),
      },
      Labels: {},
    });
  }
  views.push(builtin('host'), builtin('none'));
  return views.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}
