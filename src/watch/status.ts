// The controller's status, kept the way Kubernetes controllers keep theirs: conditions (Ready,
// Reconciling, Stalled, each with a reason), the digest of the spec last applied, the last passes
// and what still drifts. Written atomically to status.json beside the host's state file after
// every pass, so `wirestate status` (any user who can read the file, no root needed) answers
// without talking to the process.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObserveCounts } from '../observe/cache.js';
import type { DriftItem } from '../reconcile/drift.js';
import { hostStateDir } from '../store/state-file.js';

/** What made a pass run: the controller's start, a spec file, a key file the spec names, a kernel event, the resync period, SIGHUP, or a retry after a failure. */
export type Trigger = 'start' | 'file' | 'keyfile' | 'kernel' | 'resync' | 'signal' | 'retry';

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  /** When `status` last changed (ISO 8601). */
  lastTransitionTime: string;
}

export interface PassRecord {
  startedAt: string;
  durationMs: number;
  trigger: Trigger[];
  /** Digest of the spec the pass used; null when there was no valid spec to use. */
  digest: string | null;
  /** Kernel changes made (always 0 in report-only mode). */
  changes: number;
  /** Objects that differed from the spec when the pass looked. */
  drift: number;
  /** Endpoint namespaces read from the kernel, and those whose state from earlier passes was used. */
  observed?: ObserveCounts;
  error?: string;
}

export interface ControllerStatus {
  version: 1;
  pid: number;
  dir: string;
  hostNetns: string | null;
  mode: 'heal' | 'report-only';
  resyncMs: number;
  startedAt: string;
  updatedAt: string;
  /** Set on a clean stop (SIGINT/SIGTERM). */
  stoppedAt?: string;
  conditions: Condition[];
  /** The spec the kernel was last made to match (heal mode, after a converged pass). */
  lastAppliedDigest: string | null;
  /** The spec of the last pass, whatever its result. */
  lastAttemptedDigest: string | null;
  /** The spec's errors (file:line:col: …) while it is invalid; the controller then keeps the last valid spec. */
  specErrors: string[];
  /** Newest first, at most HISTORY. */
  passes: PassRecord[];
  /** Objects differing from the spec after the last pass; `items` holds at most MAX_DRIFT_ITEMS of `total`. */
  drift: { inSync: boolean; total: number; items: DriftItem[] };
}

export const HISTORY = 10;
export const MAX_DRIFT_ITEMS = 200;

export const statusPath = (stateDir: string, hostNetns: string | null): string => join(hostStateDir(stateDir, hostNetns), 'status.json');

/** Sets one condition, keeping its transition time when its status did not change. */
export function setCondition(conditions: Condition[], type: ConditionType, status: boolean, reason: string, message: string, now: Date): Condition[] {
  const value = status ? 'True' : 'False';
  const prev = conditions.find((c) => c.type === type);
  const next: Condition = { type, status: value, reason, message, lastTransitionTime: prev && prev.status === value ? prev.lastTransitionTime : now.toISOString() };
  const order: ConditionType[] = ['Ready', 'Reconciling', 'Stalled'];
  return [...conditions.filter((c) => c.type !== type), next].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export async function writeStatus(path: string, status: ControllerStatus): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`);
  await rename(tmp, path);
}

/** undefined when no controller has written one. */
export async function readStatus(path: string): Promise<ControllerStatus | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as ControllerStatus;
}
