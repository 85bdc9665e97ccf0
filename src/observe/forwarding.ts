// Reads the overlay state of the host namespace: permanent neighbours and static FDB entries on
// wirestate's VXLAN links, and its IPsec states and policies. Only on a host that has overlay
// links, with three processes in parallel: `ip -j -batch` (neighbours, then the xfrm states:
// `ip xfrm … show` ends the process, so it must come last), `ip xfrm policy show`, and one
// `bridge -j -batch` with an `fdb show dev` per VXLAN link.
import type { FdbEntry, Link, NamespaceState, Neighbour } from '../model/state.js';
import { fdbKey, neighbourKey } from '../model/state.js';
import { run } from '../kernel/run.js';
import { splitBatchJson } from './parse-ip.js';
import { parseXfrmPolicies, parseXfrmStates } from './parse-xfrm.js';

export type Forwarding = Pick<NamespaceState, 'neighbours' | 'fdb' | 'xfrmStates' | 'xfrmPolicies'>;

export interface IpNeighJson {
  dst: string;
  dev?: string;
  lladdr?: string;
}

export interface BridgeFdbJson {
  mac: string;
  dst?: string;
  flags?: string[];
}

/** Pure: the permanent neighbours on `devs`. */
export function parseNeighbours(entries: IpNeighJson[], devs: ReadonlySet<string>): Record<string, Neighbour> {
  const out: Record<string, Neighbour> = {};
  for (const e of entries) {
    if (!e.dev || !devs.has(e.dev) || !e.lladdr) continue;
    const n: Neighbour = { dev: e.dev, ip: e.dst, mac: e.lladdr };
    out[neighbourKey(n)] = n;
  }
  return out;
}

/** Pure: one `fdb show dev DEV` answer → the VXLAN's own entries (flag self, with a remote), not the bridge's learnt ones. */
export function parseFdb(dev: string, entries: BridgeFdbJson[]): Record<string, FdbEntry> {
  const out: Record<string, FdbEntry> = {};
  for (const e of entries) {
    if (!e.dst || !e.flags?.includes('self') || e.mac === '00:00:00:00:00:00') continue;
    const f: FdbEntry = { dev, mac: e.mac, dst: e.dst };
    out[fdbKey(f)] = f;
  }
  return out;
}

async function must(cmd: string, args: string[], netns: string | null, input?: string): Promise<string> {
  const res = await run(cmd, args, { netns, input });
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in namespace ${netns ?? '(current)'}: ${res.stderr.trim()}`);
  return res.stdout;
}

/** {} when the host has no owned VXLAN link: then there is nothing of the overlay's to read. */
export async function observeForwarding(netns: string | null, links: Record<string, Link>): Promise<Forwarding> {
  const vxlans = Object.values(links)
    .filter((l) => l.kind === 'vxlan')
    .map((l) => l.name)
    .sort();
  if (vxlans.length === 0) return {};
  const [neighAndStates, policies, fdb] = await Promise.all([
    must('ip', ['-j', '-batch', '-'], netns, 'neigh show nud permanent\nxfrm state show\n'),
    must('ip', ['xfrm', 'policy', 'show'], netns),
    must('bridge', ['-j', '-batch', '-'], netns, vxlans.map((v) => `fdb show dev ${v}\n`).join('')),
  ]);
  // The first line is the neighbours' JSON; the xfrm states follow as text.
  const newline = neighAndStates.indexOf('\n');
  const [neigh] = splitBatchJson(newline < 0 ? neighAndStates : neighAndStates.slice(0, newline), 1);
  const perDev = splitBatchJson(fdb, vxlans.length);
  return {
    neighbours: parseNeighbours(neigh as IpNeighJson[], new Set(vxlans)),
    fdb: Object.assign({}, ...vxlans.map((v, i) => parseFdb(v, perDev[i] as BridgeFdbJson[]))),
    xfrmStates: parseXfrmStates(newline < 0 ? '' : neighAndStates.slice(newline + 1)),
    xfrmPolicies: parseXfrmPolicies(policies),
  };
}
