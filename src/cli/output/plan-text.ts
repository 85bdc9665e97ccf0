// The plan for people: one line per change, firewall changes rule by rule, edited files line by line.
import { colour as pc } from '../colour.js';
import type { Change, Plan } from '../../model/plan.js';
import { HOST_NS } from '../../model/state.js';
import { plural } from './words.js';

const SIGN = { create: pc.green('+'), update: pc.yellow('~'), delete: pc.red('-') };

function describe(c: Change): string {
  switch (c.kind) {
    case 'link': {
      const l = c.desired ?? c.observed;
      const bits = [l?.kind, l?.master && `master ${l.master}`, l?.mtu && `mtu ${l.mtu}`, l?.mac && `mac ${l.mac}`].filter(Boolean);
      return `${bits.join(', ')}${c.replace ? ' (replaced)' : ''}`;
    }
    case 'route':
      return c.desired?.via ? `via ${c.desired.via}` : '';
    case 'sysctl':
      return `${c.previous ?? '(unset)'} → ${c.value}`;
    case 'neighbour':
      return c.desired ? `lladdr ${c.desired.mac}` : '';
    case 'fdb':
      return c.desired ? `dst ${c.desired.dst}` : '';
    case 'xfrm-state': {
      // The key itself is never shown: its digest tells a rotation from a mistake.
      const x = c.desired ?? c.observed;
      return x ? `${x.algorithm}, key ${x.keyDigest}${c.desired?.keySource ? ` (${c.desired.keySource.file} line ${c.desired.keySource.line})` : ''}` : '';
    }
    case 'service':
      if (c.action === 'create') return `start, serving ${c.desired?.digest}`;
      if (c.action === 'delete') return 'stop';
      return [
        c.observed?.digest !== c.desired?.digest ? `${c.observed?.digest || '(nothing)'} → ${c.desired?.digest}` : '',
        c.observed?.problems.length ? `not serving: ${c.observed.problems.join('; ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
    default:
      return '';
  }
}

export function planLines(plan: Plan): string[] {
  const lines: string[] = [];
  for (const c of plan.changes) {
    const where = c.namespace === HOST_NS ? 'host' : c.namespace;
    const extra = describe(c);
    lines.push(`${SIGN[c.action]} ${c.kind.padEnd(9)} ${c.name}${extra ? `  ${pc.dim(extra)}` : ''}  ${pc.dim(`[${where}]`)}`);
    // A new file is shown whole by `-o json`; here only what changed in an existing one.
    if (c.kind === 'chain' || c.kind === 'jumps' || c.kind === 'file') for (const d of c.detail) lines.push(`      ${d.startsWith('+') ? pc.green(d) : d.startsWith('-') ? pc.red(d) : d}`);
  }
  return lines;
}

export function planSummary(plan: Plan): string {
  const n = (a: Change['action']) => plan.changes.filter((c) => c.action === a).length;
  if (plan.changes.length === 0) return 'Nothing to do: the kernel matches the spec.';
  return `${plural(plan.changes.length, 'change')}: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete.`;
}

/** `-o json`: the plan document of the contract; kernel-model details ride along under each change. */
export function planDocument(plan: Plan): object {
  return { changes: plan.changes };
}
