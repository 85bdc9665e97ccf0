// Which kernel event lines can change what a pass finds, so that traffic alone never makes the
// loop spin. ARP raises neighbour events (REACHABLE, STALE, PROBE, FAILED) in every namespace,
// and the bridges report each MAC they learn as a neighbour line without an address: wirestate
// keeps none of those. It keeps the overlays' static entries on its VXLAN links in the host
// namespace (only it, or a person, writes there) and its own IPsec objects. As iproute2 6.1
// prints them (more in the unit test):
//
//   [nsid current][NEIGH]10.40.0.213 dev wsvx35a7ac lladdr 02:42:0a:28:00:d5 PERMANENT
//   [nsid current][NEIGH]Deleted 192.0.2.12 dev wsvx35a7ac lladdr 02:42:0a:28:00:d5 NOARP PERMANENT
//   [nsid current][NEIGH]dev wsvx35a7ac lladdr 02:42:0a:28:00:d5 REACHABLE
//
// a neighbour; an FDB entry (its tunnel end where a neighbour has its address); a MAC the bridge
// learnt. A deleted neighbour shows as FAILED, then Deleted … FAILED: the state says nothing, the
// device does — in the host's lines only: `ip monitor` names another namespace's device by its
// index in the host namespace (an endpoint's eth0 reads as `ws-front`).
import { isVxlanName, isWirestateXfrm } from '../reconcile/names.js';

const IP_LINE = /^\[nsid ([^\]]+)\]\[(\w+)\](.*)$/;
/** A neighbour or FDB line with an address before `dev`: not the bridge's learnt entries, not a `miss`. */
const NEIGH_ENTRY = /^(?:Deleted )?[0-9a-f.:]+ dev (\S+)(?: |$)/;

/** Whether a line of `ip -o monitor all-nsid label …` can change what a pass finds. */
export function ipEventMatters(line: string): boolean {
  const m = IP_LINE.exec(line);
  // A line in a shape not known here counts: a pass too many is cheaper than a repair missed.
  if (!m || m[2] !== 'NEIGH') return true;
  const entry = NEIGH_ENTRY.exec(m[3]!);
  return m[1] === 'current' && entry !== null && isVxlanName(entry[1]!);
}

const TAGS = /\b(?:reqid (\d+)|mark (0x[0-9a-f]+)\/)/g;

/**
 * For a line of `ip -o xfrm monitor nokeys SA policy` that concerns wirestate's IPsec (its reqid
 * or mark, or a flush of everything), what to log: the object's head line only, so nothing near
 * a key is ever logged. undefined for anyone else's states and policies.
 */
export function xfrmEvent(line: string): string | undefined {
  const head = line.split('\\')[0]!.trim();
  if (head.startsWith('Flushed ')) return head;
  for (const [, reqid, mark] of line.matchAll(TAGS)) {
    if (isWirestateXfrm(reqid !== undefined ? Number(reqid) : Number.parseInt(mark!, 16))) return head;
  }
  return undefined;
}
