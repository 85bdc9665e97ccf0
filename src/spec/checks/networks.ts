// Network declarations wirestate cannot honour: reserved names, drivers not built yet, and fields
// of another driver that a bridge network would silently ignore.
import { BUILTIN_NETWORKS, type NetworkSpec } from '../types.js';
import type { Report } from './report.js';

const UNSUPPORTED_DRIVERS = new Set(['overlay', 'macvlan', 'cni']);

const DRIVER_FIELDS: Partial<Record<keyof NetworkSpec, string>> = {
  encrypted: 'overlay',
  keyFile: 'overlay',
  vni: 'overlay',
  parent: 'macvlan',
  mode: 'macvlan',
};

export function checkNetworks(report: Report): void {
  for (const [name, net] of Object.entries(report.spec.networks)) {
    if ((BUILTIN_NETWORKS as readonly string[]).includes(name)) {
      report.add(['networks', name], `"${name}" is reserved for the built-in network; choose another name`);
    }
    const driver = net.driver ?? 'bridge';
    if (UNSUPPORTED_DRIVERS.has(driver)) {
      report.add(['networks', name, 'driver'], `driver "${driver}" is not supported yet`);
      continue;
    }
    for (const [field, owner] of Object.entries(DRIVER_FIELDS)) {
      if (net[field as keyof NetworkSpec] !== undefined) {
        report.add(['networks', name, field], `only the ${owner} driver uses ${field}; this network's driver is ${driver}`);
      }
    }
  }
}
