// Subnets that share addresses: routes and ARP would be ambiguous, so at most one may hold each address.
import { cidrsOverlap, normalizeCidr } from '../../net/ipv4.js';
import { comparePos } from '../errors.js';
import { defaultBridge } from '../defaults.js';
import type { Segment } from '../path.js';
import type { Report } from './report.js';

interface Claim {
  subnet: string;
  segments: Segment[];
  /** How the message names this subnet's owner. */
  owner: string;
}

export function checkOverlaps(report: Report): void {
  const bridge = defaultBridge(report.spec);
  const bridgeAt: Segment[] = ['settings', 'defaultBridge', 'subnet'];
  const builtin: Claim[] = bridge.enabled ? [{ subnet: bridge.subnet, segments: bridgeAt, owner: 'the default bridge' }] : [];
  const user = Object.entries(report.spec.networks)
    .filter(([, net]) => net.subnet !== undefined)
    .map(([name, net]): Claim => ({ subnet: net.subnet!, segments: ['networks', name, 'subnet'], owner: `network "${name}"` }))
    .sort((a, b) => comparePos(report.at(a.segments), report.at(b.segments)));
  // The default bridge is always "first": the user network is the one that moves.
  const claims = [...builtin, ...user];
  claims.forEach((claim, i) => {
    const other = claims.slice(0, i).find((earlier) => cidrsOverlap(earlier.subnet, claim.subnet));
    if (!other) return;
    const where = report.written(other.segments) ? report.where(other.segments) : 'the default; settings.defaultBridge.subnet changes it';
    report.add(claim.segments, `"${claim.subnet}" overlaps ${normalizeCidr(other.subnet)} of ${other.owner} (${where})`);
  });
}
