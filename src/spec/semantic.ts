// Checks on the merged spec that a schema cannot express: references, address arithmetic,
// uniqueness and kernel limits. Each error points at the value it is about.
import { checkAddresses } from './checks/addresses.js';
import { checkAttachments } from './checks/attachments.js';
import { checkBridges } from './checks/bridges.js';
import { checkEndpoints } from './checks/endpoints.js';
import { checkMacvlans } from './checks/macvlan.js';
import { checkNetworks } from './checks/networks.js';
import { checkOptions } from './checks/options.js';
import { checkHosts, checkOverlays } from './checks/overlay.js';
import { checkOverlaps } from './checks/overlaps.js';
import { checkPorts } from './checks/ports.js';
import { Report } from './checks/report.js';
import type { SpecError } from './errors.js';
import type { Spec } from './types.js';

export function checkSpec(spec: Spec): SpecError[] {
  const report = new Report(spec);
  for (const check of [checkNetworks, checkAddresses, checkOverlaps, checkBridges, checkOptions, checkAttachments, checkEndpoints, checkPorts, checkOverlays, checkMacvlans, checkHosts]) {
    check(report);
  }
  return report.errors;
}
