// diff: the changes that turn Observed into Desired, compared field by field on the one shared model.
// Pure. Only fields the desired side sets are compared (an unset MTU or MAC is "don't care").
import type { Change } from '../model/plan.js';
import type { HostState, Link, NamespaceState, Table, TableName } from '../model/state.js';
import { diffFiles, diffServices } from './diff-files.js';
import { diffForwarding } from './diff-forwarding.js';
import { HOST_NS } from '../model/state.js';

const LINK_FIELDS = ['alias', 'mtu', 'mac', 'master', 'up', 'ipv6', 'hairpin'] as const;

function linkDiffers(d: Link, o: Link): boolean {
  return LINK_FIELDS.some((f) => d[f] !== undefined && d[f] !== o[f]) || (d.macvlan !== undefined && d.macvlan.mode !== o.macvlan?.mode);
}

/** Every field `want` sets has the same value in `have`. */
const holds = (want: object, have: object | undefined): boolean =>
  Object.entries(want).every(([k, v]) => v === undefined || (have as Record<string, unknown> | undefined)?.[k] === v);

/** What the kernel fixes when it creates a link (a VXLAN's VNI, a VLAN's id, the parent): a difference means a new link. */
function fixedDiffers(d: Link, o: Link): boolean {
  if (d.vxlan && !holds(d.vxlan, o.vxlan)) return true;
  if (d.vlan && d.vlan.id !== o.vlan?.id) return true;
  return d.parent !== undefined && d.parent !== o.parent;
}

const sameList = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function ruleDetail(desired: string[], observed: string[]): string[] {
  const d = new Set(desired);
  const o = new Set(observed);
  return [...observed.filter((r) => !d.has(r)).map((r) => `- ${r}`), ...desired.filter((r) => !o.has(r)).map((r) => `+ ${r}`)];
}

function diffTable(ns: string, table: TableName, d: Table, o: Table | undefined, out: Change[]): void {
  const oChains = o?.chains ?? {};
  const oJumps = o?.jumps ?? {};
  for (const [chain, rules] of Object.entries(d.chains)) {
    const name = `${table}/${chain}`;
    if (!(chain in oChains)) {
      out.push({ action: 'create', kind: 'chain', namespace: ns, name, table, chain, rules, detail: (rules ?? []).map((r) => `+ ${r}`) });
    } else if (rules !== null) {
      const observed = oChains[chain] ?? [];
      if (!sameList(rules, observed)) {
        const detail = ruleDetail(rules, observed);
        // Same rules in another order still matters to iptables: say so rather than print nothing.
        out.push({ action: 'update', kind: 'chain', namespace: ns, name, table, chain, rules, previous: observed, detail: detail.length ? detail : ['~ rule order'] });
      }
    }
  }
  for (const [chain, rules] of Object.entries(oChains)) {
    if (!(chain in d.chains)) {
      out.push({ action: 'delete', kind: 'chain', namespace: ns, name: `${table}/${chain}`, table, chain, previous: rules, detail: (rules ?? []).map((r) => `- ${r}`) });
    }
  }
  for (const chain of new Set([...Object.keys(d.jumps), ...Object.keys(oJumps)])) {
    const want = d.jumps[chain] ?? [];
    const have = oJumps[chain] ?? [];
    if (sameList(want, have)) continue;
    const action = have.length === 0 ? 'create' : want.length === 0 ? 'delete' : 'update';
    out.push({ action, kind: 'jumps', namespace: ns, name: `${table}/${chain}`, table, chain, rules: want, previous: have, detail: ruleDetail(want, have) });
  }
}

/** Everything inside a namespace; `o` is an empty namespace when it does not exist yet. */
function diffContents(key: string, d: NamespaceState, o: NamespaceState, out: Change[]): void {
  const deletedLinks = new Set<string>();
  for (const [name, link] of Object.entries(o.links)) {
    if (d.links[name]) continue;
    deletedLinks.add(name);
    out.push({ action: 'delete', kind: 'link', namespace: key, name, observed: link });
  }
  for (const [name, link] of Object.entries(d.links)) {
    const have = o.links[name];
    if (!have) out.push({ action: 'create', kind: 'link', namespace: key, name, desired: link });
    else if (have.kind !== link.kind || fixedDiffers(link, have)) out.push({ action: 'update', kind: 'link', namespace: key, name, desired: link, observed: have, replace: true });
    else if (linkDiffers(link, have)) out.push({ action: 'update', kind: 'link', namespace: key, name, desired: link, observed: have });
  }
  // Addresses and routes on a link being deleted go with it.
  for (const [k, a] of Object.entries(o.addresses)) {
    if (!d.addresses[k] && !deletedLinks.has(a.dev)) out.push({ action: 'delete', kind: 'address', namespace: key, name: k, observed: a });
  }
  for (const [k, a] of Object.entries(d.addresses)) {
    if (!o.addresses[k]) out.push({ action: 'create', kind: 'address', namespace: key, name: k, desired: a });
  }
  for (const [k, r] of Object.entries(o.routes)) {
    if (!d.routes[k] && !deletedLinks.has(r.dev)) out.push({ action: 'delete', kind: 'route', namespace: key, name: k, observed: r });
  }
  for (const [k, r] of Object.entries(d.routes)) {
    const have = o.routes[k];
    if (!have) out.push({ action: 'create', kind: 'route', namespace: key, name: k, desired: r });
    else if (have.via !== r.via) out.push({ action: 'update', kind: 'route', namespace: key, name: k, desired: r, observed: have });
  }
  for (const [k, v] of Object.entries(d.sysctls)) {
    if (o.sysctls[k] !== v) out.push({ action: 'update', kind: 'sysctl', namespace: key, name: k, key: k, value: v, ...(o.sysctls[k] !== undefined ? { previous: o.sysctls[k] } : {}) });
  }
  if (d.firewall) {
    for (const [table, t] of Object.entries(d.firewall.tables) as [TableName, Table][]) diffTable(key, table, t, o.firewall?.tables[table], out);
  }
  diffForwarding(key, d, o, out);
  diffFiles(key, d.files, o.files, out);
  diffServices(key, d, o, out);
}

/** A namespace's record with nothing in it: the observed side of one that does not exist, or the desired side of one to empty. */
const emptied = (ns: NamespaceState): NamespaceState => ({
  ...ns,
  links: {},
  addresses: {},
  routes: {},
  sysctls: {},
  firewall: undefined,
  neighbours: undefined,
  fdb: undefined,
  xfrmStates: undefined,
  xfrmPolicies: undefined,
  files: undefined,
  services: undefined,
});

/** Unordered changes; `plan()` orders them. */
export function diff(desired: HostState, observed: HostState): Change[] {
  const out: Change[] = [];
  for (const [key, d] of Object.entries(desired.namespaces)) {
    const o = observed.namespaces[key];
    if (!o && d.owned) out.push({ action: 'create', kind: 'namespace', namespace: key, name: key, desired: d });
    diffContents(key, d, o ?? emptied(d), out);
  }
  for (const [key, o] of Object.entries(observed.namespaces)) {
    if (desired.namespaces[key]) continue;
    if (o.owned) {
      out.push({ action: 'delete', kind: 'namespace', namespace: key, name: key, observed: o });
      // Its files live outside it, in /etc/netns/<name>/, and do not go with it.
      diffFiles(key, {}, o.files, out);
    } else diffContents(key, emptied(o), o, out);
  }
  return remakeOnReplaced(followParents(pairVethChanges(out, desired), desired), desired);
}

/**
 * A replaced link comes back bare: its addresses and routes go with the old one, so those it should
 * have are made again (diffContents left alone the ones the kernel had) and the rest need no delete.
 * Last, after every replace is known: a macvlan follows its parent, a veth end its missing peer.
 */
function remakeOnReplaced(changes: Change[], desired: HostState): Change[] {
  const replaced = new Set(changes.flatMap((c) => (c.kind === 'link' && c.action === 'update' && c.replace ? [`${c.namespace}\0${c.name}`] : [])));
  if (replaced.size === 0) return changes;
  const onReplaced = (ns: string, dev: string | undefined) => replaced.has(`${ns}\0${dev}`);
  const kept = changes.filter((c) => !((c.kind === 'address' || c.kind === 'route') && c.action === 'delete' && onReplaced(c.namespace, c.observed?.dev)));
  const planned = new Set(kept.flatMap((c) => (c.kind === 'address' || c.kind === 'route' ? [`${c.kind}\0${c.namespace}\0${c.name}`] : [])));
  for (const [key, ns] of Object.entries(desired.namespaces)) {
    for (const [name, a] of Object.entries(ns.addresses)) {
      if (onReplaced(key, a.dev) && !planned.has(`address\0${key}\0${name}`)) kept.push({ action: 'create', kind: 'address', namespace: key, name, desired: a });
    }
    for (const [name, r] of Object.entries(ns.routes)) {
      if (onReplaced(key, r.dev) && !planned.has(`route\0${key}\0${name}`)) kept.push({ action: 'create', kind: 'route', namespace: key, name, desired: r });
    }
  }
  return kept;
}

/**
 * A macvlan goes with its parent: when the host link under it is created or replaced, the old
 * macvlan (if any) is gone or stacked on the wrong link, so it is made anew on the new parent.
 */
function followParents(changes: Change[], desired: HostState): Change[] {
  const newParents = new Set(
    changes.filter((c) => c.kind === 'link' && c.namespace === HOST_NS && (c.action === 'create' || (c.action === 'update' && c.replace))).map((c) => c.name),
  );
  if (newParents.size === 0) return changes;
  const touched = new Set(changes.filter((c) => c.kind === 'link').map((c) => `${c.namespace}\0${c.name}`));
  const out = [...changes];
  for (const [key, ns] of Object.entries(desired.namespaces)) {
    if (key === HOST_NS) continue;
    for (const link of Object.values(ns.links)) {
      if (link.kind !== 'macvlan' || !link.parent || !newParents.has(link.parent) || touched.has(`${key}\0${link.name}`)) continue;
      out.push({ action: 'update', kind: 'link', namespace: key, name: link.name, desired: link, observed: link, replace: true });
    }
  }
  return out;
}

/**
 * Deleting one end of a veth deletes the other: when the host end goes, the endpoint end (same
 * ownership alias) is not planned separately; nothing inside a namespace being deleted is either.
 * Conversely an endpoint end that is missing while its host end exists (moved or renamed by hand)
 * can only come back with a new pair, so the host end is replaced.
 */
function pairVethChanges(changes: Change[], desired: HostState): Change[] {
  const hostGone = new Set<string>();
  const deletedNs = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'link' && c.action === 'delete' && c.namespace === HOST_NS && c.observed?.kind === 'veth' && c.observed.alias) hostGone.add(c.observed.alias);
    if (c.kind === 'namespace' && c.action === 'delete') deletedNs.add(c.namespace);
  }
  const kept = changes.filter((c) => {
    if (c.kind === 'namespace') return true;
    if (deletedNs.has(c.namespace)) return c.kind === 'file';
    return !(c.kind === 'link' && c.action === 'delete' && c.namespace !== HOST_NS && c.observed?.alias && hostGone.has(c.observed.alias));
  });
  const hostTouched = new Set(kept.filter((c) => c.kind === 'link' && c.namespace === HOST_NS).map((c) => c.name));
  for (const c of changes) {
    if (c.kind !== 'link' || c.action !== 'create' || c.namespace === HOST_NS || c.desired?.kind !== 'veth') continue;
    const pair = Object.values(desired.namespaces[HOST_NS]?.links ?? {}).find((l) => l.peer?.netns === c.namespace && l.peer.name === c.name);
    if (pair && !hostTouched.has(pair.name)) kept.push({ action: 'update', kind: 'link', namespace: HOST_NS, name: pair.name, desired: pair, observed: pair, replace: true });
  }
  return kept;
}
