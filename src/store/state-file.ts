// The one small file of state kept outside the kernel: what IPAM handed out, and which namespaces
// wirestate created. Written atomically; everything in it can be rebuilt from the kernel.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Allocations, emptyAllocations } from '../reconcile/allocations.js';

export const DEFAULT_STATE_DIR = '/var/lib/wirestate';

export interface StoredState {
  version: 1;
  allocations: Allocations;
  /** Endpoint namespaces wirestate created or put links in, so a later pass finds them after the spec forgot them. */
  namespaces: string[];
}

/** One directory per host namespace, so simulated hosts on one machine keep separate state. */
export function hostStateDir(stateDir: string, hostNetns: string | null): string {
  return join(stateDir, hostNetns ? `netns-${hostNetns.replace(/[^A-Za-z0-9_.-]/g, '_')}` : 'host');
}

export async function readState(dir: string): Promise<StoredState> {
  try {
    const s = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as StoredState;
    return { version: 1, allocations: { ...emptyAllocations(), ...s.allocations }, namespaces: s.namespaces ?? [] };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, allocations: emptyAllocations(), namespaces: [] };
    throw new Error(`${join(dir, 'state.json')}: unreadable state file (${(e as Error).message}); delete it and wirestate rebuilds it from the kernel`);
  }
}

export async function writeState(dir: string, state: StoredState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'state.json');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}
