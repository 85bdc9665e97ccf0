// macvlan networks put endpoints straight on a physical network through a parent link: the parent
// must be one macvlan can sit on, and the network must say which subnet that physical network has.
import { MAX_IFNAME } from '../defaults.js';
import type { Segment } from '../path.js';
import type { Report } from './report.js';

const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** `eth0.10`: an 802.1Q sub-interface, which wirestate creates when it does not exist. */
export const VLAN_PARENT = /^(.+)\.(\d+)$/;

function parentProblem(parent: string): string | undefined {
  if (parent === 'lo') return '"lo" cannot be a macvlan parent';
  if (!IFNAME.test(parent)) return `"${parent}" is not a valid interface name (letters, digits, "_", "." and "-", starting with a letter or digit)`;
  if (parent.length > MAX_IFNAME) return `"${parent}" is ${parent.length} characters; Linux interface names are at most ${MAX_IFNAME}`;
  const vlan = VLAN_PARENT.exec(parent);
  if (vlan && (Number(vlan[2]) < 1 || Number(vlan[2]) > 4094)) return `"${parent}": VLAN id ${Number(vlan[2])} is outside 1–4094`;
  return undefined;
}

/** passthru hands the whole parent to one endpoint: no other network may use it, and each host has one endpoint on it. */
function checkPassthru(report: Report, macvlans: [string, { parent?: string; mode?: string }][]): void {
  for (const [name, net] of macvlans) {
    if (net.mode !== 'passthru' || !net.parent) continue;
    for (const [other, o] of macvlans) {
      if (other !== name && o.parent === net.parent) {
        report.add(['networks', other, 'parent'], `parent "${net.parent}" is taken whole by passthru network "${name}" (${report.where(['networks', name, 'mode'])})`);
      }
    }
    const byHost = new Map<string, string>();
    for (const [e, ep] of Object.entries(report.spec.endpoints).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!(name in ep.networks)) continue;
      const first = byHost.get(ep.host ?? '');
      if (first) report.add(['endpoints', e, 'networks', name], `passthru network "${name}" takes one endpoint per host, and endpoint "${first}" is already on it`);
      else byHost.set(ep.host ?? '', e);
    }
  }
}

export function checkMacvlans(report: Report): void {
  const macvlans = Object.entries(report.spec.networks).filter(([, n]) => n.driver === 'macvlan');
  for (const [name, net] of macvlans) {
    const at = (field?: string): Segment[] => (field ? ['networks', name, field] : ['networks', name]);
    const problem = net.parent === undefined ? undefined : parentProblem(net.parent);
    if (problem) report.add(at('parent'), problem);
    if (!net.subnet) report.add(at(), 'a macvlan network needs a subnet: the one of the network its endpoints are on');
  }
  checkPassthru(report, macvlans);
}
