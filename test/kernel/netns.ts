// Throwaway namespaces for kernel tests, all named after this test process so that cleanup can
// take everything it made (and only that), even after a failure half-way.
import { ipBatch, listNetns } from '../../src/kernel/run.js';
import { requireRoot } from './helpers/index.js';

export const isRoot = requireRoot();

/** The prefix of every namespace this test process makes, directly or through apply. */
export const TEST_PREFIX = `wst-${process.pid}-`;

export const testNetns = (suffix: string): string => `${TEST_PREFIX}${suffix}`;

export async function makeNetns(...names: string[]): Promise<void> {
  const res = await ipBatch(null, names.map((n) => `netns add ${n}`), { force: false });
  if (res.code !== 0) throw new Error(`could not create ${names.join(', ')}: ${res.stderr.trim()}`);
}

/** Deletes every namespace this process made; a namespace goes with its links, routes and firewall. */
export async function removeTestNetns(): Promise<void> {
  const mine = listNetns().filter((n) => n.startsWith(TEST_PREFIX));
  if (mine.length > 0) await ipBatch(null, mine.map((n) => `netns del ${n}`), { force: true });
}
