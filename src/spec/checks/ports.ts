// Published ports: each entry must parse, and no host address/port/protocol may be published twice
// (0.0.0.0 takes the port on every address, so it clashes with any specific one).
import { parseExpose, parsePort, publishingNetwork } from '../ports.js';
import type { Segment } from '../path.js';
import { comparePos } from '../errors.js';
import type { Report } from './report.js';

interface Fixed {
  key: string;
  segments: Segment[];
  endpoint: string;
  hostIp: string;
  port: number;
  protocol: string;
}

export function checkPorts(report: Report): void {
  const fixed: Fixed[] = [];
  for (const [name, ep] of Object.entries(report.spec.endpoints)) {
    const gateway = publishingNetwork(report.spec, Object.keys(ep.networks));
    const defaultIp = (gateway && report.spec.networks[gateway]?.hostBindingIPv4) ?? '0.0.0.0';
    ep.ports?.forEach((entry, i) => {
      const segments = ['endpoints', name, 'ports', i];
      const parsed = parsePort(entry);
      if (!parsed.ok) return report.add(segments, parsed.error);
      for (const r of parsed.requests) {
        if (r.hostPort === undefined) continue;
        const hostIp = r.hostIp ?? defaultIp;
        // Endpoints on different hosts publish on different machines: only one host's ports can clash.
        fixed.push({ key: `${ep.host ?? ''} ${r.protocol}/${r.hostPort}`, segments, endpoint: name, hostIp, port: r.hostPort, protocol: r.protocol });
      }
    });
    ep.expose?.forEach((entry, i) => {
      const parsed = parseExpose(entry);
      if (!parsed.ok) report.add(['endpoints', name, 'expose', i], parsed.error);
    });
  }
  // Same protocol and port: a clash unless both name different specific addresses.
  const seen: Fixed[] = [];
  for (const item of [...fixed].sort((a, b) => comparePos(report.at(a.segments), report.at(b.segments)))) {
    const first = seen.find((f) => f.key === item.key && (f.hostIp === item.hostIp || f.hostIp === '0.0.0.0' || item.hostIp === '0.0.0.0'));
    if (first) report.add(item.segments, `host port ${item.hostIp}:${item.port}/${item.protocol} is already published by endpoint "${first.endpoint}" (${report.where(first.segments)})`);
    else seen.push(item);
  }
}
