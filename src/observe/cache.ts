// The controller's memory of endpoint namespaces between passes: each one's dump (links,
// addresses, routes, as nsdump.py read them), so that a pass reads again only the namespaces that
// may have changed. Which those are is the caller's to say (src/watch/observe-scope.ts, from kernel
// events): a dump is kept until invalidated, or until its namespace is no longer looked at or is
// gone from /run/netns. Dumps rather than NamespaceStates: each pass derives the state afresh (an
// endpoint macvlan's parent is named from the host's links, which change without an event in the
// endpoint namespace), and nothing a pass does to its Observed can reach what is kept.
import type { NetnsDump, NetnsDumpResult } from '../kernel/nsdump.js';

export interface ObserveCounts {
  /** Endpoint namespaces read from the kernel. */
  read: number;
  /** Endpoint namespaces whose dump was taken from the cache. */
  reused: number;
}

export class ObserveCache {
  private readonly dumps = new Map<string, NetnsDump>();

  invalidate(netns: string): void {
    this.dumps.delete(netns);
  }

  invalidateAll(): void {
    this.dumps.clear();
  }

  /** Forgets every namespace `keep` says no to. */
  retain(keep: (netns: string) => boolean): void {
    for (const n of this.dumps.keys()) if (!keep(n)) this.dumps.delete(n);
  }

  /**
   * The cache as one pass's observe uses it. Its select waits for `ready`: the invalidations the
   * caller works out while observe reads the host namespace.
   */
  session(ready: Promise<void> = Promise.resolve()): CacheSession {
    return new CacheSession(this.dumps, ready);
  }
}

export class CacheSession {
  counts: ObserveCounts = { read: 0, reused: 0 };
  private open = true;

  constructor(
    private readonly dumps: Map<string, NetnsDump>,
    private readonly ready: Promise<void>,
  ) {}

  /**
   * Of the endpoint namespaces a pass looks at, which to read: those not kept that are under
   * /run/netns (`present`) or given as a path — a name not under /run/netns does not exist and
   * needs no look. Forgets the namespaces no longer looked at or gone.
   */
  async select(endpoints: readonly string[], present: ReadonlySet<string>): Promise<{ read: string[]; reused: Map<string, NetnsDump> }> {
    await this.ready;
    // A failed pass can leave a read of its own running: it must not use what the next pass keeps.
    if (!this.open) throw new Error('the pass this observe belonged to is over');
    const wanted = new Set(endpoints);
    for (const n of this.dumps.keys()) if (!wanted.has(n) || !present.has(n)) this.dumps.delete(n);
    const read: string[] = [];
    const reused = new Map<string, NetnsDump>();
    for (const n of wanted) {
      const dump = this.dumps.get(n);
      if (dump) reused.set(n, dump);
      else if (n.includes('/') || present.has(n)) read.push(n);
    }
    this.counts = { read: read.length, reused: reused.size };
    return { read, reused };
  }

  /** Keeps what the pass read of named namespaces; never a path's: no nsid map names it, so no event can say it changed. */
  keep(read: ReadonlyMap<string, NetnsDumpResult>): void {
    if (!this.open) return;
    for (const [n, result] of read) if (!n.includes('/') && !('error' in result)) this.dumps.set(n, result);
  }

  /** The pass is over: what a read still running brings is not kept. */
  close(): void {
    this.open = false;
  }
}
