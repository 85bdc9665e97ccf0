// Drift: the plan seen as a report. Each item carries an RFC 6902 patch from the observed model to
// the desired one, with `test` operations holding the observed values (a reviewer sees both sides).
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import type { Change, Plan } from '../model/plan.js';

export type DriftStatus = 'missing' | 'extra' | 'changed';

export interface DriftItem {
  kind: Change['kind'];
  name: string;
  namespace: string;
  status: DriftStatus;
  patch: Operation[];
  /** Rule-level view for firewall chains; line-level for an edited file. */
  detail?: string[];
}

export interface DriftReport {
  inSync: boolean;
  items: DriftItem[];
}

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (...parts: string[]): string => parts.map((p) => `/${escape(p)}`).join('');

/** Where the object lives in HostState, and its observed and desired values there. */
function located(c: Change): { path: string; observed: unknown; desired: unknown } {
  const ns = ['namespaces', c.namespace];
  switch (c.kind) {
    case 'namespace':
      return { path: pointer(...ns), observed: c.observed, desired: c.desired };
    case 'link':
      return { path: pointer(...ns, 'links', c.name), observed: c.observed, desired: c.desired };
    case 'address':
      return { path: pointer(...ns, 'addresses', c.name), observed: c.observed, desired: c.desired };
    case 'route':
      return { path: pointer(...ns, 'routes', c.name), observed: c.observed, desired: c.desired };
    case 'neighbour':
      return { path: pointer(...ns, 'neighbours', c.name), observed: c.observed, desired: c.desired };
    case 'fdb':
      return { path: pointer(...ns, 'fdb', c.name), observed: c.observed, desired: c.desired };
    case 'xfrm-state': {
      // Where apply reads the key is not part of the kernel's state: only the digest is compared and shown.
      const { keySource: _, ...desired } = c.desired ?? ({} as NonNullable<typeof c.desired>);
      return { path: pointer(...ns, 'xfrmStates', c.name), observed: c.observed, desired: c.desired ? desired : undefined };
    }
    case 'xfrm-policy':
      return { path: pointer(...ns, 'xfrmPolicies', c.name), observed: c.observed, desired: c.desired };
    case 'sysctl':
      return { path: pointer(...ns, 'sysctls', c.key), observed: c.previous, desired: c.value };
    case 'chain':
      return { path: pointer(...ns, 'firewall', 'tables', c.table, 'chains', c.chain), observed: c.previous, desired: c.action === 'delete' ? undefined : c.rules };
    case 'jumps':
      return { path: pointer(...ns, 'firewall', 'tables', c.table, 'jumps', c.chain), observed: c.previous.length ? c.previous : undefined, desired: c.rules.length ? c.rules : undefined };
    case 'file':
      return { path: pointer(...ns, 'files', c.path), observed: c.previous, desired: c.content };
    case 'service':
      return { path: pointer(...ns, 'services', c.name), observed: c.observed, desired: c.desired };
  }
}

function patchFor(path: string, observed: unknown, desired: unknown): Operation[] {
  if (observed === undefined) return [{ op: 'add', path, value: desired }];
  if (desired === undefined) return [{ op: 'test', path, value: observed }, { op: 'remove', path }];
  if (typeof observed !== 'object' || typeof desired !== 'object' || observed === null || desired === null || Array.isArray(desired)) {
    return [{ op: 'test', path, value: observed }, { op: 'replace', path, value: desired }];
  }
  // Only what the spec decides is drift: a field the desired side leaves unset (a bridge's MAC,
  // chosen by the kernel) is not compared by diff, so the patch must not remove it either.
  const decided = Object.fromEntries(Object.entries(observed as object).filter(([k]) => k in (desired as object)));
  const ops = fastJsonPatch.compare(decided, desired as object).reverse();
  const tests: Operation[] = [];
  for (const op of ops) {
    if (op.op === 'replace' || op.op === 'remove') tests.push({ op: 'test', path: op.path, value: fastJsonPatch.getValueByPointer(observed, op.path) });
  }
  return [...tests, ...ops].map((op) => ({ ...op, path: path + op.path }));
}

const STATUS: Record<Change['action'], DriftStatus> = { create: 'missing', delete: 'extra', update: 'changed' };

export function driftReport(plan: Plan): DriftReport {
  const items = plan.changes.map((c): DriftItem => {
    const { path, observed, desired } = located(c);
    const item: DriftItem = { kind: c.kind, name: c.name, namespace: c.namespace, status: STATUS[c.action], patch: patchFor(path, observed, desired) };
    if (c.kind === 'chain' || c.kind === 'jumps' || (c.kind === 'file' && c.detail.length)) item.detail = c.detail;
    return item;
  });
  return { inSync: items.length === 0, items };
}
