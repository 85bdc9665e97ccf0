// apply and observe against a real kernel, inside throwaway namespaces only: a "host" namespace
// made here and endpoint namespaces that apply itself creates. Nothing touches the namespace the
// tests run in. Needs root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, ApplyError } from '../../src/apply/index.js';
import { mapPool, MissingToolError, run } from '../../src/kernel/run.js';
import type { Change, Plan } from '../../src/model/plan.js';
import { HOST_NS, type HostState, type Link, type NamespaceState, type Table, type TableName } from '../../src/model/state.js';
import { observe, type ObserveRequest } from '../../src/observe/index.js';
import { isRoot, makeNetns, removeTestNetns, TEST_PREFIX, testNetns } from './netns.js';

const H = testNetns('h');
const E1 = testNetns('e1');
const E2 = testNetns('e2');

const JUMP_FORWARD = '-m comment --comment wirestate -j WIRESTATE-FORWARD';
const JUMP_POSTROUTING = '-m comment --comment wirestate -j WIRESTATE-POSTROUTING';
const FORWARD_RULES = [
  '-i wst-br -o wst-br -j ACCEPT',
  '-o wst-br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-i wst-br ! -o wst-br -j ACCEPT',
  '-j WIRESTATE-USER',
];

function endpoint(netns: string, ep: string, n: number): NamespaceState {
  const eth0: Link = { name: 'eth0', kind: 'veth', alias: `wirestate endpoint ${ep} network n1`, mtu: 1500, mac: `02:42:0a:4d:00:0${n}`, up: true, ipv6: false };
  return {
    netns,
    endpoint: ep,
    owned: true,
    links: { lo: { name: 'lo', kind: 'loopback', alias: `wirestate netns ${ep}`, mtu: 65536, up: true, ipv6: true }, eth0 },
    addresses: { [`10.77.0.${n}/24 dev eth0`]: { dev: 'eth0', cidr: `10.77.0.${n}/24` } },
    routes: { 'default dev eth0': { dst: 'default', dev: 'eth0', via: '10.77.0.1' } },
    sysctls: {},
  };
}

const hostVeth = (ep: string, netns: string, n: number): Link => ({
  name: `wsv-${ep}`,
  kind: 'veth',
  alias: `wirestate endpoint ${ep} network n1`,
  mtu: 1500,
  mac: `02:42:0a:4d:01:0${n}`,
  master: 'wst-br',
  // One port with hairpin on, one off: both must read back as written.
  hairpin: n === 1,
  up: true,
  ipv6: false,
  peer: { netns, name: 'eth0' },
});

const desired: HostState = {
  namespaces: {
    [HOST_NS]: {
      netns: H,
      owned: false,
      links: {
        'wst-br': { name: 'wst-br', kind: 'bridge', alias: 'wirestate network n1', mtu: 1500, mac: '02:42:0a:4d:00:01', up: true, ipv6: false },
        'wsv-e1': hostVeth('e1', E1, 2),
        'wsv-e2': hostVeth('e2', E2, 3),
      },
      addresses: { '10.77.0.1/24 dev wst-br': { dev: 'wst-br', cidr: '10.77.0.1/24' } },
      routes: {},
      sysctls: { 'net.ipv4.ip_forward': '1' },
      firewall: {
        tables: {
          filter: { chains: { 'WIRESTATE-USER': null, 'WIRESTATE-FORWARD': FORWARD_RULES }, jumps: { FORWARD: [JUMP_FORWARD] } },
          nat: { chains: { 'WIRESTATE-POSTROUTING': ['-s 10.77.0.0/24 ! -o wst-br -j MASQUERADE'] }, jumps: { POSTROUTING: [JUMP_POSTROUTING] } },
          raw: { chains: {}, jumps: {} },
          mangle: { chains: {}, jumps: {} },
        },
      },
    },
    [E1]: endpoint(E1, 'e1', 2),
    [E2]: endpoint(E2, 'e2', 3),
  },
};

const request: ObserveRequest = {
  hostNetns: H,
  namespaces: [E1, E2, testNetns('missing')],
  ownedPrefix: TEST_PREFIX,
  sysctls: { [HOST_NS]: ['net.ipv4.ip_forward'] },
  firewall: true,
};

/** Stand-in for the real diff: create everything desired, in dependency order. */
function naivePlan(want: HostState, have: HostState): Plan {
  const changes: Change[] = [];
  for (const [key, ns] of Object.entries(want.namespaces)) {
    if (ns.owned && !have.namespaces[key]) changes.push({ action: 'create', kind: 'namespace', namespace: key, name: key, desired: ns });
  }
  for (const [key, ns] of Object.entries(want.namespaces)) {
    const base = { action: 'create' as const, namespace: key };
    for (const l of Object.values(ns.links)) changes.push({ ...base, kind: 'link', name: l.name, desired: l });
    for (const [k, a] of Object.entries(ns.addresses)) changes.push({ ...base, kind: 'address', name: k, desired: a });
    for (const [k, r] of Object.entries(ns.routes)) changes.push({ ...base, kind: 'route', name: k, desired: r });
    for (const [k, v] of Object.entries(ns.sysctls)) changes.push({ ...base, action: 'update', kind: 'sysctl', name: k, key: k, value: v });
    for (const [table, t] of Object.entries(ns.firewall?.tables ?? {}) as [TableName, Table][]) {
      for (const [chain, rules] of Object.entries(t.chains)) changes.push({ ...base, kind: 'chain', name: `${table}/${chain}`, table, chain, rules, detail: [] });
      for (const [chain, rules] of Object.entries(t.jumps)) {
        const previous = have.namespaces[key]?.firewall?.tables[table]?.jumps[chain] ?? [];
        changes.push({ ...base, kind: 'jumps', name: `${table}/${chain}`, table, chain, rules, previous, detail: [] });
      }
    }
  }
  return { changes };
}

/** Desired minus what observation cannot see: where a veth's other end was created. */
function withoutPeers(state: HostState): HostState {
  const strip = (ns: NamespaceState): NamespaceState => ({
    ...ns,
    links: Object.fromEntries(Object.entries(ns.links).map(([k, { peer: _peer, ...l }]) => [k, l])),
  });
  return { namespaces: Object.fromEntries(Object.entries(state.namespaces).map(([k, ns]) => [k, strip(ns)])) };
}

const inHost = async (cmd: string, args: string[]): Promise<string> => {
  const res = await run(cmd, args, { netns: H });
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
};

/** The namespace the tests themselves run in, read only: it must come out as it went in. */
async function ownNamespace(): Promise<string> {
  const [addrs, forward] = await Promise.all([run('ip', ['-br', 'addr', 'show']), run('cat', ['/proc/sys/net/ipv4/ip_forward'])]);
  return addrs.stdout + forward.stdout;
}

const ping = async (from: string, to: string): Promise<number> => (await run('ping', ['-c1', '-W1', to], { netns: from })).code;

if (!isRoot) console.warn('skipping kernel tests: they need root');

describe.skipIf(!isRoot)('apply and observe on a real kernel', () => {
  let ownBefore = '';
  beforeAll(async () => {
    ownBefore = await ownNamespace();
    await removeTestNetns();
    await makeNetns(H);
  });
  afterAll(removeTestNetns);

  it('applies a whole host in a handful of spawns and observes it back unchanged', async () => {
    const before = await observe(request);
    expect(Object.keys(before.state.namespaces)).toEqual([HOST_NS]);
    expect(before.state.namespaces[HOST_NS]?.links).toEqual({});

    const plan = naivePlan(desired, before.state);
    const progress: number[] = [];
    const report = await apply(plan, { hostNetns: H, onProgress: (done, total) => progress.push(done - total) });
    expect(report.applied).toEqual(plan.changes);
    expect(progress).toHaveLength(plan.changes.length);
    expect(progress.at(-1)).toBe(0);
    // netns add, host batch, 2 endpoint batches, sysctls, then one iptables-save and one restore for both tables.
    expect(report.spawns).toBe(7);

    const after = await observe(request);
    expect(after.state).toEqual(withoutPeers(desired));
    expect(after.facts.netnsNames).toEqual(expect.arrayContaining([H, E1, E2]));
    expect(after.facts.foreignLinks).toEqual(['lo']);
  });

  it('restores all tables in one process, and settles each by where iptables-restore stopped', async () => {
    const chain = (table: TableName, name: string, rules: string[]): Change => ({ action: 'create', kind: 'chain', namespace: HOST_NS, name: `${table}/${name}`, table, chain: name, rules, detail: [] });
    const good = chain('raw', 'WST-GOOD', ['-j RETURN']);
    const bad = chain('nat', 'WST-BAD', ['-j WST-NO-SUCH-CHAIN']);
    const after = chain('filter', 'WST-AFTER', ['-j RETURN']);
    const err = await apply({ changes: [good, bad, after] }, { hostNetns: H }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const { done, failed, notRun } = err as ApplyError;
    expect(done).toEqual([good]);
    expect(failed.map((f) => f.change)).toEqual([bad]);
    expect(failed[0]?.error).toContain("Chain 'WST-NO-SUCH-CHAIN' does not exist");
    expect(notRun).toEqual([after]);
    const save = await inHost('iptables-save', []);
    expect(save).toContain(':WST-GOOD');
    expect(save).not.toContain('WST-BAD');
    expect(save).not.toContain('WST-AFTER');
    await inHost('iptables', ['-t', 'raw', '-F', 'WST-GOOD']);
    await inHost('iptables', ['-t', 'raw', '-X', 'WST-GOOD']);
  });

  it('connects the endpoints through the bridge', async () => {
    expect(await ping(E1, '10.77.0.3')).toBe(0);
    expect(await ping(E2, '10.77.0.2')).toBe(0);
    expect(await ping(E1, '10.77.0.1')).toBe(0);
  });

  it('leaves foreign links, routes and rules alone and reports them as facts only', async () => {
    await inHost('ip', ['link', 'add', 'fz0', 'type', 'veth', 'peer', 'name', 'fz1']);
    await inHost('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'fz0']);
    await inHost('ip', ['link', 'set', 'fz0', 'up']);
    await inHost('iptables', ['-A', 'FORWARD', '-s', '192.0.2.1', '-j', 'ACCEPT']);
    await inHost('iptables', ['-A', 'WIRESTATE-USER', '-s', '192.0.2.9', '-j', 'DROP']);

    const observed = await observe(request);
    const fw = observed.state.namespaces[HOST_NS]?.firewall?.tables.filter;
    expect(fw?.jumps).toEqual({ FORWARD: [JUMP_FORWARD] });
    // Re-apply the filter table with one more rule: the owned chain is refilled, the jump re-inserted.
    const rules = [...FORWARD_RULES.slice(0, -1), '-s 10.77.0.9/32 -j DROP', '-j WIRESTATE-USER'];
    const report = await apply(
      {
        changes: [
          { action: 'update', kind: 'chain', namespace: HOST_NS, name: 'filter/WIRESTATE-FORWARD', table: 'filter', chain: 'WIRESTATE-FORWARD', rules, previous: FORWARD_RULES, detail: [] },
          { action: 'update', kind: 'jumps', namespace: HOST_NS, name: 'filter/FORWARD', table: 'filter', chain: 'FORWARD', rules: [JUMP_FORWARD], previous: [JUMP_FORWARD], detail: [] },
        ],
      },
      { hostNetns: H },
    );
    expect(report.spawns).toBe(2);

    const after = await observe(request);
    const host = after.state.namespaces[HOST_NS];
    expect(Object.keys(host?.links ?? {})).toEqual(['wst-br', 'wsv-e1', 'wsv-e2']);
    expect(after.facts.foreignLinks).toEqual(expect.arrayContaining(['lo', 'fz0', 'fz1']));
    expect(after.facts.foreignRoutes).toEqual(['192.0.2.0/24']);
    expect(host?.firewall?.tables.filter).toEqual({ chains: { 'WIRESTATE-FORWARD': rules, 'WIRESTATE-USER': null }, jumps: { FORWARD: [JUMP_FORWARD] } });

    const save = await inHost('iptables-save', ['-t', 'filter']);
    const forward = save.split('\n').filter((l) => l.startsWith('-A FORWARD '));
    expect(forward).toEqual([`-A FORWARD ${JUMP_FORWARD}`, '-A FORWARD -s 192.0.2.1/32 -j ACCEPT']);
    expect(save).toContain('-A WIRESTATE-USER -s 192.0.2.9/32 -j DROP');
  });

  it('reports a failing batch line against its change and still makes the others', async () => {
    const bad: Change = { action: 'create', kind: 'address', namespace: HOST_NS, name: '10.77.0.50/24 dev nosuch', desired: { dev: 'nosuch', cidr: '10.77.0.50/24' } };
    const good: Change[] = [
      { action: 'create', kind: 'address', namespace: HOST_NS, name: '10.77.0.51/24 dev wst-br', desired: { dev: 'wst-br', cidr: '10.77.0.51/24' } },
      { action: 'create', kind: 'route', namespace: E1, name: '10.99.0.0/24 dev eth0', desired: { dst: '10.99.0.0/24', dev: 'eth0', via: '10.77.0.1' } },
    ];
    const err = await apply({ changes: [good[0] as Change, bad, good[1] as Change] }, { hostNetns: H }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const e = err as ApplyError;
    expect(e.failed).toEqual([{ change: bad, error: 'Cannot find device "nosuch"' }]);
    expect(e.done).toEqual(good);
    expect(e.notRun).toEqual([]);
    expect(e.message).toContain('failed: create address 10.77.0.50/24 dev nosuch in @host: Cannot find device "nosuch"');

    const after = await observe(request);
    expect(after.state.namespaces[HOST_NS]?.addresses).toHaveProperty(['10.77.0.51/24 dev wst-br']);
    expect(after.state.namespaces[E1]?.routes).toHaveProperty(['10.99.0.0/24 dev eth0']);
  });

  it('attempts nothing inside a namespace it could not create', async () => {
    const create: Change = { action: 'create', kind: 'namespace', namespace: E1, name: E1, desired: endpoint(E1, 'e1', 2) };
    const inside: Change = { action: 'create', kind: 'address', namespace: E1, name: '10.77.0.60/24 dev eth0', desired: { dev: 'eth0', cidr: '10.77.0.60/24' } };
    const e = (await apply({ changes: [create, inside] }, { hostNetns: H }).catch((x: unknown) => x)) as ApplyError;
    expect(e).toBeInstanceOf(ApplyError);
    expect(e.failed).toEqual([{ change: create, error: expect.stringContaining('File exists') }]);
    expect(e.notRun).toEqual([inside]);
  });

  it('deletes: a namespace, a veth pair from one end, owned chains and jumps', async () => {
    const observed = (await observe(request)).state;
    const host = observed.namespaces[HOST_NS] as NamespaceState;
    const e1 = observed.namespaces[E1] as NamespaceState;
    const report = await apply(
      {
        changes: [
          { action: 'delete', kind: 'namespace', namespace: E2, name: E2, observed: observed.namespaces[E2] },
          { action: 'delete', kind: 'link', namespace: HOST_NS, name: 'wsv-e1', observed: host.links['wsv-e1'] },
          // Gone with its peer already: counts as done.
          { action: 'delete', kind: 'link', namespace: E1, name: 'eth0', observed: e1.links.eth0 },
          { action: 'delete', kind: 'jumps', namespace: HOST_NS, name: 'nat/POSTROUTING', table: 'nat', chain: 'POSTROUTING', rules: [], previous: [JUMP_POSTROUTING], detail: [] },
          { action: 'delete', kind: 'chain', namespace: HOST_NS, name: 'nat/WIRESTATE-POSTROUTING', table: 'nat', chain: 'WIRESTATE-POSTROUTING', detail: [] },
        ],
      },
      { hostNetns: H },
    );
    expect(report.applied).toHaveLength(5);

    const after = (await observe(request)).state;
    expect(Object.keys(after.namespaces)).toEqual([HOST_NS, E1]);
    expect(Object.keys(after.namespaces[E1]?.links ?? {})).toEqual(['lo']);
    expect(Object.keys(after.namespaces[HOST_NS]?.links ?? {})).toEqual(['wst-br']);
    expect(after.namespaces[HOST_NS]?.firewall?.tables.nat).toEqual({ chains: {}, jumps: {} });
  });

  it('works in an endpoint namespace given as a path that someone else created', async () => {
    const name = testNetns('p');
    await makeNetns(name);
    const path = `/run/netns/${name}`;
    const eth0: Link = { name: 'eth0', kind: 'veth', alias: 'wirestate endpoint p1 network n1', mtu: 1500, mac: '02:42:0a:4d:00:09', up: true, ipv6: false };
    const want: NamespaceState = { netns: path, endpoint: 'p1', owned: false, links: { eth0 }, addresses: { '10.77.0.9/24 dev eth0': { dev: 'eth0', cidr: '10.77.0.9/24' } }, routes: {}, sysctls: {} };
    const changes: Change[] = [
      { action: 'create', kind: 'link', namespace: HOST_NS, name: 'wsv-p1', desired: hostVeth('p1', path, 9) },
      { action: 'create', kind: 'link', namespace: path, name: 'eth0', desired: eth0 },
      { action: 'create', kind: 'address', namespace: path, name: '10.77.0.9/24 dev eth0', desired: { dev: 'eth0', cidr: '10.77.0.9/24' } },
    ];
    await apply({ changes }, { hostNetns: H });

    const observed = await observe({ ...request, namespaces: [path], ownedPrefix: '' });
    expect(observed.state.namespaces[path]).toEqual(want);
    expect(await ping(path, '10.77.0.1')).toBe(0);
  });

  it('names the package of a tool missing inside a namespace', async () => {
    await expect(run('iptables-restore-not-here', [], { netns: H })).rejects.toThrow(MissingToolError);
  });

  it('left the namespace the tests run in as it was', async () => {
    expect(await ownNamespace()).toBe(ownBefore);
  });
});

describe('run and mapPool without a kernel', () => {
  it('MissingToolError says what to install', async () => {
    await expect(run('iptables-restore-not-here', [])).rejects.toThrow('iptables-restore-not-here is not installed: apt-get install iptables');
  });

  it('mapPool keeps order and the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapPool([5, 1, 4, 2, 3], 2, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
