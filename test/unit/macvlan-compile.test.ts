// compile for macvlan networks: parents (found, made, or a stand-in), endpoints' links and routes;
// and what a plan does when a network's parent or mode changes.
import { describe, expect, it } from 'vitest';
import { macvlanTempName, renderHostSide, renderIpChange } from '../../src/apply/render-ip.js';
import { HOST_NS } from '../../src/model/state.js';
import { allocationsFromObserved } from '../../src/reconcile/allocations.js';
import { compile } from '../../src/reconcile/compile.js';
import { driftReport } from '../../src/reconcile/drift.js';
import { plan } from '../../src/reconcile/plan.js';
import type { NetworkSpec } from '../../src/spec/types.js';
import { ctx, noFacts, spec } from './fixtures.js';

const withNetwork = (lan: NetworkSpec, endpoints: Record<string, { networks: Record<string, { ipv4?: string }> }> = { m1: { networks: { lan: {} } } }) =>
  compile(spec({ networks: { lan }, endpoints, settings: { defaultBridge: { enabled: false } } }), ctx({ facts: { ...noFacts(), foreignLinks: ['eth0'] } }));

describe('macvlan networks', () => {
  it("puts the endpoint's ethN on the parent, in the network's mode, routed through its gateway", () => {
    const { desired, errors, allocations } = withNetwork({ driver: 'macvlan', parent: 'eth0', subnet: '192.168.1.0/24', mode: 'vepa' });
    expect(errors).toEqual([]);
    // The parent is the host's own: nothing to make there.
    expect(desired.namespaces[HOST_NS].links).toEqual({});
    const ns = desired.namespaces['h1-m1'];
    expect(ns.links.eth0).toEqual({
      name: 'eth0',
      kind: 'macvlan',
      alias: 'wirestate endpoint m1 network lan',
      mac: '02:42:c0:a8:01:02',
      up: true,
      ipv6: false,
      macvlan: { mode: 'vepa' },
      parent: 'eth0',
    });
    expect(allocations.addresses).toEqual({ 'm1/lan': '192.168.1.2' });
    expect(Object.values(ns.routes)).toEqual([{ dst: 'default', dev: 'eth0', via: '192.168.1.1' }]);
  });

  it('takes the MTU only when the network sets one (else the parent’s), and bridge mode by default', () => {
    const { desired } = withNetwork({ driver: 'macvlan', parent: 'eth0', subnet: '192.168.1.0/24', mtu: 1400 });
    expect(desired.namespaces['h1-m1'].links.eth0).toMatchObject({ mtu: 1400, macvlan: { mode: 'bridge' } });
    expect(withNetwork({ driver: 'macvlan', parent: 'eth0', subnet: '192.168.1.0/24' }).desired.namespaces['h1-m1'].links.eth0.mtu).toBeUndefined();
  });

  it('makes a missing 802.1Q parent of an existing link, and owns it', () => {
    const { desired, errors } = withNetwork({ driver: 'macvlan', parent: 'eth0.10', subnet: '192.168.10.0/24' });
    expect(errors).toEqual([]);
    expect(desired.namespaces[HOST_NS].links['eth0.10']).toEqual({ name: 'eth0.10', kind: 'vlan', alias: 'wirestate network lan parent', up: true, ipv6: false, vlan: { id: 10 }, parent: 'eth0' });
  });

  it('says which parent the host lacks', () => {
    expect(withNetwork({ driver: 'macvlan', parent: 'eth9', subnet: '192.168.1.0/24' }).errors).toEqual([{ path: 'networks.lan.parent', message: 'this host has no link "eth9"' }]);
    expect(withNetwork({ driver: 'macvlan', parent: 'eth9.10', subnet: '192.168.1.0/24' }).errors).toEqual([
      { path: 'networks.lan.parent', message: '"eth9.10" would be a VLAN of "eth9", and this host has no link "eth9"' },
    ]);
  });

  it('gives a network without a parent a stand-in one and no way out', () => {
    const { desired } = withNetwork({ driver: 'macvlan', subnet: '10.78.0.0/24' }, { m1: { networks: { lan: {} } }, m2: { networks: { lan: { ipv4: '10.78.0.9' } } } });
    const standIn = Object.values(desired.namespaces[HOST_NS].links);
    expect(standIn).toEqual([{ name: expect.stringMatching(/^wsmv[0-9a-f]{8}$/), kind: 'bridge', alias: 'wirestate network lan parent', up: true, ipv6: false }]);
    expect(desired.namespaces['h1-m1'].links.eth0.parent).toBe(standIn[0].name);
    expect(desired.namespaces['h1-m1'].routes).toEqual({});
    expect(desired.namespaces['h1-m2'].addresses['10.78.0.9/24 dev eth0']).toBeDefined();
  });

  it('finds its addresses again in the kernel when the state file is lost', () => {
    const { desired } = withNetwork({ driver: 'macvlan', parent: 'eth0', subnet: '192.168.1.0/24' });
    expect(allocationsFromObserved(desired).addresses).toEqual({ 'm1/lan': '192.168.1.2' });
  });
});

describe('a macvlan network whose parent changes', () => {
  const lan = (parent: string): NetworkSpec => ({ driver: 'macvlan', parent, subnet: '192.168.1.0/24' });
  const compileOn = (parent: string) =>
    compile(spec({ networks: { lan: lan(parent) }, endpoints: { m1: { networks: { lan: {} } } }, settings: { defaultBridge: { enabled: false } } }), ctx({ facts: { ...noFacts(), foreignLinks: ['eth0', 'eth1'] } }));
  // What observe reads back after the endpoint was made on eth0: the same model (a macvlan has no peer to drop).
  const onEth0 = () => structuredClone(compileOn('eth0').desired);

  it('replaces the endpoint link on the new parent and makes its address and route again, in that order', () => {
    const changes = plan(compileOn('eth1').desired, onEth0()).changes.filter((c) => c.namespace === 'h1-m1');
    expect(changes.map((c) => `${c.action} ${c.kind} ${c.name}${c.kind === 'link' && c.replace ? ' (replace)' : ''}`)).toEqual([
      'update link eth0 (replace)',
      'create address 192.168.1.2/24 dev eth0',
      'create route default dev eth0',
    ]);
    const [link] = changes;
    // The host makes it on eth1 and moves it in; the endpoint's batch swaps it for the old one.
    expect(link.kind === 'link' && renderHostSide(link, (n) => n)).toEqual([`link add link eth1 name ${macvlanTempName('h1-m1', 'eth0')} netns h1-m1 type macvlan mode bridge`]);
    expect(link.kind === 'link' && renderIpChange(link, (n) => n)[0]).toBe('link del eth0');
  });

  it('lets an address the link should not have go with the old link, not deleted first', () => {
    const observed = onEth0();
    observed.namespaces['h1-m1'].addresses['192.168.1.99/24 dev eth0'] = { dev: 'eth0', cidr: '192.168.1.99/24' };
    expect(plan(compileOn('eth1').desired, observed).changes.filter((c) => c.kind === 'address' && c.action === 'delete')).toEqual([]);
  });

  it('is drift that names both parents', () => {
    const item = driftReport(plan(compileOn('eth1').desired, onEth0())).items.find((i) => i.kind === 'link');
    expect(item?.patch).toEqual([
      { op: 'test', path: '/namespaces/h1-m1/links/eth0/parent', value: 'eth0' },
      { op: 'replace', path: '/namespaces/h1-m1/links/eth0/parent', value: 'eth1' },
    ]);
  });

  it('changes a mode in place: the kernel can, and the address stays', () => {
    const observed = onEth0();
    observed.namespaces['h1-m1'].links.eth0.macvlan = { mode: 'private' };
    const changes = plan(compileOn('eth0').desired, observed).changes;
    expect(changes.map((c) => `${c.action} ${c.kind} ${c.name}${c.kind === 'link' && c.replace ? ' (replace)' : ''}`)).toEqual(['update link eth0']);
  });
});
