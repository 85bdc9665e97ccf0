// Executes a Plan with as few spawns as possible, in this order: namespace deletes, namespace
// creates (one ip batch each), the host's links/addresses/routes (one forced ip batch), each
// endpoint namespace's (one batch each, in parallel), sysctls (one process per namespace), and the
// firewall (one atomic iptables-restore per table). The plan's order is kept inside every batch.
import type { Change, Plan } from '../model/plan.js';
import { HOST_NS, type TableName } from '../model/state.js';
import { DEFAULT_POOL_LIMIT, ipBatch, mapPool, run } from '../kernel/run.js';
import { writeSysctls } from '../kernel/sysctl.js';
import { parseIptablesSave } from '../observe/parse-iptables.js';
import { ApplyError, describeChange } from './errors.js';
import { isAlreadyGone, renderIpChange, type IpChange } from './render-ip.js';
import { renderRestore, type FirewallChange } from './render-iptables.js';

export interface ApplyOptions {
  hostNetns: string | null;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface ApplyReport {
  applied: Change[];
  spawns: number;
}

type Outcome = { state: 'done' } | { state: 'failed'; error: string } | { state: 'notRun' };
type NamespaceChange = Extract<Change, { kind: 'namespace' }>;
type SysctlChange = Extract<Change, { kind: 'sysctl' }>;

const NETNS_NAME = /^[^\s/"'#\\]+$/;

class Execution {
  readonly outcomes = new Map<Change, Outcome>();
  /** Namespaces whose creation failed: nothing is attempted inside them. */
  readonly missing = new Set<string>();
  spawns = 0;

  constructor(
    readonly plan: Plan,
    readonly opts: ApplyOptions,
  ) {}

  /** What ip/nsenter are given for a namespace key. */
  netns(key: string): string | null {
    return key === HOST_NS ? this.opts.hostNetns : key;
  }

  /** Like netns(), for `ip link add … peer … netns X`, which cannot say "the current namespace". */
  peerNetns = (key: string): string => this.netns(key) ?? `/proc/${process.pid}/ns/net`;

  settle(c: Change, o: Outcome): void {
    if (this.outcomes.has(c)) return;
    this.outcomes.set(c, o);
    this.opts.onProgress?.(this.outcomes.size, this.plan.changes.length, describeChange(c));
  }

  done = (c: Change): void => this.settle(c, { state: 'done' });
  fail = (c: Change, error: string): void => this.settle(c, { state: 'failed', error });

  /** Changes inside a namespace that could not be created are not attempted. */
  runnable(changes: Change[], key: string): boolean {
    if (!this.missing.has(key)) return true;
    for (const c of changes) this.settle(c, { state: 'notRun' });
    return false;
  }

  report(): ApplyReport {
    const done: Change[] = [];
    const failed: { change: Change; error: string }[] = [];
    const notRun: Change[] = [];
    for (const change of this.plan.changes) {
      const o = this.outcomes.get(change) ?? { state: 'notRun' };
      if (o.state === 'done') done.push(change);
      else if (o.state === 'failed') failed.push({ change, error: o.error });
      else notRun.push(change);
    }
    if (failed.length > 0 || notRun.length > 0) throw new ApplyError(done, failed, notRun);
    return { applied: done, spawns: this.spawns };
  }
}

const groupBy = <T, K>(items: T[], key: (t: T) => K): Map<K, T[]> => {
  const groups = new Map<K, T[]>();
  for (const t of items) groups.set(key(t), [...(groups.get(key(t)) ?? []), t]);
  return groups;
};

interface BatchLine {
  line: string;
  change: Change;
}

/** One forced ip batch; a change is done when none of its lines failed (deletes of what is gone excepted). */
async function runIpBatch(ex: Execution, netns: string | null, batch: BatchLine[], tolerate: (line: string, error: string) => boolean): Promise<void> {
  if (batch.length === 0) return;
  ex.spawns++;
  const res = await ipBatch(netns, batch.map((b) => b.line), { force: true });
  const errors = new Map<Change, string[]>();
  for (const f of res.failures) {
    const b = batch[f.line - 1];
    if (b && !tolerate(b.line, f.error)) errors.set(b.change, [...(errors.get(b.change) ?? []), f.error]);
  }
  for (const c of new Set(batch.map((b) => b.change))) {
    const errs = errors.get(c);
    if (errs) ex.fail(c, errs.join('; '));
    else if (res.aborted) ex.fail(c, `ip stopped early (${res.aborted}); whether this change was made is unknown`);
    else ex.done(c);
  }
}

async function namespaces(ex: Execution, changes: NamespaceChange[], action: 'create' | 'delete'): Promise<void> {
  const batch: BatchLine[] = [];
  for (const c of changes.filter((c) => c.action === action)) {
    const name = (action === 'delete' ? c.observed?.netns : c.desired?.netns) ?? c.namespace;
    // Only namespaces wirestate created are ever deleted; for the others there is nothing to do.
    if (action === 'delete' && !c.observed?.owned) ex.done(c);
    else if (!NETNS_NAME.test(name)) ex.fail(c, `cannot ${action} namespace ${JSON.stringify(name)}: not a name under /run/netns`);
    else batch.push({ line: `netns ${action === 'create' ? 'add' : 'del'} ${name}`, change: c });
  }
  await runIpBatch(ex, null, batch, (line, error) => line.startsWith('netns del ') && /No such file or directory/.test(error));
  if (action === 'create') for (const { change } of batch) if (ex.outcomes.get(change)?.state !== 'done') ex.missing.add(change.namespace);
}

async function ipNamespace(ex: Execution, key: string, changes: IpChange[]): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  const batch: BatchLine[] = [];
  for (const c of changes) {
    let lines: string[];
    try {
      lines = renderIpChange(c, ex.peerNetns);
    } catch (e) {
      ex.fail(c, (e as Error).message);
      continue;
    }
    if (lines.length === 0) ex.done(c);
    batch.push(...lines.map((line) => ({ line, change: c })));
  }
  await runIpBatch(ex, ex.netns(key), batch, isAlreadyGone);
}

async function sysctls(ex: Execution, key: string, changes: SysctlChange[]): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  ex.spawns++;
  const failures = new Map((await writeSysctls(ex.netns(key), changes.map((c) => [c.key, c.value] as const))).map((f) => [f.key, f.error]));
  for (const c of changes) {
    const error = failures.get(c.key);
    if (error !== undefined) ex.fail(c, error);
    else ex.done(c);
  }
}

/** The wirestate jumps currently in each built-in chain of `table`, read fresh so every `-D` matches. */
async function presentJumps(ex: Execution, netns: string | null, table: TableName): Promise<Record<string, string[]>> {
  ex.spawns++;
  const res = await run('iptables-save', ['-t', table], { netns });
  if (res.code !== 0) throw new Error(`iptables-save -t ${table}: ${res.stderr.trim() || `exit status ${res.code}`}`);
  return parseIptablesSave(res.stdout).tables[table]?.jumps ?? {};
}

async function firewallTable(ex: Execution, key: string, table: TableName, changes: FirewallChange[]): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  const netns = ex.netns(key);
  try {
    const present = changes.some((c) => c.kind === 'jumps') ? await presentJumps(ex, netns, table) : {};
    const input = renderRestore(table, changes, present);
    ex.spawns++;
    const res = await run('iptables-restore', ['--noflush'], { netns, input });
    if (res.code !== 0) throw new Error(res.stderr.trim().split('\n').slice(0, 2).join(' ') || `iptables-restore exited with status ${res.code}`);
  } catch (e) {
    for (const c of changes) ex.fail(c, (e as Error).message);
    return;
  }
  for (const c of changes) ex.done(c);
}

export async function apply(plan: Plan, opts: ApplyOptions): Promise<ApplyReport> {
  const ex = new Execution(plan, opts);
  const of = <K extends Change['kind']>(...kinds: K[]) => plan.changes.filter((c): c is Extract<Change, { kind: K }> => (kinds as string[]).includes(c.kind));

  const nsChanges = of('namespace');
  await namespaces(ex, nsChanges, 'delete');
  await namespaces(ex, nsChanges, 'create');
  // An update of a namespace's record has no kernel object of its own (its lo is a link change).
  for (const c of nsChanges) if (c.action === 'update') ex.done(c);

  const ip = groupBy(of('link', 'address', 'route'), (c) => c.namespace);
  // The host goes first: it creates the veth pairs whose far ends the endpoint batches configure.
  await ipNamespace(ex, HOST_NS, ip.get(HOST_NS) ?? []);
  ip.delete(HOST_NS);
  await mapPool([...ip], DEFAULT_POOL_LIMIT, ([key, changes]) => ipNamespace(ex, key, changes));

  await mapPool([...groupBy(of('sysctl'), (c) => c.namespace)], DEFAULT_POOL_LIMIT, ([key, changes]) => sysctls(ex, key, changes));

  for (const [, changes] of groupBy(of('chain', 'jumps'), (c) => `${c.namespace}\0${c.table}`)) {
    const first = changes[0] as FirewallChange;
    await firewallTable(ex, first.namespace, first.table, changes);
  }
  return ex.report();
}
