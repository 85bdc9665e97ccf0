// Network declarations wirestate cannot honour: reserved names, drivers not built yet, and fields
// that the network's driver would silently ignore.
import { GWBRIDGE } from '../defaults.js';
import { BUILTIN_NETWORKS, type NetworkSpec } from '../types.js';
import type { Report } from './report.js';

const UNSUPPORTED_DRIVERS = new Set(['cni']);

/** The drivers that use each driver-specific field. */
const DRIVER_FIELDS: Partial<Record<keyof NetworkSpec, string[]>> = {
  encrypted: ['overlay'],
  keyFile: ['overlay'],
  vni: ['overlay'],
  port: ['overlay'],
  parent: ['macvlan'],
  mode: ['macvlan'],
  icc: ['bridge'],
  masquerade: ['bridge'],
  bridge: ['bridge', 'overlay'],
  hostBindingIPv4: ['bridge', 'overlay'],
};

const drivers = (owners: string[]): string => (owners.length === 1 ? `the ${owners[0]} driver uses` : `the ${owners.join(' and ')} drivers use`);

export function checkNetworks(report: Report): void {
  for (const [name, net] of Object.entries(report.spec.networks)) {
    if ((BUILTIN_NETWORKS as readonly string[]).includes(name)) {
      report.add(['networks', name], `"${name}" is reserved for the built-in network; choose another name`);
    }
    if (name === GWBRIDGE) report.add(['networks', name], `"${name}" is reserved for the gateway bridge of overlay networks; choose another name`);
    const driver = net.driver ?? 'bridge';
    if (UNSUPPORTED_DRIVERS.has(driver)) {
      report.add(['networks', name, 'driver'], `driver "${driver}" is not supported yet`);
      continue;
    }
    for (const [field, owners] of Object.entries(DRIVER_FIELDS)) {
      if (net[field as keyof NetworkSpec] !== undefined && !owners.includes(driver)) {
        report.add(['networks', name, field], `only ${drivers(owners)} ${field}; this network's driver is ${driver}`);
      }
    }
  }
}
