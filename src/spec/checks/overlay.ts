// Overlay networks span the hosts of `hosts:`: every host must be able to work out, from the spec
// alone, the network's addresses, its VNI, where each endpoint runs and how traffic is protected.
import type { Segment } from '../path.js';
import { repeats, type Report } from './report.js';

function checkNetwork(report: Report, name: string): void {
  const { spec } = report;
  const net = spec.networks[name];
  const at = (field?: string): Segment[] => (field ? ['networks', name, field] : ['networks', name]);
  if (!net.subnet) report.add(at(), 'an overlay network needs a subnet: every host must agree on its addresses');
  if (Object.keys(spec.hosts).length === 0) report.add(at('driver'), 'an overlay network spans the hosts declared under hosts:, and there are none');
  if (net.encrypted && !net.keyFile) report.add(at('encrypted'), 'an encrypted overlay needs keyFile: the file holding its keys');
  if (net.encrypted && spec.settings.iptables === false) {
    report.add(at('encrypted'), 'encryption needs the firewall to refuse unencrypted traffic, and settings.iptables is false');
  }
  if (net.keyFile !== undefined && !net.encrypted) report.add(at('keyFile'), 'keyFile is read only when encrypted is true');
}

/** An endpoint on an overlay runs on one declared host: the others must know which. */
function checkEndpoints(report: Report, overlays: Set<string>): void {
  const hosts = Object.keys(report.spec.hosts);
  if (hosts.length === 0) return;
  for (const [name, ep] of Object.entries(report.spec.endpoints)) {
    const overlay = Object.keys(ep.networks).find((n) => overlays.has(n));
    if (overlay && ep.host === undefined) {
      report.add(['endpoints', name], `is on overlay network "${overlay}", so it must name its host (host: one of ${hosts.join(', ')})`);
    }
  }
}

export function checkOverlays(report: Report): void {
  const overlays = new Set(Object.entries(report.spec.networks).filter(([, n]) => n.driver === 'overlay').map(([name]) => name));
  for (const name of overlays) checkNetwork(report, name);
  checkEndpoints(report, overlays);
  const vnis = [...overlays]
    .filter((n) => report.spec.networks[n].vni !== undefined)
    .map((n) => ({ key: String(report.spec.networks[n].vni), segments: ['networks', n, 'vni'], network: n }));
  for (const [later, first] of repeats(report, vnis)) {
    report.add(later.segments, `VNI ${later.key} is already used by network "${first.network}" (${report.where(first.segments)})`);
  }
}

/** Two hosts with one underlay address would each take the other's tunnel traffic. */
export function checkHosts(report: Report): void {
  const addresses = Object.entries(report.spec.hosts).map(([name, h]) => ({ key: h.address, segments: ['hosts', name, 'address'], host: name }));
  for (const [later, first] of repeats(report, addresses)) {
    report.add(later.segments, `${later.key} is already the address of host "${first.host}" (${report.where(first.segments)})`);
  }
}
