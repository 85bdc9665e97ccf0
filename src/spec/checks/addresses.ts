// Subnets, gateways and ranges that cannot work: host bits set, too small, or not where they must be.
import {
  broadcastOf,
  cidrContains,
  hasHostBits,
  networkOf,
  normalizeCidr,
  parseCidr,
  parseIpv4,
} from '../../net/ipv4.js';
import { defaultBridge } from '../defaults.js';
import { specPath, type Segment } from '../path.js';
import type { Report } from './report.js';

/** A gateway and one endpoint at least: smaller subnets leave no address to hand out. */
const SMALLEST_PREFIX = 30;

/** Host bits are most likely a typo for the network address, which the message offers. */
export function checkNetworkCidr(report: Report, segments: Segment[], cidr: string): void {
  if (hasHostBits(cidr)) report.add(segments, `"${cidr}" has host bits set; did you mean ${normalizeCidr(cidr)}?`);
}

function checkSubnet(report: Report, segments: Segment[], subnet: string): void {
  checkNetworkCidr(report, segments, subnet);
  if (parseCidr(subnet).prefix > SMALLEST_PREFIX) {
    report.add(segments, `"${subnet}" is too small; a network needs a /${SMALLEST_PREFIX} or larger`);
  }
}

/** Why `addr` cannot be an interface address in `subnet`, if it cannot. */
export function addressProblem(addr: string, subnet: string): string | undefined {
  const net = normalizeCidr(subnet);
  const n = parseIpv4(addr);
  if (!cidrContains(subnet, addr)) return `"${addr}" is not in subnet ${net}`;
  if (n === networkOf(subnet)) return `"${addr}" is the network address of ${net}`;
  if (n === broadcastOf(subnet)) return `"${addr}" is the broadcast address of ${net}`;
  return undefined;
}

function checkUserNetworks(report: Report): void {
  for (const [name, net] of Object.entries(report.spec.networks)) {
    const at = (field: string): Segment[] => ['networks', name, field];
    const needsSubnet = `set ${specPath(at('subnet'))}`;
    if (net.subnet) checkSubnet(report, at('subnet'), net.subnet);
    if (net.gateway) {
      const problem = net.subnet ? addressProblem(net.gateway, net.subnet) : `${needsSubnet} to choose a gateway`;
      if (problem) report.add(at('gateway'), problem);
    }
    if (net.ipRange) {
      checkNetworkCidr(report, at('ipRange'), net.ipRange);
      if (!net.subnet) report.add(at('ipRange'), `${needsSubnet} to use ipRange`);
      else if (!cidrContains(net.subnet, net.ipRange)) {
        report.add(at('ipRange'), `"${net.ipRange}" is not inside subnet ${normalizeCidr(net.subnet)}`);
      }
    }
  }
}

function checkSettings(report: Report): void {
  const { settings } = report.spec;
  const bridge = defaultBridge(report.spec);
  if (settings.defaultBridge?.subnet) checkSubnet(report, ['settings', 'defaultBridge', 'subnet'], bridge.subnet);
  if (bridge.gateway) {
    const problem = addressProblem(bridge.gateway, bridge.subnet);
    if (problem) report.add(['settings', 'defaultBridge', 'gateway'], problem);
  }
  settings.defaultAddressPools?.forEach((pool, i) => {
    const at = ['settings', 'defaultAddressPools', i];
    checkNetworkCidr(report, [...at, 'base'], pool.base);
    const { prefix } = parseCidr(pool.base);
    if (pool.size < prefix) report.add([...at, 'size'], `must be at least ${prefix}, the prefix of base ${pool.base}`);
  });
}

export function checkAddresses(report: Report): void {
  checkUserNetworks(report);
  checkSettings(report);
}
