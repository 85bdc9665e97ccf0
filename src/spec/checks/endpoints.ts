// Endpoint settings that refer to other things: hosts, linked endpoints, namespaces, source ranges, extra hosts.
import path from 'node:path';
import { parseExtraHost } from '../extra-hosts.js';
import type { Endpoint } from '../types.js';
import { checkNetworkCidr } from './addresses.js';
import { repeats, type Report } from './report.js';

function checkHost(report: Report, name: string, ep: Endpoint): void {
  const { hosts } = report.spec;
  // Without `hosts:`, any name is fine: it is matched against --host when reconciling.
  if (ep.host !== undefined && Object.keys(hosts).length > 0 && !(ep.host in hosts)) {
    report.add(['endpoints', name, 'host'], `host "${ep.host}" is not declared under hosts`);
  }
}

/** Legacy links, as Docker has them: on the default bridge only, between endpoints both on it. */
function checkLinks(report: Report, name: string, ep: Endpoint): void {
  if (!ep.links?.length) return;
  if (!('bridge' in ep.networks)) {
    report.add(['endpoints', name, 'links'], 'links work on the default bridge only, and this endpoint is not on "bridge"');
    return;
  }
  ep.links.forEach((link, i) => {
    const at = ['endpoints', name, 'links', i];
    const parts = link.split(':');
    const [target] = parts as [string];
    const other = report.spec.endpoints[target];
    if (parts.length > 2 || parts.includes('')) report.add(at, `"${link}" is not a link; write NAME or NAME:ALIAS`);
    else if (target === name) report.add(at, 'an endpoint cannot link to itself');
    else if (!other) report.add(at, `endpoint "${target}" is not declared`);
    else if (!('bridge' in other.networks)) report.add(at, `endpoint "${target}" is not on the default bridge`);
  });
}

function checkExtraHosts(report: Report, name: string, ep: Endpoint): void {
  ep.extraHosts?.forEach((entry, i) => {
    const h = parseExtraHost(entry);
    if (!h.ok) report.add(['endpoints', name, 'extraHosts', i], h.error);
  });
}

function checkAllowFrom(report: Report, name: string, ep: Endpoint): void {
  ep.ports?.forEach((port, i) => {
    if (typeof port !== 'object') return;
    port.allowFrom?.forEach((cidr, j) => checkNetworkCidr(report, ['endpoints', name, 'ports', i, 'allowFrom', j], cidr));
  });
}

/** Two endpoints configuring one namespace would fight over its interfaces. */
function checkNamespaces(report: Report): void {
  const used = Object.entries(report.spec.endpoints)
    .filter(([, ep]) => ep.netns !== undefined)
    .map(([endpoint, ep]) => ({
      // A bare name means /run/netns/NAME, as `ip netns` has it.
      key: ep.netns!.includes('/') ? path.resolve(ep.netns!) : `/run/netns/${ep.netns}`,
      value: ep.netns!,
      segments: ['endpoints', endpoint, 'netns'],
      endpoint,
    }));
  for (const [later, first] of repeats(report, used)) {
    report.add(later.segments, `namespace "${later.value}" is already used by endpoint "${first.endpoint}" (${report.where(first.segments)})`);
  }
}

export function checkEndpoints(report: Report): void {
  for (const [name, ep] of Object.entries(report.spec.endpoints)) {
    checkHost(report, name, ep);
    checkLinks(report, name, ep);
    checkAllowFrom(report, name, ep);
    checkExtraHosts(report, name, ep);
  }
  checkNamespaces(report);
}
