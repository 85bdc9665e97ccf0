// diff of the overlay's forwarding state in a namespace: neighbour and FDB entries on VXLAN links,
// and the IPsec states and policies of encrypted overlays. Keyed collections like addresses: an
// entry is created, updated in place, or deleted. Pure.
import type { Change } from '../model/plan.js';
import type { FdbEntry, NamespaceState, Neighbour, XfrmPolicy, XfrmState } from '../model/state.js';

interface EntryChange<T> {
  action: 'create' | 'update' | 'delete';
  name: string;
  desired?: T;
  observed?: T;
}

/**
 * `differs`: whether the kernel's entry must change to become the desired one. `gone`: entries that
 * went with their link (deleted or replaced in this plan): not deleted, and made again.
 */
function diffKeyed<T>(desired: Record<string, T> = {}, observed: Record<string, T> = {}, differs: (d: T, o: T) => boolean, gone: (o: T) => boolean): EntryChange<T>[] {
  const out: EntryChange<T>[] = [];
  const present = Object.fromEntries(Object.entries(observed).filter(([, o]) => !gone(o)));
  for (const [name, o] of Object.entries(present)) if (!desired[name]) out.push({ action: 'delete', name, observed: o });
  for (const [name, d] of Object.entries(desired)) {
    const o = present[name];
    if (!o) out.push({ action: 'create', name, desired: d });
    else if (differs(d, o)) out.push({ action: 'update', name, desired: d, observed: o });
  }
  return out;
}

/** Links whose entries the kernel drops in this plan: deleted, or replaced by a new link of the same name. */
function goneLinks(ns: string, d: NamespaceState, o: NamespaceState, changes: Change[]): Set<string> {
  const gone = new Set(Object.keys(o.links).filter((n) => !d.links[n]));
  for (const c of changes) if (c.kind === 'link' && c.namespace === ns && c.action === 'update' && c.replace) gone.add(c.name);
  return gone;
}

/** Appends the changes for one namespace to `out`, which already holds its link changes. */
export function diffForwarding(ns: string, d: NamespaceState, o: NamespaceState, out: Change[]): void {
  const gone = goneLinks(ns, d, o, out);
  const onGone = (e: { dev: string }) => gone.has(e.dev);
  for (const c of diffKeyed<Neighbour>(d.neighbours, o.neighbours, (a, b) => a.mac !== b.mac, onGone)) out.push({ kind: 'neighbour', namespace: ns, ...c });
  for (const c of diffKeyed<FdbEntry>(d.fdb, o.fdb, (a, b) => a.dst !== b.dst, onGone)) out.push({ kind: 'fdb', namespace: ns, ...c });
  // A state's identity (addresses, SPI) is its key, and a new key gets a new SPI, so states are
  // created and deleted; the rest is compared to catch a hand edit.
  const stateDiffers = (a: XfrmState, b: XfrmState) => a.keyDigest !== b.keyDigest || a.algorithm !== b.algorithm || a.reqid !== b.reqid || a.icvBits !== b.icvBits;
  for (const c of diffKeyed<XfrmState>(d.xfrmStates, o.xfrmStates, stateDiffers, () => false)) out.push({ kind: 'xfrm-state', namespace: ns, ...c });
  for (const c of diffKeyed<XfrmPolicy>(d.xfrmPolicies, o.xfrmPolicies, (a, b) => a.reqid !== b.reqid, () => false)) out.push({ kind: 'xfrm-policy', namespace: ns, ...c });
}
