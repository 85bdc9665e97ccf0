// Which endpoint namespaces the controller's next pass reads again, so that a pass after an edit
// of the spec, or after one event in one namespace, does not read a thousand of them (measured:
// 200–300 ms of nsdump.py at 1000 endpoints). Between passes the ObserveCache keeps each namespace's dump;
// one is read again when
//   - an `ip monitor` event names it (`[nsid N]`, mapped to a name by `ip netns list` in the host);
//   - it is new, or the last pass changed it, or it had no nsid (its events go unreported): none
//     of those is kept;
//   - it is no longer the namespace that was read: its nsid or inode differ (deleted and made
//     again).
// Everything is read again — the cache dropped — on the first pass, the periodic resync, SIGHUP,
// a retry, after a pass that failed or left drift, on an event that names no namespace, and
// whenever the monitor may have missed events: from its exit until it has run MONITOR_READY_MS
// after a (re)start, and when it printed an error (a netlink buffer overrun loses events).
// The host namespace, its firewall and the files under /etc/netns are read on every pass: the
// first two are a couple of processes, and files have no events (~15 µs a file).
import { type CacheSession, ObserveCache } from '../observe/cache.js';
import { type NetnsId, sameNetns } from '../observe/netns-ids.js';
import type { PassOutcome } from './loop.js';
import type { Trigger } from './status.js';

/**
 * How long the monitor is taken to need, after it is spawned, before it reports every change: its
 * subscription takes milliseconds, but nothing says when it is in place.
 */
export const MONITOR_READY_MS = 1_000;

/** Triggers whose pass reads everything. */
const FULL: ReadonlySet<Trigger> = new Set<Trigger>(['start', 'resync', 'signal', 'retry']);

const IP_LINE = /^\[nsid (\d+|current)\]/;

/** Pure: the nsid a line of `ip -o monitor all-nsid label …` comes from: 'current' for the host's own; undefined when the line has no such prefix. */
export function eventNsid(line: string): number | 'current' | undefined {
  const m = IP_LINE.exec(line);
  if (!m) return undefined;
  return m[1] === 'current' ? 'current' : Number(m[1]);
}

/**
 * Pure: the namespaces whose dumps cannot be used again, given the nsids the events since the
 * last pass came from and each namespace's identity then (`before`) and now: those an nsid names
 * (then or now: an nsid can pass to a new namespace), and those not the same namespace as then.
 * 'all' when an nsid names no namespace under /run/netns (one given as a path, another tool's container).
 */
export function staleNamespaces(nsids: Iterable<number>, before: ReadonlyMap<string, NetnsId>, now: ReadonlyMap<string, NetnsId>): Set<string> | 'all' {
  const stale = new Set<string>();
  for (const name of new Set([...before.keys(), ...now.keys()])) if (!sameNetns(before.get(name), now.get(name))) stale.add(name);
  const named = new Map<number, string[]>();
  for (const ids of [before, now]) for (const [name, id] of ids) named.set(id.nsid, [...(named.get(id.nsid) ?? []), name]);
  for (const nsid of nsids) {
    const names = named.get(nsid);
    if (!names) return 'all';
    for (const n of names) stale.add(n);
  }
  return stale;
}

/** What a pass hands back besides its outcome: the endpoint namespaces it changed. */
export interface ScopedPass {
  outcome: PassOutcome;
  touched: string[];
}

export class ObserveScope {
  readonly cache = new ObserveCache();
  /** nsids named by events since the last pass began. */
  private nsids = new Set<number>();
  /** Whether the next pass must read everything (nothing read yet, or events may have been missed). */
  private everything = true;
  /** From when the monitor reports every change; Infinity while it is not running. */
  private readyAt = Infinity;
  /** Counts the monitor's gaps: a pass during which one opened cannot vouch for what it read. */
  private gaps = 0;
  /** Each namespace's identity when the last pass began. */
  private ids = new Map<string, NetnsId>();

  constructor(
    private readonly readIds: () => Promise<Map<string, NetnsId>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A line of `ip monitor` that can change what a pass finds. */
  event(line: string): void {
    const nsid = eventNsid(line);
    if (nsid === undefined) this.everything = true;
    else if (nsid !== 'current') this.nsids.add(nsid);
  }

  /** The monitor was spawned: what happened before it is not reported. */
  monitorStarted(): void {
    this.gap();
    this.readyAt = this.now() + MONITOR_READY_MS;
  }

  monitorExited(): void {
    this.gap();
    this.readyAt = Infinity;
  }

  /** The monitor printed an error: events may have been lost. */
  monitorError(): void {
    this.gap();
  }

  private gap(): void {
    this.everything = true;
    this.gaps++;
  }

  /** Runs one pass with the cache holding only what cannot have changed since it was read. */
  async run(trigger: readonly Trigger[], pass: (cache: CacheSession) => Promise<ScopedPass>): Promise<PassOutcome> {
    const trusted = this.now() >= this.readyAt;
    const gaps = this.gaps;
    const full = this.everything || !trusted || trigger.some((t) => FULL.has(t));
    // Taken before the pass reads anything: an event for a change after a read arrives after this.
    const nsids = this.nsids;
    this.nsids = new Set();
    this.everything = false;
    const before = this.ids;
    // Left empty if the pass fails: then nothing is the same namespace at the next pass.
    this.ids = new Map();
    // Read while observe reads the host namespace; the endpoint namespaces wait for it.
    const ids = this.readIds();
    const invalidated = ids.then((now) => {
      const stale = full ? 'all' : staleNamespaces(nsids, before, now);
      if (stale === 'all') this.cache.invalidateAll();
      else for (const n of stale) this.cache.invalidate(n);
    });
    // Awaited below, and by the session's select: never an unhandled rejection meanwhile.
    invalidated.catch(() => undefined);
    const session = this.cache.session(invalidated);
    let done: ScopedPass;
    try {
      done = await pass(session);
      this.ids = await ids;
    } catch (e) {
      // Settled first, so nothing of this pass touches the cache once it is dropped.
      await invalidated.catch(() => undefined);
      this.cache.invalidateAll();
      throw e;
    } finally {
      session.close();
    }
    // What a pass read is kept only if the monitor reported all along and the pass left the kernel
    // as the spec says; and only of the namespaces it did not change that had an nsid before it
    // read them (without one, their events go unreported).
    if (!done.outcome.remaining.inSync || !trusted || this.gaps !== gaps) this.cache.invalidateAll();
    else {
      const touched = new Set(done.touched);
      const known = this.ids;
      this.cache.retain((n) => known.has(n) && !touched.has(n));
    }
    return { ...done.outcome, observed: session.counts };
  }
}
