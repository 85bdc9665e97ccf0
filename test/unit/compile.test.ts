import { describe, expect, it } from 'vitest';
import { HOST_NS } from '../../src/model/state.js';
import { compile } from '../../src/reconcile/compile.js';
import { hostVethName } from '../../src/reconcile/names.js';
import { ctx, spec } from './fixtures.js';

const twoNets = spec({
  networks: { frontend: { subnet: '10.10.0.0/24' }, backend: { subnet: '10.20.0.0/24', internal: true } },
  endpoints: { web: { networks: { frontend: {} } }, api: { networks: { frontend: {}, backend: { ipv4: '10.20.0.10' } } } },
  settings: { defaultBridge: { enabled: false } },
});

describe('compile: bridge networks', () => {
  it('makes a bridge per network holding the gateway address, IPv6 off', () => {
    const { desired } = compile(twoNets, ctx());
    const host = desired.namespaces[HOST_NS];
    expect(host.links['ws-frontend']).toEqual({ name: 'ws-frontend', kind: 'bridge', alias: 'wirestate network frontend', mtu: 1500, up: true, ipv6: false });
    expect(Object.keys(host.addresses).sort()).toEqual(['10.10.0.1/24 dev ws-frontend', '10.20.0.1/24 dev ws-backend']);
  });

  it('names interfaces eth0… in lexical order of networks and routes through the first non-internal one', () => {
    const { desired } = compile(twoNets, ctx());
    const api = desired.namespaces['h1-api'];
    expect(api.owned).toBe(true);
    expect(api.links.eth0.alias).toBe('wirestate endpoint api network backend');
    expect(api.links.eth1.alias).toBe('wirestate endpoint api network frontend');
    expect(Object.values(api.routes)).toEqual([{ dst: 'default', dev: 'eth1', via: '10.10.0.1' }]);
    expect(api.addresses['10.20.0.10/24 dev eth0']).toBeDefined();
    expect(api.links.lo).toEqual({ name: 'lo', kind: 'loopback', alias: 'wirestate netns api', up: true });
  });

  it('gives static addresses first and the lowest free address to the rest, with a MAC derived from it', () => {
    const { desired, allocations } = compile(twoNets, ctx());
    expect(allocations.addresses).toEqual({ 'api/frontend': '10.10.0.2', 'web/frontend': '10.10.0.3', 'api/backend': '10.20.0.10' });
    expect(desired.namespaces['h1-web'].links.eth0.mac).toBe('02:42:0a:0a:00:03');
  });

  it('connects the host end of each veth to its bridge and points at the endpoint end', () => {
    const { desired } = compile(twoNets, ctx());
    const veth = desired.namespaces[HOST_NS].links[hostVethName('web', 'frontend')];
    expect(veth).toMatchObject({ kind: 'veth', master: 'ws-frontend', peer: { netns: 'h1-web', name: 'eth0' }, ipv6: false });
  });

  it('takes com.docker.network options where fields are absent, and fields over options', () => {
    const s = spec({
      networks: {
        a: { subnet: '10.1.0.0/24', options: { 'com.docker.network.bridge.name': 'br-a', 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.enable_icc': 'false' } },
        b: { subnet: '10.2.0.0/24', mtu: 9000, options: { 'com.docker.network.driver.mtu': '1400' } },
      },
      settings: { defaultBridge: { enabled: false } },
    });
    const { desired } = compile(s, ctx());
    const host = desired.namespaces[HOST_NS];
    expect(host.links['br-a'].mtu).toBe(1400);
    expect(host.links['ws-b'].mtu).toBe(9000);
    expect(host.firewall?.tables.filter?.chains['WIRESTATE-FORWARD']).toContain('-i br-a -o br-a -j DROP');
    expect(host.sysctls['net.bridge.bridge-nf-call-iptables']).toBe('1');
  });

  it('builds the default bridge with Docker defaults and puts endpoints without networks on it', () => {
    const { desired } = compile(spec({ endpoints: { solo: {} } }), ctx());
    expect(desired.namespaces[HOST_NS].addresses['172.17.0.1/16 dev wirestate0']).toBeDefined();
    expect(desired.namespaces['h1-solo'].addresses['172.17.0.2/16 dev eth0']).toBeDefined();
  });

  it('gives a `none` endpoint loopback only and a `host` endpoint nothing', () => {
    const { desired } = compile(spec({ endpoints: { iso: { networks: { none: {} } }, hst: { networks: { host: {} } } } }), ctx());
    expect(Object.keys(desired.namespaces['h1-iso'].links)).toEqual(['lo']);
    expect(desired.namespaces['h1-hst']).toBeUndefined();
  });

  it('uses an existing namespace named by the user without owning it', () => {
    const { desired } = compile(spec({ endpoints: { vm: { netns: 'vm-ns', networks: { bridge: {} } } } }), ctx());
    expect(desired.namespaces['vm-ns']).toMatchObject({ owned: false, endpoint: 'vm' });
    expect(desired.namespaces['vm-ns'].links.lo).toBeUndefined();
  });

  it('names endpoint namespaces after the current namespace when there is no --netns', () => {
    const { desired } = compile(spec({ endpoints: { a: {} } }), ctx({ hostNetns: null }));
    expect(Object.keys(desired.namespaces)).toContain('wirestate-a');
  });

  it('runs only the endpoints of this --host', () => {
    const s = spec({ endpoints: { a: { host: 'h-a' }, b: { host: 'h-b' }, c: {} } });
    expect(Object.keys(compile(s, ctx({ hostName: 'h-a' })).desired.namespaces)).toEqual([HOST_NS, 'h1-a']);
    expect(Object.keys(compile(s, ctx()).desired.namespaces)).toEqual([HOST_NS, 'h1-c']);
  });
});

describe('compile: subnets and conflicts', () => {
  it('allocates subnets from the default pools, skipping the default bridge and routed prefixes', () => {
    const s = spec({ networks: { x: {}, y: {} } });
    const { allocations } = compile(s, ctx({ facts: { foreignLinks: [], foreignRoutes: ['172.18.0.0/16'], netnsNames: [] } }));
    expect(allocations.subnets).toEqual({ x: '172.19.0.0/16', y: '172.20.0.0/16' });
  });

  it('honours settings.defaultAddressPools', () => {
    const s = spec({ networks: { x: {}, y: {} }, settings: { defaultAddressPools: [{ base: '10.99.0.0/16', size: 24 }] } });
    expect(compile(s, ctx()).allocations.subnets).toEqual({ x: '10.99.0.0/24', y: '10.99.1.0/24' });
  });

  it('reports an exhausted pool', () => {
    const s = spec({ networks: { x: {}, y: {} }, settings: { defaultAddressPools: [{ base: '10.99.0.0/24', size: 24 }], defaultBridge: { enabled: false } } });
    expect(compile(s, ctx()).errors).toEqual([{ path: 'networks.y', message: 'no free subnet left in settings.defaultAddressPools; set a subnet or add a pool' }]);
  });

  it('refuses a bridge name that a foreign link already has', () => {
    const s = spec({ networks: { x: { subnet: '10.5.0.0/24', bridge: 'br0' } } });
    expect(compile(s, ctx({ facts: { foreignLinks: ['br0'], foreignRoutes: [], netnsNames: [] } })).errors).toEqual([
      { path: 'networks.x', message: 'bridge name "br0" is already used by a link wirestate does not own' },
    ]);
  });

  it('refuses a declared subnet already routed by someone else', () => {
    const s = spec({ networks: { x: { subnet: '10.5.0.0/24' } }, settings: { defaultBridge: { enabled: false } } });
    expect(compile(s, ctx({ facts: { foreignLinks: [], foreignRoutes: ['10.5.0.0/16'], netnsNames: [] } })).errors).toEqual([
      { path: 'networks.x.subnet', message: '10.5.0.0/24 overlaps 10.5.0.0/16, already routed on the host by something wirestate does not own' },
    ]);
  });

  it('reports a full subnet', () => {
    const s = spec({ networks: { x: { subnet: '10.5.0.0/30' } }, endpoints: { a: { networks: { x: {} } }, b: { networks: { x: {} } } }, settings: { defaultBridge: { enabled: false } } });
    expect(compile(s, ctx()).errors).toEqual([{ path: 'endpoints.b.networks.x', message: 'no free address left in 10.5.0.0/30' }]);
  });
});

describe('compile: firewall', () => {
  it('builds Docker-shaped isolation in wirestate chains, the user chain first', () => {
    const { desired } = compile(twoNets, ctx());
    const fw = desired.namespaces[HOST_NS].firewall!;
    expect(fw.tables.filter?.jumps).toEqual({ FORWARD: ['-m comment --comment wirestate -j WIRESTATE-USER', '-m comment --comment wirestate -j WIRESTATE-FORWARD'] });
    expect(fw.tables.filter?.chains).toEqual({
      'WIRESTATE-USER': null,
      'WIRESTATE-FORWARD': ['-j WIRESTATE-CT', '-j WIRESTATE-INTERNAL', '-j WIRESTATE-BRIDGE', '-i ws-backend -o ws-backend -j ACCEPT', '-i ws-frontend -j ACCEPT'],
      'WIRESTATE-CT': ['-o ws-frontend -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'],
      'WIRESTATE-INTERNAL': ['! -s 10.20.0.0/24 -o ws-backend -j DROP', '! -d 10.20.0.0/24 -i ws-backend -j DROP'],
      'WIRESTATE-BRIDGE': ['-o ws-frontend -j WIRESTATE-INBOUND'],
      'WIRESTATE-INBOUND': ['! -i ws-frontend -o ws-frontend -j DROP'],
    });
    expect(fw.tables.nat?.chains).toEqual({ 'WIRESTATE-POSTROUTING': ['-s 10.10.0.0/24 ! -o ws-frontend -j MASQUERADE'] });
    expect(desired.namespaces[HOST_NS].sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
  });

  it('leaves masquerade out when the network asks', () => {
    const s = spec({ networks: { x: { subnet: '10.5.0.0/24', masquerade: false } }, settings: { defaultBridge: { enabled: false } } });
    expect(compile(s, ctx()).desired.namespaces[HOST_NS].firewall?.tables.nat?.chains['WIRESTATE-POSTROUTING']).toEqual([]);
  });

  it('writes no firewall at all with settings.iptables: false', () => {
    const s = spec({ networks: { x: { subnet: '10.5.0.0/24' } }, settings: { iptables: false } });
    const host = compile(s, ctx()).desired.namespaces[HOST_NS];
    expect(host.firewall).toBeUndefined();
    expect(host.sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
  });
});
