// plan: orders the diff by dependency, the order apply runs it in. Pure.
//   namespaces deleted, namespaces created;
//   then per namespace (host first): routes, addresses, links deleted (ports before bridges),
//   links created or changed (bridges before the veths enslaved to them), addresses, routes, sysctls;
//   then IPsec (policies before states, so a network never sends unencrypted while they are made),
//   the firewall, table by table, and last the overlay's neighbour and forwarding entries, which
//   are what lets traffic cross hosts: by then an encrypted network's traffic is marked for IPsec;
//   then each namespace's files; and after every namespace the services (the DNS resolver), which
//   serve what those files say.
import type { Change, Plan } from '../model/plan.js';
import { HOST_NS, type HostState } from '../model/state.js';
import { diff } from './diff.js';

function rank(c: Change): number {
  const del = c.action === 'delete';
  switch (c.kind) {
    case 'namespace':
      return del ? 0 : 1;
    case 'route':
      return del ? 2 : 10;
    case 'address':
      return del ? 3 : 9;
    case 'neighbour':
    case 'fdb':
      return del ? 4 : 17;
    case 'link': {
      const kind = (c.desired ?? c.observed)?.kind;
      if (del) return kind === 'bridge' ? 6 : 5;
      return kind === 'bridge' ? 7 : 8;
    }
    case 'sysctl':
      return 11;
    case 'xfrm-policy':
      return del ? 12 : 14;
    case 'xfrm-state':
      return del ? 13 : 15;
    case 'chain':
    case 'jumps':
      return 16;
    case 'file':
    case 'service':
      return 18;
  }
}

const TABLE_ORDER = ['raw', 'mangle', 'nat', 'filter'];

/** Namespaces first, then the host's changes, each endpoint namespace's, and the services last. */
const group = (c: Change): string => (c.kind === 'namespace' ? '' : c.kind === 'service' ? '2' : c.namespace === HOST_NS ? '0' : `1${c.namespace}`);

function compare(a: Change, b: Change): number {
  const nsA = group(a);
  const nsB = group(b);
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
