// Bridge interface names: the kernel's length limit, and one bridge per network.
import { MAX_IFNAME, defaultBridge } from '../defaults.js';
import type { Segment } from '../path.js';
import { repeats, type Report } from './report.js';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
// Same rule as the schema's Name, for the option, which the schema types only as a string.
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

interface BridgeName {
  key: string;
  segments: Segment[];
  owner: string;
}

function checkName(report: Report, segments: Segment[], name: string): void {
  if (!IFNAME.test(name)) {
    report.add(segments, `"${name}" is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)`);
  } else if (name.length > MAX_IFNAME) {
    report.add(segments, `"${name}" is ${name.length} characters; Linux interface names are at most ${MAX_IFNAME}`);
  }
}

/** Bridge names user networks fix; the others get a derived name at compile time. */
function userBridgeNames(report: Report): BridgeName[] {
  const names: BridgeName[] = [];
  for (const [network, net] of Object.entries(report.spec.networks)) {
    const option = net.options?.[BRIDGE_NAME_OPTION];
    const segments = net.bridge !== undefined ? ['networks', network, 'bridge'] : ['networks', network, 'options', BRIDGE_NAME_OPTION];
    const key = net.bridge ?? option;
    if (typeof key === 'string') names.push({ key, segments, owner: `network "${network}"` });
  }
  return names;
}

export function checkBridges(report: Report): void {
  const { spec } = report;
  if (spec.settings.defaultBridge?.name) checkName(report, ['settings', 'defaultBridge', 'name'], spec.settings.defaultBridge.name);
  for (const [network, net] of Object.entries(spec.networks)) {
    if (net.bridge !== undefined) checkName(report, ['networks', network, 'bridge'], net.bridge);
    const option = net.options?.[BRIDGE_NAME_OPTION];
    if (typeof option === 'string') checkName(report, ['networks', network, 'options', BRIDGE_NAME_OPTION], option);
  }
  const builtin = defaultBridge(spec);
  const builtinAt: Segment[] = ['settings', 'defaultBridge', 'name'];
  const names = userBridgeNames(report);
  // The default bridge keeps its name wherever it was written: the user network is the one to rename.
  const takesDefault = (n: BridgeName) => builtin.enabled && n.key === builtin.name;
  for (const n of names.filter(takesDefault)) {
    const where = report.written(builtinAt) ? report.where(builtinAt) : 'the default name';
    report.add(n.segments, `"${n.key}" is already the name of the default bridge (${where})`);
  }
  for (const [later, first] of repeats(report, names.filter((n) => !takesDefault(n)))) {
    report.add(later.segments, `"${later.key}" is already the bridge of ${first.owner} (${report.where(first.segments)})`);
  }
}
