import { describe, expect, it } from 'vitest';
import type { HostState } from '../../src/model/state.js';
import { HOST_NS } from '../../src/model/state.js';
import { compile } from '../../src/reconcile/compile.js';
import { driftReport } from '../../src/reconcile/drift.js';
import { plan } from '../../src/reconcile/plan.js';
import { hostVethName } from '../../src/reconcile/names.js';
import { ctx, spec } from './fixtures.js';

const settings = { defaultBridge: { enabled: false } };
const endpoints = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`e${String(i).padStart(3, '0')}`, { networks: { net: {} } }]));
const big = (n: number) => spec({ networks: { net: { subnet: '10.50.0.0/16' } }, endpoints: endpoints(n), settings });
const empty: HostState = { namespaces: { [HOST_NS]: { netns: 'h1', owned: false, links: {}, addresses: {}, routes: {}, sysctls: {}, firewall: { tables: { filter: { chains: {}, jumps: {} }, nat: { chains: {}, jumps: {} }, raw: { chains: {}, jumps: {} } } } } } };
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
/** What observe would report after a perfect apply: the same model minus creation-only fields. */
function asObserved(s: HostState): HostState {
  const o = clone(s);
  for (const ns of Object.values(o.namespaces)) for (const l of Object.values(ns.links)) delete l.peer;
  return o;
}

describe('plan', () => {
  it('is empty when the kernel matches', () => {
    const { desired } = compile(big(3), ctx());
    expect(plan(desired, asObserved(desired)).changes).toEqual([]);
  });

  it('orders a cold start by dependency: namespaces, host links (bridges first), endpoint links, addresses, routes, sysctls, firewall, files, the DNS service last', () => {
    const { desired } = compile(big(1), ctx());
    const order = plan(desired, empty).changes.map((c) => `${c.action} ${c.kind} ${c.name}`);
    expect(order).toEqual([
      'create namespace h1-e000',
      'create link ws-net',
      `create link ${hostVethName('e000', 'net')}`,
      'create address 10.50.0.1/16 dev ws-net',
      'update sysctl net.ipv4.ip_forward',
      'create chain raw/WIRESTATE-PREROUTING',
      'create jumps raw/PREROUTING',
      'create chain nat/WIRESTATE-POSTROUTING',
      'create jumps nat/POSTROUTING',
      'create chain filter/WIRESTATE-BRIDGE',
      'create chain filter/WIRESTATE-CT',
      'create chain filter/WIRESTATE-FORWARD',
      'create chain filter/WIRESTATE-INBOUND',
      'create chain filter/WIRESTATE-INTERNAL',
      'create chain filter/WIRESTATE-USER',
      'create jumps filter/FORWARD',
      'create file /run/wirestate/netns-h1/dns/records',
      'create link eth0',
      'create link lo',
      'create address 10.50.0.2/16 dev eth0',
      'create route default dev eth0',
      'create file /etc/netns/h1-e000/hosts',
      'create file /etc/netns/h1-e000/resolv.conf',
      'create service dns',
    ]);
  });

  it('plans only the new endpoint when one is added to a hundred', () => {
    const before = compile(big(100), ctx());
    const after = compile(big(101), ctx({}, before.allocations));
    const changes = plan(after.desired, asObserved(before.desired)).changes;
    expect(changes.map((c) => c.namespace).filter((n) => n !== HOST_NS).every((n) => n === 'h1-e100')).toBe(true);
    // On the host: its veth, and the DNS records (which now name it) with the service that serves them.
    expect(changes.filter((c) => c.namespace === HOST_NS).map((c) => c.name)).toEqual([hostVethName('e100', 'net'), '/run/wirestate/netns-h1/dns/records', 'dns']);
    expect(changes).toHaveLength(10);
  });

  it('deletes an owned namespace as one change and leaves its contents to the kernel', () => {
    const before = compile(big(2), ctx());
    const after = compile(big(1), ctx({}, before.allocations));
    const changes = plan(after.desired, asObserved(before.desired)).changes.map((c) => `${c.action} ${c.kind} ${c.name}`);
    expect(changes).toEqual([
      'delete namespace h1-e001',
      `delete link ${hostVethName('e001', 'net')}`,
      'update file /run/wirestate/netns-h1/dns/records',
      // /etc/netns/<name>/ is outside the namespace: its files do not go with it.
      'delete file /etc/netns/h1-e001/hosts',
      'delete file /etc/netns/h1-e001/resolv.conf',
      'update service dns',
    ]);
  });

  it('disconnecting one network deletes only that veth (once) and leaves the other interface alone', () => {
    const two = spec({ networks: { a: { subnet: '10.1.0.0/24' }, b: { subnet: '10.2.0.0/24' } }, endpoints: { e: { networks: { a: {}, b: {} } } }, settings });
    const one = spec({ networks: { a: { subnet: '10.1.0.0/24' }, b: { subnet: '10.2.0.0/24' } }, endpoints: { e: { networks: { a: {} } } }, settings });
    const before = compile(two, ctx());
    const after = compile(one, ctx({}, before.allocations));
    const changes = plan(after.desired, asObserved(before.desired)).changes.map((c) => `${c.action} ${c.kind} ${c.name}`);
    expect(changes).toEqual([`delete link ${hostVethName('e', 'b')}`, 'update file /run/wirestate/netns-h1/dns/records', 'update file /etc/netns/h1-e/hosts', 'update service dns']);
  });

  it('rewrites a chain whose rules were flushed by hand, showing the missing rules', () => {
    const { desired } = compile(big(1), ctx());
    const observed = asObserved(desired);
    observed.namespaces[HOST_NS].firewall!.tables.filter!.chains['WIRESTATE-FORWARD'] = [];
    const [c] = plan(desired, observed).changes;
    expect(c).toMatchObject({ action: 'update', kind: 'chain', name: 'filter/WIRESTATE-FORWARD' });
    expect(c.kind === 'chain' && c.detail).toEqual(['+ -j WIRESTATE-CT', '+ -j WIRESTATE-INTERNAL', '+ -j WIRESTATE-BRIDGE', '+ -i ws-net -j ACCEPT']);
  });

  it('never plans changes to the rules of the user chain', () => {
    const { desired } = compile(big(1), ctx());
    const observed = asObserved(desired);
    observed.namespaces[HOST_NS].firewall!.tables.filter!.chains['WIRESTATE-USER'] = null;
    expect(plan(desired, observed).changes).toEqual([]);
  });

  it('replaces the host end of a pair whose endpoint end vanished', () => {
    const { desired } = compile(big(1), ctx());
    const observed = asObserved(desired);
    delete observed.namespaces['h1-e000'].links.eth0;
    const changes = plan(desired, observed).changes.map((c) => `${c.action} ${c.kind} ${c.name}${c.kind === 'link' && c.replace ? ' (replace)' : ''}`);
    expect(changes).toEqual([`update link ${hostVethName('e000', 'net')} (replace)`, 'create link eth0']);
  });

  it('for a foreign namespace, removes only wirestate links and never the namespace', () => {
    const s = spec({ networks: { n: { subnet: '10.3.0.0/24' } }, endpoints: { vm: { netns: 'user-ns', networks: { n: {} } } }, settings });
    const before = compile(s, ctx());
    const after = compile(spec({ networks: { n: { subnet: '10.3.0.0/24' } }, settings }), ctx({}, before.allocations));
    const changes = plan(after.desired, asObserved(before.desired)).changes.map((c) => `${c.action} ${c.kind} ${c.name} [${c.namespace}]`);
    expect(changes).toEqual([
      `delete link ${hostVethName('vm', 'n')} [@host]`,
      'delete file /run/wirestate/netns-h1/dns/records [@host]',
      'delete file /etc/netns/user-ns/hosts [user-ns]',
      'delete file /etc/netns/user-ns/resolv.conf [user-ns]',
      'delete service dns [@host]',
    ]);
  });
});

describe('drift report', () => {
  it('is in sync with no changes', () => {
    const { desired } = compile(big(1), ctx());
    expect(driftReport(plan(desired, asObserved(desired)))).toEqual({ inSync: true, items: [] });
  });

  it('reports a changed link with test+replace operations from observed to desired', () => {
    const { desired } = compile(big(1), ctx());
    const observed = asObserved(desired);
    observed.namespaces[HOST_NS].links['ws-net'].mtu = 1400;
    observed.namespaces[HOST_NS].links['ws-net'].up = false;
    // The kernel chose this MAC and the spec does not set one: not drift, not in the patch.
    observed.namespaces[HOST_NS].links['ws-net'].mac = '02:00:00:00:00:01';
    expect(driftReport(plan(desired, observed)).items).toEqual([
      {
        kind: 'link',
        name: 'ws-net',
        namespace: HOST_NS,
        status: 'changed',
        patch: [
          { op: 'test', path: '/namespaces/@host/links/ws-net/mtu', value: 1400 },
          { op: 'test', path: '/namespaces/@host/links/ws-net/up', value: false },
          { op: 'replace', path: '/namespaces/@host/links/ws-net/mtu', value: 1500 },
          { op: 'replace', path: '/namespaces/@host/links/ws-net/up', value: true },
        ],
      },
    ]);
  });

  it('reports a missing veth and an extra address', () => {
    const { desired } = compile(big(1), ctx());
    const observed = asObserved(desired);
    const veth = hostVethName('e000', 'net');
    delete observed.namespaces[HOST_NS].links[veth];
    observed.namespaces[HOST_NS].addresses['10.50.9.9/16 dev ws-net'] = { dev: 'ws-net', cidr: '10.50.9.9/16' };
    const items = driftReport(plan(desired, observed)).items;
    expect(items.map((i) => [i.status, i.name])).toEqual([
      ['extra', '10.50.9.9/16 dev ws-net'],
      ['missing', veth],
    ]);
    expect(items[0].patch).toEqual([
      { op: 'test', path: '/namespaces/@host/addresses/10.50.9.9~116 dev ws-net', value: { dev: 'ws-net', cidr: '10.50.9.9/16' } },
      { op: 'remove', path: '/namespaces/@host/addresses/10.50.9.9~116 dev ws-net' },
    ]);
    expect(items[1].patch[0]).toMatchObject({ op: 'add', path: `/namespaces/@host/links/${veth}` });
  });
});
