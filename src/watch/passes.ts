// What one controller pass does in each mode: heal (reconcile: plan, apply, verify — the lock is
// taken for the pass only, so `plan` and `drift` keep working while the controller runs) or
// report-only (`--no-heal`: plan and report, never apply, no lock). Either reads again only the
// endpoint namespaces its ObserveScope says may have changed.
import { HOST_NS, type HostState } from '../model/state.js';
import type { Change } from '../model/plan.js';
import { type Target, computePlan, reconcileOnce } from '../pipeline/pass.js';
import { driftReport } from '../reconcile/drift.js';
import type { LoopOptions } from './loop.js';
import type { ObserveScope } from './observe-scope.js';

const where = (ns: string): string => (ns === HOST_NS ? 'host' : ns);
const line = (c: Change): { kind: string; text: string } => ({ kind: c.kind, text: `${c.action} ${c.kind} ${c.name} [${where(c.namespace)}]` });

/** Objects wirestate owns in the desired state, by kind (the owned-objects metric). */
export function ownedCounts(desired: HostState): Record<string, number> {
  const n = { namespace: 0, link: 0, address: 0, route: 0, chain: 0 };
  for (const [key, ns] of Object.entries(desired.namespaces)) {
    if (key !== HOST_NS && ns.owned) n.namespace++;
    n.link += Object.values(ns.links).filter((l) => l.kind !== 'loopback').length;
    n.address += Object.keys(ns.addresses).length;
    n.route += Object.keys(ns.routes).length;
    for (const t of Object.values(ns.firewall?.tables ?? {})) n.chain += Object.keys(t.chains).length;
  }
  return n;
}

const namespacesOf = (desired: HostState): string[] =>
  Object.entries(desired.namespaces)
    .filter(([key]) => key !== HOST_NS)
    .map(([key, ns]) => ns.netns ?? key);

type Pass = LoopOptions['pass'];

export function healPass(t: Target, allowEmpty: boolean, scope: ObserveScope): Pass {
  return (spec, trigger) =>
    scope.run(trigger, async (cache) => {
      const r = await reconcileOnce(spec, t, { allowEmpty, cache });
      const desired = r.compiled.desired;
      const touched = [...new Set(r.plan.changes.map((c) => c.namespace).filter((k) => k !== HOST_NS))];
      const outcome = { changes: r.plan.changes.map(line), found: driftReport(r.plan), remaining: driftReport(r.remaining), warnings: r.warnings, owned: ownedCounts(desired), namespaces: namespacesOf(desired) };
      return { outcome, touched };
    });
}

export function reportPass(t: Target, scope: ObserveScope): Pass {
  return (spec, trigger) =>
    scope.run(trigger, async (cache) => {
      const p = await computePlan(spec, t, cache);
      const drift = driftReport(p.plan);
      const desired = p.compiled.desired;
      return { outcome: { changes: [], found: drift, remaining: drift, warnings: p.compiled.warnings, owned: ownedCounts(desired), namespaces: namespacesOf(desired) }, touched: [] };
    });
}
