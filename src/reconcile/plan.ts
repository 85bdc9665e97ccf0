// plan: orders the diff by dependency, the order apply runs it in. Pure.
//   namespaces deleted, namespaces created;
//   then per namespace (host first): routes, addresses, links deleted (ports before bridges),
//   links created or changed (bridges before the veths enslaved to them), addresses, routes, sysctls;
//   then the firewall, table by table.
import type { Change, Plan } from '../model/plan.js';
import { HOST_NS, type HostState } from '../model/state.js';
import { diff } from './diff.js';

function rank(c: Change): number {
  const del = c.action === 'delete';
  switch (c.kind) {
    case 'namespace':
      return del ? 0 : 1;
    case 'route':
      return del ? 2 : 9;
    case 'address':
      return del ? 3 : 8;
    case 'link': {
      const kind = (c.desired ?? c.observed)?.kind;
      if (del) return kind === 'bridge' ? 5 : 4;
      return kind === 'bridge' ? 6 : 7;
    }
    case 'sysctl':
      return 10;
    case 'chain':
    case 'jumps':
      return 11;
  }
}

const TABLE_ORDER = ['raw', 'nat', 'filter'];

function compare(a: Change, b: Change): number {
  const nsA = a.kind === 'namespace' ? '' : a.namespace === HOST_NS ? '0' : `1${a.namespace}`;
  const nsB = b.kind === 'namespace' ? '' : b.namespace === HOST_NS ? '0' : `1${b.namespace}`;
  if (nsA !== nsB) return nsA < nsB ? -1 : 1;
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if ((a.kind === 'chain' || a.kind === 'jumps') && (b.kind === 'chain' || b.kind === 'jumps')) {
    // Within a table, chains exist before anything jumps to them.
    if (a.table !== b.table) return TABLE_ORDER.indexOf(a.table) - TABLE_ORDER.indexOf(b.table);
    if (a.kind !== b.kind) return a.kind === 'chain' ? -1 : 1;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function plan(desired: HostState, observed: HostState): Plan {
  return { changes: diff(desired, observed).sort(compare) };
}
