// compile for macvlan networks: parents (found, made, or a stand-in), endpoints' links and routes.
import { describe, expect, it } from 'vitest';
import { HOST_NS } from '../../src/model/state.js';
import { allocationsFromObserved } from '../../src/reconcile/allocations.js';
import { compile } from '../../src/reconcile/compile.js';
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
