// Executes a Plan with as few spawns as possible, in this order: services let go of namespaces
// about to be deleted, namespace deletes, namespace creates (one ip batch each), the host's
// links/addresses/routes (one forced ip batch), each endpoint namespace's (one batch each, in
// parallel), sysctls (one process per namespace), IPsec (one ip batch), the firewall (one
// iptables-restore, each table in it committed whole), the overlay's neighbour and FDB entries (one ip and one bridge
// batch: they let traffic cross hosts, so they come after the IPsec and firewall that protect it),
// managed files (written atomically), and last the services, which serve those files. After the
// published ports change, the UDP flows they catch are dropped from conntrack (one `conntrack -R`).
// The plan's order is kept inside every batch.
import type { Change, Plan } from '../model/plan.js';
import { HOST_NS, type TableName } from '../model/state.js';
import { DEFAULT_POOL_LIMIT, MissingToolError, bridgeBatch, ipBatch, mapPool, run } from '../kernel/run.js';
import { writeSysctls } from '../kernel/sysctl.js';
import { parseIptablesSave } from '../observe/parse-iptables.js';
import { vniOfXfrmTag, vxlanName } from '../reconcile/names.js';
import { ApplyError, describeChange } from './errors.js';
import { loadKeys } from './esp-keys.js';
import { applyFiles } from './files.js';
import { conntrackFlushes } from './render-conntrack.js';
import { renderForwarding, renderXfrm, type ForwardingChange, type XfrmChange } from './render-forwarding.js';
import { isAlreadyGone, renderHostSide, renderIpChange, type IpChange } from './render-ip.js';
import { renderRestore, type FirewallChange } from './render-iptables.js';
import { applyServices, releaseNamespaces } from './services.js';

export interface ApplyOptions {
  hostNetns: string | null;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface ApplyReport {
  applied: Change[];
  spawns: number;
  /** What did not stop the apply but should be known (a missing optional tool). */
  warnings: string[];
}

type Outcome = { state: 'done' } | { state: 'failed'; error: string } | { state: 'notRun' };
type NamespaceChange = Extract<Change, { kind: 'namespace' }>;
type SysctlChange = Extract<Change, { kind: 'sysctl' }>;

const NETNS_NAME = /^[^\s/"'#\\]+$/;

class Execution {
  readonly outcomes = new Map<Change, Outcome>();
  /** Namespaces whose creation failed: nothing is attempted inside them. */
  readonly missing = new Set<string>();
  readonly warnings: string[] = [];
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
    return { applied: done, spawns: this.spawns, warnings: this.warnings };
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
  /** Only part of the change (an endpoint's macvlan, made by the host): its success is settled by the rest. */
  partial?: boolean;
}

interface BatchOptions {
  tool?: 'ip' | 'bridge';
  /** Failures that are not failures (deletes of what is gone). */
  tolerate?: (line: string, error: string) => boolean;
}

/** The kernel's words for what a reader needs to know, without anything that looks like key material. */
function explain(error: string): string {
  // ip may quote an argument it could not use: an IPsec key must not reach a message that way.
  const said = error.replace(/(?:0x)?[0-9a-f]{40,}/gi, '(key not shown)');
  // A kernel built without ESP (or AES-GCM) refuses every state of an encrypted overlay.
  return /Requested (?:type|AEAD algorithm) not found/.test(said) ? `${said} (this kernel cannot do IPsec ESP with AES-GCM: it needs CONFIG_INET_ESP and CONFIG_CRYPTO_GCM)` : said;
}

/** One forced ip (or bridge) batch; a change is done when none of its lines failed (deletes of what is gone excepted). */
async function runIpBatch(ex: Execution, netns: string | null, batch: BatchLine[], { tool = 'ip', tolerate = () => false }: BatchOptions = {}): Promise<void> {
  if (batch.length === 0) return;
  ex.spawns++;
  const res = await (tool === 'ip' ? ipBatch : bridgeBatch)(netns, batch.map((b) => b.line), { force: true });
  const errors = new Map<Change, string[]>();
  for (const f of res.failures) {
    const b = batch[f.line - 1];
    if (b && !tolerate(b.line, f.error)) errors.set(b.change, [...(errors.get(b.change) ?? []), explain(f.error)]);
  }
  const partial = new Set(batch.filter((b) => b.partial).map((b) => b.change));
  for (const b of batch) if (!b.partial) partial.delete(b.change);
  for (const c of new Set(batch.map((b) => b.change))) {
    const errs = errors.get(c);
    if (errs) ex.fail(c, errs.join('; '));
    else if (res.aborted) ex.fail(c, `${tool} stopped early (${explain(res.aborted)}); whether this change was made is unknown`);
    else if (!partial.has(c)) ex.done(c);
  }
}

/** Each change's lines; a change that cannot be rendered fails alone, one with nothing to run is done. */
function renderAll<C extends Change>(ex: Execution, changes: C[], render: (c: C) => string[]): BatchLine[] {
  const batch: BatchLine[] = [];
  for (const c of changes) {
    // Already settled: its host side failed.
    if (ex.outcomes.has(c)) continue;
    let lines: string[];
    try {
      lines = render(c);
    } catch (e) {
      ex.fail(c, (e as Error).message);
      continue;
    }
    if (lines.length === 0) ex.done(c);
    batch.push(...lines.map((line) => ({ line, change: c })));
  }
  return batch;
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
  await runIpBatch(ex, null, batch, { tolerate: (line, error) => line.startsWith('netns del ') && /No such file or directory/.test(error) });
  if (action === 'create') for (const { change } of batch) if (ex.outcomes.get(change)?.state !== 'done') ex.missing.add(change.namespace);
}

/** `hostSide`: for the host's batch, the lines it runs for changes of other namespaces (their macvlans). */
async function ipNamespace(ex: Execution, key: string, changes: IpChange[], hostSide: BatchLine[] = []): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  const batch = renderAll(ex, changes, (c) => renderIpChange(c, ex.peerNetns));
  await runIpBatch(ex, ex.netns(key), [...batch, ...hostSide], { tolerate: isAlreadyGone });
}

/** The host's part of endpoint changes, to run after its own links exist (a macvlan's parent may be new). */
function hostSideLines(ex: Execution, endpointChanges: IpChange[]): BatchLine[] {
  const out: BatchLine[] = [];
  for (const c of endpointChanges) {
    if (ex.missing.has(c.namespace)) continue;
    try {
      out.push(...renderHostSide(c, ex.peerNetns).map((line) => ({ line, change: c, partial: true })));
    } catch (e) {
      ex.fail(c, (e as Error).message);
    }
  }
  return out;
}

/** IPsec in a batch of its own: ip ends a batch at the first xfrm error, which must not stop links or addresses. */
async function ipsec(ex: Execution, key: string, changes: XfrmChange[]): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  const keyOf = await loadKeys(changes.flatMap((c) => (c.kind === 'xfrm-state' && c.action !== 'delete' && c.desired ? [c.desired] : [])));
  await runIpBatch(ex, ex.netns(key), renderAll(ex, changes, (c) => renderXfrm(c, keyOf)));
}

/**
 * The VXLAN links of encrypted networks whose IPsec failed in this apply: entries that would let
 * their traffic cross hosts are not made (it might leave unencrypted), only removed.
 */
function unprotected(ex: Execution, xfrm: XfrmChange[]): Set<string> {
  const out = new Set<string>();
  for (const c of xfrm) {
    const x = c.desired ?? c.observed;
    if (x && ex.outcomes.get(c)?.state === 'failed') out.add(vxlanName(vniOfXfrmTag(x.reqid)));
  }
  return out;
}

async function forwarding(ex: Execution, key: string, changes: ForwardingChange[], unsafe: Set<string>): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  for (const c of changes) {
    if (c.action !== 'delete' && c.desired && unsafe.has(c.desired.dev)) ex.fail(c, `not made: the IPsec of this network failed above, and ${c.desired.dev} would carry its traffic unencrypted`);
  }
  const of = (kind: ForwardingChange['kind']) => renderAll(ex, changes.filter((c) => c.kind === kind), renderForwarding);
  await Promise.all([
    runIpBatch(ex, ex.netns(key), of('neighbour')),
    runIpBatch(ex, ex.netns(key), of('fdb'), { tool: 'bridge', tolerate: (line, error) => line.startsWith('fdb del ') && /No such file or directory/.test(error) }),
  ]);
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

/** The wirestate jumps currently in each built-in chain, by table, read fresh so every `-D` matches. */
async function presentJumps(ex: Execution, netns: string | null): Promise<Partial<Record<TableName, Record<string, string[]>>>> {
  ex.spawns++;
  const res = await run('iptables-save', [], { netns });
  if (res.code !== 0) throw new Error(`iptables-save: ${res.stderr.trim() || `exit status ${res.code}`}`);
  const { tables } = parseIptablesSave(res.stdout);
  return Object.fromEntries(Object.entries(tables).map(([t, table]) => [t, table?.jumps ?? {}]));
}

/**
 * All of a namespace's firewall changes in one `iptables-restore --noflush`: a section per table,
 * each committed whole. iptables-restore stops at the first error and names its line: the
 * tables before it are in, the one it is in is not, those after were not tried.
 */
async function firewall(ex: Execution, key: string, changes: FirewallChange[]): Promise<void> {
  if (!ex.runnable(changes, key)) return;
  const netns = ex.netns(key);
  const tables = [...groupBy(changes, (c) => c.table)];
  const sections: { changes: FirewallChange[]; lastLine: number }[] = [];
  let input = '';
  try {
    const present = changes.some((c) => c.kind === 'jumps') ? await presentJumps(ex, netns) : {};
    for (const [table, tableChanges] of tables) {
      input += renderRestore(table, tableChanges, present[table] ?? {});
      sections.push({ changes: tableChanges, lastLine: input.split('\n').length - 1 });
    }
  } catch (e) {
    for (const c of changes) ex.fail(c, (e as Error).message);
    return;
  }
  ex.spawns++;
  const res = await run('iptables-restore', ['--noflush'], { netns, input });
  if (res.code === 0) {
    for (const c of changes) ex.done(c);
    return;
  }
  const error = res.stderr.trim().split('\n').slice(0, 2).join(' ') || `iptables-restore exited with status ${res.code}`;
  const line = Number(/Error occurred at line: (\d+)/.exec(res.stderr)?.[1] ?? Number.NaN);
  const failing = sections.findIndex((s) => line <= s.lastLine);
  sections.forEach((s, i) => {
    // Without a line to go by, nothing can be said to be in.
    if (failing < 0 || i === failing) for (const c of s.changes) ex.fail(c, error);
    else if (i < failing) for (const c of s.changes) ex.done(c);
    else for (const c of s.changes) ex.settle(c, { state: 'notRun' });
  });
}

// conntrack reads `-R -` by opening /dev/stdin, which fails on the socket Node gives a child as
// stdin: cat hands it a pipe. Exit 127: conntrack is not installed.
const CONNTRACK_RESTORE = 'command -v conntrack >/dev/null || exit 127; cat | conntrack -R -';

/** Drops the UDP flows that published ports changed in this apply would not catch (see render-conntrack.ts). */
async function flushConntrack(ex: Execution, changes: FirewallChange[]): Promise<void> {
  const lines = conntrackFlushes(changes.filter((c) => ex.outcomes.get(c)?.state === 'done'));
  if (lines.length === 0) return;
  ex.spawns++;
  const res = await run('sh', ['-c', CONNTRACK_RESTORE], { netns: ex.opts.hostNetns, input: `${lines.join('\n')}\n` });
  if (res.code === 127) ex.warnings.push(`${new MissingToolError('conntrack').message} — until then a UDP flow that began before a port was published or changed keeps its old path until it is idle for 30 s`);
  else if (res.code !== 0) ex.warnings.push(`conntrack could not drop the UDP flows of the changed ports: ${res.stderr.trim() || `exit status ${res.code}`}`);
}

export async function apply(plan: Plan, opts: ApplyOptions): Promise<ApplyReport> {
  const ex = new Execution(plan, opts);
  const of = <K extends Change['kind']>(...kinds: K[]) => plan.changes.filter((c): c is Extract<Change, { kind: K }> => (kinds as string[]).includes(c.kind));

  const nsChanges = of('namespace');
  const deleting = nsChanges.filter((c) => c.action === 'delete').map((c) => c.observed?.netns ?? c.namespace);
  await releaseNamespaces(ex, of('service'), deleting, opts.hostNetns);
  await namespaces(ex, nsChanges, 'delete');
  await namespaces(ex, nsChanges, 'create');
  // An update of a namespace's record has no kernel object of its own (its lo is a link change).
  for (const c of nsChanges) if (c.action === 'update') ex.done(c);

  const ip = groupBy(of('link', 'address', 'route'), (c) => c.namespace);
  const hostSide = hostSideLines(ex, of('link').filter((c) => c.namespace !== HOST_NS));
  // The host goes first: it creates the veth pairs (and macvlans) whose far ends the endpoint batches configure.
  await ipNamespace(ex, HOST_NS, ip.get(HOST_NS) ?? [], hostSide);
  ip.delete(HOST_NS);
  await mapPool([...ip], DEFAULT_POOL_LIMIT, ([key, changes]) => ipNamespace(ex, key, changes));

  await mapPool([...groupBy(of('sysctl'), (c) => c.namespace)], DEFAULT_POOL_LIMIT, ([key, changes]) => sysctls(ex, key, changes));
  for (const [key, changes] of groupBy(of('xfrm-state', 'xfrm-policy'), (c) => c.namespace)) await ipsec(ex, key, changes);

  for (const [key, changes] of groupBy(of('chain', 'jumps'), (c) => c.namespace)) await firewall(ex, key, changes);
  await flushConntrack(ex, of('chain').filter((c) => c.namespace === HOST_NS));
  const unsafe = unprotected(ex, of('xfrm-state', 'xfrm-policy'));
  for (const [key, changes] of groupBy(of('neighbour', 'fdb'), (c) => c.namespace)) await forwarding(ex, key, changes, unsafe);
  await applyFiles(ex, of('file'));
  await applyServices(ex, of('service'), opts.hostNetns);
  return ex.report();
}
