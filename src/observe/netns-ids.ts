// Which named namespace is which, seen from the host namespace: the id the host gives it (nsid),
// which is how `ip -o monitor all-nsid` names the namespace an event comes from, and the inode of
// the namespace itself. A namespace deleted and made again under the same name has no nsid, or
// another one, and another inode (both can be reused, hardly both at once): the controller uses
// the pair to tell that what it read earlier under a name is still that namespace's.
import { statSync } from 'node:fs';
import { run } from '../kernel/run.js';

export interface NetnsId {
  nsid: number;
  inode: number;
}

/** Pure: `ip -j netns list` → name → nsid, for the namespaces that have one. */
export function parseNetnsList(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  if (stdout.trim() === '') return out;
  for (const e of JSON.parse(stdout) as { name: string; id?: number }[]) if (typeof e.id === 'number') out.set(e.name, e.id);
  return out;
}

export const sameNetns = (a: NetnsId | undefined, b: NetnsId | undefined): boolean => a !== undefined && b !== undefined && a.nsid === b.nsid && a.inode === b.inode;

/** The namespaces under /run/netns that have an nsid in `hostNetns` (null: this process's). */
export async function readNetnsIds(hostNetns: string | null): Promise<Map<string, NetnsId>> {
  const res = await run('ip', ['-j', 'netns', 'list'], { netns: hostNetns });
  if (res.code !== 0) throw new Error(`ip netns list failed in namespace ${hostNetns ?? '(current)'}: ${res.stderr.trim()}`);
  const out = new Map<string, NetnsId>();
  for (const [name, nsid] of parseNetnsList(res.stdout)) {
    try {
      out.set(name, { nsid, inode: statSync(`/run/netns/${name}`).ino });
    } catch {
      // Gone since ip listed it: it has no identity to keep.
    }
  }
  return out;
}
