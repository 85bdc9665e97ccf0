// What the controller's passes read again of the endpoint namespaces: the nsid of an `ip monitor`
// line, `ip netns list`'s ids, the namespaces an event or a changed identity makes stale, the
// observe cache's choice of what to read, and the scope's rules over a run of passes (with a fake
// clock, fake identities and a fake pass that reads through the cache as observe does).
import { describe, expect, it } from 'vitest';
import type { NetnsDump, NetnsDumpResult } from '../../src/kernel/nsdump.js';
import { ObserveCache } from '../../src/observe/cache.js';
import { type NetnsId, parseNetnsList } from '../../src/observe/netns-ids.js';
import type { PassOutcome } from '../../src/watch/loop.js';
import { MONITOR_READY_MS, ObserveScope, eventNsid, staleNamespaces } from '../../src/watch/observe-scope.js';
import type { Trigger } from '../../src/watch/status.js';

const dump = (ifname = 'eth0'): NetnsDump => ({ links: [{ ifname }], addrs: [], routes: [] });

describe('ip monitor lines', () => {
  it('name the namespace they come from by its nsid in the host, or as the current one', () => {
    expect(eventNsid('[nsid current][LINK]3: ws-front: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue state UP group default')).toBe('current');
    expect(eventNsid('[nsid 0][LINK]3: u0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master eth0 state UP')).toBe(0);
    expect(eventNsid('[nsid 17][ADDR]Deleted 2: eth0    inet 10.81.0.3/24 brd 10.81.0.255 scope global eth0')).toBe(17);
    // made up: no label, or an nsid ip could not print
    expect(eventNsid('10.40.0.213 dev wsvx35a7ac lladdr 02:42:0a:28:00:d5 PERMANENT')).toBeUndefined();
    expect(eventNsid('[nsid -1][LINK]3: eth0: <BROADCAST>')).toBeUndefined();
  });
});

describe('ip netns list', () => {
  it('gives the nsid of the namespaces that have one in the namespace it ran in', () => {
    const out = '[{"name":"h-web","id":3},{"name":"h-api"},{"name":"h-db","id":0}]\n';
    expect([...parseNetnsList(out)]).toEqual([
      ['h-web', 3],
      ['h-db', 0],
    ]);
    expect(parseNetnsList('[]\n').size).toBe(0);
    // Without /run/netns ip prints nothing.
    expect(parseNetnsList('').size).toBe(0);
  });
});

describe('stale namespaces', () => {
  const ids = (entries: [string, number, number][]) => new Map<string, NetnsId>(entries.map(([n, nsid, inode]) => [n, { nsid, inode }]));
  const before = ids([
    ['a', 1, 101],
    ['b', 2, 102],
    ['c', 3, 103],
  ]);

  it('are none when no event came and every namespace is the one it was', () => {
    expect(staleNamespaces([], before, new Map(before))).toEqual(new Set());
  });

  it('are those an event names', () => {
    expect(staleNamespaces([2, 2], before, before)).toEqual(new Set(['b']));
  });

  it('are those made again under the same name, or without an nsid then or now', () => {
    const now = ids([
      ['a', 1, 201], // another inode: deleted and made again
      ['b', 5, 102], // another nsid
      ['d', 4, 104], // new
    ]); // c: deleted, or lost its nsid
    expect(staleNamespaces([], before, now)).toEqual(new Set(['a', 'b', 'c', 'd']));
  });

  it('include both namespaces an nsid named, then and now (it passed from a deleted namespace to a new one)', () => {
    const now = ids([
      ['a', 1, 101],
      ['e', 2, 105],
    ]);
    expect(staleNamespaces([2], before, now)).toEqual(new Set(['b', 'c', 'e']));
  });

  it('are all when an event names an nsid no named namespace has (a namespace given as a path)', () => {
    expect(staleNamespaces([9], before, before)).toBe('all');
  });
});

describe('the observe cache', () => {
  const keep = (cache: ObserveCache, entries: [string, NetnsDumpResult][]) => cache.session().keep(new Map(entries));
  const selectRead = async (cache: ObserveCache, endpoints: string[], present: Iterable<string>) => (await cache.session().select(endpoints, new Set(present))).read;

  it('reads what it does not hold, unless the name is not under /run/netns; reuses the rest', async () => {
    const cache = new ObserveCache();
    keep(cache, [
      ['a', dump()],
      ['b', { error: 'missing' }],
      ['/proc/1/ns/net', dump()],
    ]);
    const session = cache.session();
    const { read, reused } = await session.select(['a', 'b', 'c', 'gone', '/proc/1/ns/net'], new Set(['a', 'b', 'c']));
    // A path is never kept: no nsid map can name it, so no event could say it changed.
    expect(read).toEqual(['b', 'c', '/proc/1/ns/net']);
    expect([...reused.keys()]).toEqual(['a']);
    expect(session.counts).toEqual({ read: 3, reused: 1 });
  });

  it('forgets namespaces no longer looked at, or gone from /run/netns', async () => {
    const cache = new ObserveCache();
    keep(cache, [
      ['a', dump()],
      ['b', dump()],
    ]);
    expect(await selectRead(cache, ['a'], ['a', 'b'])).toEqual([]);
    expect(await selectRead(cache, ['a', 'b'], ['a', 'b'])).toEqual(['b']);
    expect(await selectRead(cache, ['a', 'b'], ['b'])).toEqual(['b']);
    expect(await selectRead(cache, ['a', 'b'], ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('forgets what is invalidated, or not retained', async () => {
    const cache = new ObserveCache();
    const all = ['a', 'b', 'c'];
    keep(cache, all.map((n) => [n, dump()]));
    cache.invalidate('b');
    expect(await selectRead(cache, all, all)).toEqual(['b']);
    cache.invalidateAll();
    expect(await selectRead(cache, all, all)).toEqual(all);
    keep(cache, all.map((n) => [n, dump()]));
    cache.retain((n) => n !== 'a');
    expect(await selectRead(cache, all, all)).toEqual(['a']);
  });

  it('selects once the session is ready, and takes nothing from a read that outlives its pass', async () => {
    const cache = new ObserveCache();
    keep(cache, [['a', dump()]]);
    let ready!: () => void;
    const session = cache.session(new Promise<void>((r) => (ready = r)));
    const selected = session.select(['a'], new Set(['a']));
    cache.invalidate('a');
    ready();
    expect((await selected).read).toEqual(['a']);
    session.close();
    session.keep(new Map([['a', dump()]]));
    expect(await selectRead(cache, ['a'], ['a'])).toEqual(['a']);
    await expect(session.select(['a'], new Set(['a']))).rejects.toThrow('the pass this observe belonged to is over');
  });
});

describe('the observe scope over a run of passes', () => {
  const NAMES = ['a', 'b', 'c'];
  const inSync = { inSync: true, items: [] };
  const drifted = { inSync: false, items: [{ kind: 'link', name: 'eth0', namespace: 'a', status: 'missing' as const, patch: [] }] };
  const outcome = (remaining = inSync): PassOutcome => ({ changes: [], found: remaining, remaining, warnings: [], owned: {}, namespaces: NAMES });

  function setup() {
    let now = 1_000_000;
    let ids: Map<string, NetnsId> | Error = new Map(NAMES.map((n, i) => [n, { nsid: i, inode: 100 + i }]));
    const scope = new ObserveScope(
      async () => {
        if (ids instanceof Error) throw ids;
        return new Map(ids);
      },
      () => now,
    );
    /** One pass that looks at NAMES as observe does; returns what it read. */
    const pass = async (trigger: Trigger[] = ['kernel'], o: { touched?: string[]; remaining?: typeof inSync; fail?: boolean; during?: () => void } = {}) => {
      let read: string[] = [];
      const done = await scope.run(trigger, async (cache) => {
        const sel = await cache.select(NAMES, new Set(NAMES));
        read = sel.read;
        cache.keep(new Map(sel.read.map((n) => [n, dump()])));
        o.during?.();
        if (o.fail) throw new Error('apply failed');
        return { outcome: outcome(o.remaining), touched: o.touched ?? [] };
      });
      expect(done.observed).toEqual({ read: read.length, reused: NAMES.length - read.length });
      return read;
    };
    const ready = async () => {
      scope.monitorStarted();
      now += MONITOR_READY_MS;
      // The first pass with the monitor up reads everything, and keeps it.
      expect(await pass(['start'])).toEqual(NAMES);
    };
    return {
      scope,
      pass,
      ready,
      tick: (ms: number) => (now += ms),
      setIds: (next: Map<string, NetnsId> | Error) => (ids = next),
      ids: () => ids as Map<string, NetnsId>,
    };
  }

  it('reads everything until the monitor has run long enough to report every change', async () => {
    const s = setup();
    expect(await s.pass(['start'])).toEqual(NAMES);
    expect(await s.pass()).toEqual(NAMES);
    s.scope.monitorStarted();
    s.tick(MONITOR_READY_MS - 1);
    expect(await s.pass()).toEqual(NAMES);
    s.tick(1);
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual([]);
  });

  it('reads again only the namespaces events name; the host namespace’s own events name none', async () => {
    const s = setup();
    await s.ready();
    s.scope.event('[nsid current][LINK]3: ws-alpha: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400');
    expect(await s.pass()).toEqual([]);
    s.scope.event('[nsid 1][ADDR]Deleted 2: eth0    inet 10.81.0.3/24 scope global eth0');
    s.scope.event('[nsid 2][LINK]2: eth0@if7: <BROADCAST,MULTICAST> mtu 1500');
    expect(await s.pass(['kernel', 'file'])).toEqual(['b', 'c']);
    expect(await s.pass()).toEqual([]);
  });

  it('keeps an event that arrives during a pass for the next one', async () => {
    const s = setup();
    await s.ready();
    expect(await s.pass(['kernel'], { during: () => s.scope.event('[nsid 0][LINK]2: eth0@if7: <BROADCAST,MULTICAST> mtu 1500') })).toEqual([]);
    expect(await s.pass()).toEqual(['a']);
  });

  it('reads again what the last pass changed', async () => {
    const s = setup();
    await s.ready();
    expect(await s.pass(['file'], { touched: ['c'] })).toEqual([]);
    expect(await s.pass()).toEqual(['c']);
  });

  it('reads everything on a resync, SIGHUP or retry, after a pass that failed or left drift, and on an event it cannot place', async () => {
    const s = setup();
    await s.ready();
    for (const t of ['resync', 'signal', 'retry'] as Trigger[]) {
      expect(await s.pass([t]), t).toEqual(NAMES);
      expect(await s.pass(), t).toEqual([]);
    }
    await expect(s.pass(['file'], { fail: true })).rejects.toThrow('apply failed');
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass(['kernel'], { remaining: drifted })).toEqual([]);
    expect(await s.pass()).toEqual(NAMES);
    s.scope.event('[nsid 9][LINK]2: eth0@if7: <BROADCAST,MULTICAST> mtu 1500');
    expect(await s.pass()).toEqual(NAMES);
    s.scope.event('a line in a shape not known here');
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual([]);
  });

  it('reads everything after the monitor exited, printed an error, or restarted, until it has run long enough', async () => {
    const s = setup();
    await s.ready();
    s.scope.monitorError();
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual([]);
    // An error during a pass: what it read cannot be vouched for.
    expect(await s.pass(['kernel'], { during: () => s.scope.monitorError() })).toEqual([]);
    expect(await s.pass()).toEqual(NAMES);
    s.scope.monitorExited();
    s.tick(60_000);
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual(NAMES);
    s.scope.monitorStarted();
    expect(await s.pass()).toEqual(NAMES);
    s.tick(MONITOR_READY_MS);
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual([]);
  });

  it('reads again a namespace that is not the one it read (made again, or without an nsid)', async () => {
    const s = setup();
    await s.ready();
    const next = new Map(s.ids());
    next.set('a', { nsid: 0, inode: 999 });
    next.delete('b');
    s.setIds(next);
    expect(await s.pass()).toEqual(['a', 'b']);
    // b still has no nsid: its events would go unreported, so it is read every time.
    expect(await s.pass()).toEqual(['b']);
  });

  it('fails the pass when the identities cannot be read, and reads everything the time after', async () => {
    const s = setup();
    await s.ready();
    const ids = s.ids();
    s.setIds(new Error('ip netns list failed'));
    await expect(s.pass()).rejects.toThrow('ip netns list failed');
    s.setIds(ids);
    expect(await s.pass()).toEqual(NAMES);
    expect(await s.pass()).toEqual([]);
  });
});
