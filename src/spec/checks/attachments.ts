// An endpoint's networks: each must exist and accept the settings given for it, and static
// addresses must fit the network's subnet and be nobody else's.
import { firstUsable } from '../../net/ipv4.js';
import { defaultBridge } from '../defaults.js';
import { specPath, type Segment } from '../path.js';
import type { EndpointNetworkSpec, NetworkSpec } from '../types.js';
import { addressProblem } from './addresses.js';
import { repeats, type Report } from './report.js';

interface Taken {
  /** What must be unique, normalised. */
  key: string;
  /** As written. */
  value: string;
  segments: Segment[];
  endpoint: string;
}

/** Networks that are a whole stack (the host's, or loopback only): nothing else fits beside them. */
const EXCLUSIVE = new Set(['host', 'none']);

function checkExclusive(report: Report, at: Segment[], network: string, att: EndpointNetworkSpec, count: number): void {
  if (count > 1) report.add(at, `"${network}" cannot be combined with other networks`);
  for (const field of ['ipv4', 'mac', 'aliases'] as const) {
    if (att[field] !== undefined) report.add([...at, field], `${field} cannot be set on the "${network}" network`);
  }
}

function checkDefaultBridge(report: Report, endpoint: string, at: Segment[], att: EndpointNetworkSpec): void {
  if (!defaultBridge(report.spec).enabled) {
    if (report.written(at)) report.add(at, 'the default bridge is disabled (settings.defaultBridge.enabled: false)');
    else report.add(['endpoints', endpoint], 'lists no networks, so it joins the default bridge, which settings.defaultBridge.enabled: false disables');
  }
  // Docker's rules: the default bridge has no per-endpoint addressing or DNS of its own.
  if (att.ipv4 !== undefined) report.add([...at, 'ipv4'], 'a static address is supported on user-defined networks only');
  if (att.aliases !== undefined) report.add([...at, 'aliases'], 'network-scoped aliases are supported on user-defined networks only');
}

/** A static address on a user network: a problem, or undefined when it is usable. */
function staticAddressProblem(network: string, net: NetworkSpec, ipv4: string): string | undefined {
  if (!net.subnet) return `set ${specPath(['networks', network, 'subnet'])} to use a static address`;
  const problem = addressProblem(ipv4, net.subnet);
  if (problem) return problem;
  return ipv4 === (net.gateway ?? firstUsable(net.subnet)) ? `"${ipv4}" is the gateway of network "${network}"` : undefined;
}

function macProblem(mac: string): string | undefined {
  const octets = mac.split(':').map((o) => parseInt(o, 16));
  if (octets.every((o) => o === 0)) return `"${mac}" is not a usable MAC address`;
  if (octets[0]! & 1) return `"${mac}" is a multicast MAC address; an interface needs a unicast one`;
  return undefined;
}

export function checkAttachments(report: Report): void {
  const ips: Taken[] = [];
  const macs: Taken[] = [];
  for (const [endpoint, ep] of Object.entries(report.spec.endpoints)) {
    const count = Object.keys(ep.networks).length;
    for (const [network, att] of Object.entries(ep.networks)) {
      const at: Segment[] = ['endpoints', endpoint, 'networks', network];
      if (EXCLUSIVE.has(network)) {
        checkExclusive(report, at, network, att, count);
        continue;
      }
      if (att.mac !== undefined) {
        const problem = macProblem(att.mac);
        if (problem) report.add([...at, 'mac'], problem);
        else macs.push({ key: att.mac.toLowerCase(), value: att.mac, segments: [...at, 'mac'], endpoint });
      }
      if (network === 'bridge') {
        checkDefaultBridge(report, endpoint, at, att);
        continue;
      }
      const net = report.spec.networks[network];
      if (!net) {
        report.add(at, `network "${network}" is not declared`);
        continue;
      }
      if (att.ipv4 === undefined) continue;
      const problem = staticAddressProblem(network, net, att.ipv4);
      if (problem) report.add([...at, 'ipv4'], problem);
      else ips.push({ key: `${network} ${att.ipv4}`, value: att.ipv4, segments: [...at, 'ipv4'], endpoint });
    }
  }
  for (const [later, first] of [...repeats(report, ips), ...repeats(report, macs)]) {
    report.add(later.segments, `"${later.value}" is already taken by endpoint "${first.endpoint}" (${report.where(first.segments)})`);
  }
}
