// diff of a namespace's managed files and services. Pure. A file differs by its exact content (a
// hand edit is drift, shown line by line); a service differs when it serves another digest or
// reports problems serving this one.
import type { Change } from '../model/plan.js';
import type { NamespaceState } from '../model/state.js';
import { lineDiff } from './text-diff.js';

export function diffFiles(key: string, desired: Record<string, string> = {}, observed: Record<string, string> = {}, out: Change[]): void {
  for (const [path, previous] of Object.entries(observed)) {
    if (!(path in desired)) out.push({ action: 'delete', kind: 'file', namespace: key, name: path, path, previous, detail: [] });
  }
  for (const [path, content] of Object.entries(desired)) {
    const previous = observed[path];
    if (previous === undefined) out.push({ action: 'create', kind: 'file', namespace: key, name: path, path, content, detail: [] });
    else if (previous !== content) out.push({ action: 'update', kind: 'file', namespace: key, name: path, path, content, previous, detail: lineDiff(previous, content) });
  }
}

export function diffServices(key: string, d: NamespaceState, o: NamespaceState, out: Change[]): void {
  const desired = d.services ?? {};
  const observed = o.services ?? {};
  for (const [name, have] of Object.entries(observed)) {
    if (!desired[name]) out.push({ action: 'delete', kind: 'service', namespace: key, name, observed: have });
  }
  for (const [name, want] of Object.entries(desired)) {
    const have = observed[name];
    if (!have) out.push({ action: 'create', kind: 'service', namespace: key, name, desired: want });
    else if (have.digest !== want.digest || have.problems.join('\n') !== want.problems.join('\n')) out.push({ action: 'update', kind: 'service', namespace: key, name, desired: want, observed: have });
  }
}
