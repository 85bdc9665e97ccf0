// One pass of the pipeline: load → observe → compile → diff/plan → apply → verify.
// The CLI commands and the control loop are thin callers of these functions.
import { apply } from '../apply/index.js';
import type { Plan } from '../model/plan.js';
import { HOST_NS, type HostState, type Observed, emptyNamespace } from '../model/state.js';
import type { CacheSession } from '../observe/cache.js';
import { observe } from '../observe/index.js';
import { readListeners } from '../observe/listeners.js';
import { readSysctls } from '../kernel/sysctl.js';
import { allocationsFromObserved, mergeAllocations } from '../reconcile/allocations.js';
import { type CompileResult, compile } from '../reconcile/compile.js';
import { runsHere } from '../reconcile/hosts.js';
import { endpointNetnsName, ownedNetnsPrefix } from '../reconcile/names.js';
import { DNS_SERVICE } from '../reconcile/name-service.js';
import { plan } from '../reconcile/plan.js';
import { type SpecError, formatSpecError, loadSpec } from '../spec/index.js';
import { readKeyFiles } from '../spec/keyfile.js';
import type { Spec } from '../spec/types.js';
import { acquireLock } from '../store/lock.js';
import { servicePaths } from '../store/run-dir.js';
import { type StoredState, hostStateDir, readState, writeState } from '../store/state-file.js';

export interface Target {
  dir: string;
  hostNetns: string | null;
  hostName?: string;
  stateDir: string;
}

/** An error the user can act on: printed as its message lines, no stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

const SYSCTLS = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.ip_local_port_range'];

export async function loadValid(dir: string): Promise<Spec> {
  const r = await loadSpec(dir);
  if (!r.ok) throw new UserError(`${dir}: the spec is invalid, nothing was changed`, r.errors.map((e: SpecError) => formatSpecError(e)));
  return r.spec;
}

/** An empty spec: no networks, no endpoints, no default bridge — what `down` converges to. */
export function emptySpec(from: Spec): Spec {
  return { networks: {}, endpoints: {}, hosts: from.hosts, settings: { ...from.settings, defaultBridge: { enabled: false } }, sources: {} };
}

/** What observe reads besides the kernel: the DNS records file and whether the DNS service serves it. */
const naming = (t: Target) => ({ hostFiles: [servicePaths(t.hostNetns, DNS_SERVICE).records], services: [DNS_SERVICE] });

async function observeFor(spec: Spec, t: Target, stored: StoredState, cache?: CacheSession): Promise<Observed> {
  // Only this host's endpoints: those of other hosts are only forwarding entries here.
  const fromSpec = Object.entries(spec.endpoints)
    .filter(([, e]) => runsHere(e, t.hostName) && !Object.keys(e.networks).includes('host'))
    .map(([name, e]) => e.netns ?? endpointNetnsName(t.hostNetns, name));
  const req = {
    hostNetns: t.hostNetns,
    namespaces: [...new Set([...fromSpec, ...stored.namespaces])],
    ownedPrefix: ownedNetnsPrefix(t.hostNetns),
    sysctls: { [HOST_NS]: SYSCTLS },
    firewall: spec.settings.iptables !== false,
    ...naming(t),
  };
  return observe(req, { cache });
}

/**
 * Verify reads again only what the plan touched (the host, and the endpoint namespaces it
 * changed), so adding one endpoint to a thousand re-reads one namespace, not a thousand.
 */
async function verify(spec: Spec, t: Target, p: Planned): Promise<Plan> {
  const touched = [...new Set(p.plan.changes.map((c) => c.namespace).filter((k) => k !== HOST_NS))];
  const after = await observe({
    hostNetns: t.hostNetns,
    namespaces: touched,
    ownedPrefix: '',
    sysctls: { [HOST_NS]: [...new Set([...SYSCTLS, ...Object.keys(p.compiled.desired.namespaces[HOST_NS].sysctls)])] },
    firewall: spec.settings.iptables !== false,
    ...naming(t),
  });
  const scope = (s: HostState): HostState => ({
    namespaces: Object.fromEntries(Object.entries(s.namespaces).filter(([k]) => k === HOST_NS || touched.includes(k))),
  });
  return plan(scope(p.compiled.desired), scope(after.state));
}

/** Per-bridge settings (route_localnet) are only known after compile: read those observe did not. */
async function readDesiredSysctls(desired: HostState, observed: HostState, hostNetns: string | null): Promise<void> {
  const have = observed.namespaces[HOST_NS].sysctls;
  const missing = Object.keys(desired.namespaces[HOST_NS].sysctls).filter((k) => !(k in have));
  if (missing.length) Object.assign(have, await readSysctls(hostNetns, missing));
}

export interface Planned {
  spec: Spec;
  observed: Observed;
  compiled: CompileResult;
  plan: Plan;
  stored: StoredState;
}

/** `cache`: the controller's endpoint namespaces kept from earlier passes (see ObserveCache); without, everything is read. */
export async function computePlan(spec: Spec, t: Target, cache?: CacheSession): Promise<Planned> {
  const stored = await readState(hostStateDir(t.stateDir, t.hostNetns));
  const [observed, listeners, keys] = await Promise.all([observeFor(spec, t, stored, cache), readListeners(t.hostNetns), readKeyFiles(spec)]);
  observed.facts.listeners = listeners;
  const allocations = mergeAllocations(stored.allocations, allocationsFromObserved(observed.state));
  const range = observed.state.namespaces[HOST_NS].sysctls['net.ipv4.ip_local_port_range']?.split(/\s+/).map(Number);
  const portRange = range?.length === 2 && range.every(Number.isInteger) ? (range as [number, number]) : undefined;
  const compiled = compile(spec, { hostNetns: t.hostNetns, hostName: t.hostName, allocations, facts: observed.facts, portRange, keys });
  await readDesiredSysctls(compiled.desired, observed.state, t.hostNetns);
  if (compiled.errors.length) {
    throw new UserError('the spec conflicts with this host, nothing was changed', compiled.errors.map((e) => `${e.path}: ${e.message}`));
  }
  const missing = Object.entries(compiled.desired.namespaces)
    .filter(([key, ns]) => key !== HOST_NS && !ns.owned && !observed.state.namespaces[key])
    .map(([, ns]) => ns);
  if (missing.length) {
    throw new UserError(
      'an endpoint names a namespace that does not exist, nothing was changed',
      missing.map((ns) => `endpoints.${ns.endpoint}.netns: namespace "${ns.netns}" does not exist (create it first, or drop netns: to let wirestate create one)`),
    );
  }
  adoptLeftovers(observed, compiled.desired);
  return { spec, observed, compiled, plan: plan(compiled.desired, observed.state), stored };
}

/**
 * The files left by a namespace deleted by hand and no longer wanted: seen as a namespace holding
 * only them (and not ours to delete: it is gone), so the plan removes just the files. One still
 * wanted is simply made again, files and all.
 */
function adoptLeftovers(observed: Observed, desired: HostState): void {
  for (const [netns, files] of Object.entries(observed.facts.leftoverFiles ?? {})) {
    if (!desired.namespaces[netns]) observed.state.namespaces[netns] = { ...emptyNamespace(netns, false), files };
  }
}

export interface ApplyOptions {
  allowEmpty?: boolean;
  onProgress?: (done: number, total: number, what: string) => void;
  /** As for computePlan. */
  cache?: CacheSession;
}

export interface PassResult extends Planned {
  applied: number;
  /** Changes still pending after apply (empty when converged). */
  remaining: Plan;
  /** Milliseconds spent planning (observe, compile, diff), applying and verifying. */
  timings: { plan: number; apply: number; verify: number };
  /** The compiler's warnings, then apply's. */
  warnings: string[];
}

/** Every endpoint namespace wirestate put something in, created or not: `down` must find them all. */
function endpointNamespaces(desired: HostState): string[] {
  return Object.keys(desired.namespaces).filter((k) => k !== HOST_NS);
}

/** reconcile --once: plan, apply, observe again; `remaining` must be empty for the host to be converged. */
export async function reconcileOnce(spec: Spec, t: Target, opts: ApplyOptions = {}): Promise<PassResult> {
  const release = await acquireLock(hostStateDir(t.stateDir, t.hostNetns));
  try {
    const started = performance.now();
    const p = await computePlan(spec, t, opts.cache);
    const planned = performance.now();
    const declared = Object.keys(spec.networks).length + Object.keys(spec.endpoints).length;
    if (declared === 0 && !opts.allowEmpty && p.plan.changes.some((c) => c.action === 'delete')) {
      throw new UserError(`${t.dir} declares no networks and no endpoints; this would remove everything wirestate made on this host. Pass --allow-empty if that is what you want (or use \`wirestate down\`).`);
    }
    // Allocations are saved before apply: a pass cut short hands out the same addresses next time.
    await writeState(hostStateDir(t.stateDir, t.hostNetns), { version: 1, allocations: p.compiled.allocations, namespaces: endpointNamespaces(p.compiled.desired) });
    const applyStart = performance.now();
    const report = p.plan.changes.length ? await apply(p.plan, { hostNetns: t.hostNetns, onProgress: opts.onProgress }) : undefined;
    const applied = performance.now();
    const remaining = p.plan.changes.length ? await verify(spec, t, p) : p.plan;
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    const timings = { plan: ms(started, planned), apply: ms(applyStart, applied), verify: ms(applied, performance.now()) };
    // For the benchmark and for people chasing a slow pass: where the time went, on stderr.
    if (process.env.WIRESTATE_TIMINGS === '1') process.stderr.write(`timings ${JSON.stringify(timings)}\n`);
    return { ...p, applied: p.plan.changes.length, remaining, timings, warnings: [...p.compiled.warnings, ...(report?.warnings ?? [])] };
  } finally {
    await release();
  }
}
