// `network ls` / `network inspect` views of overlay and macvlan networks, from observed states
// written out by hand: what the kernel shows of them is all the views may use.
import { describe, expect, it } from 'vitest';
import { type NetworkView, networkViews } from '../../src/cli/output/network-view.js';
import { type Address, type FdbEntry, HOST_NS, type HostState, type Link, type NamespaceState, type Route, addressKey, emptyNamespace, fdbKey, routeKey } from '../../src/model/state.js';
import { bridgeLink as bridge, vxlanLink as vxlan } from './fixtures/links.js';

const byKey = <T>(xs: T[], key: (x: T) => string): Record<string, T> => Object.fromEntries(xs.map((x) => [key(x), x]));

function namespace(netns: string | null, endpoint: string | undefined, links: Link[], addresses: [string, string][] = [], gateway?: [string, string]): NamespaceState {
  const ns = emptyNamespace(netns, endpoint !== undefined, endpoint);
  ns.links = byKey(links, (l) => l.name);
  ns.addresses = byKey(
    addresses.map(([dev, cidr]): Address => ({ dev, cidr })),
    addressKey,
  );
  const routes: Route[] = gateway ? [{ dst: 'default', dev: gateway[0], via: gateway[1] }] : [];
  ns.routes = byKey(routes, routeKey);
  return ns;
}

const veth = (name: string, endpoint: string, network: string, mac: string): Link => ({ name, kind: 'veth', alias: `wirestate endpoint ${endpoint} network ${network}`, mac, up: true, ipv6: false });
const macvlan = (name: string, endpoint: string, network: string, parent: string, mode: 'bridge' | 'private', mac: string): Link => ({
  name,
  kind: 'macvlan',
  alias: `wirestate endpoint ${endpoint} network ${network}`,
  mac,
  up: true,
  ipv6: false,
  macvlan: { mode },
  parent,
});
const fdb = (dev: string, mac: string, dst: string): FdbEntry => ({ dev, mac, dst });

const view = (views: NetworkView[], name: string): NetworkView => {
  const v = views.find((x) => x.Name === name);
  if (!v) throw new Error(`no view of ${name} among ${views.map((x) => x.Name).join(', ')}`);
  return v;
};
const names = (v: NetworkView) => Object.values(v.Containers).map((c) => c.Name);

// Host a (192.0.2.11) of hosts a, b (192.0.2.12) and c (192.0.2.13).
//   front (VNI 4096): web here, out through the gateway bridge; two endpoints on b, one on c
//   back (VNI 7000, internal): job here, no way out; one endpoint on c
//   cache (VNI 4097): api here, on front too and out through the gateway bridge (which of the two
//       is its way out the kernel does not say); no other host has an endpoint
//   store (VNI 4098, internal): db here, on the bridge network zeta too and out through it
//   audit (VNI 4099): ops here, on the bridge network aa too and out through it (audit may or may not be internal)
function overlayHost(): HostState {
  const host = namespace(
    null,
    undefined,
    [
      bridge('ws-front', 'front'),
      vxlan('wsvx001000', 'front', 4096, 'ws-front'),
      bridge('ws-back', 'back'),
      vxlan('wsvx001b58', 'back', 7000, 'ws-back'),
      bridge('ws-cache', 'cache'),
      vxlan('wsvx001001', 'cache', 4097, 'ws-cache'),
      bridge('ws-store', 'store'),
      vxlan('wsvx001002', 'store', 4098, 'ws-store'),
      bridge('ws-audit', 'audit'),
      vxlan('wsvx001003', 'audit', 4099, 'ws-audit'),
      { ...bridge('ws_gwbridge', 'ws_gwbridge'), mtu: 1500 },
      { ...bridge('ws-zeta', 'zeta'), mtu: 1500 },
      { ...bridge('ws-aa', 'aa'), mtu: 1500 },
    ],
    [
      ['ws_gwbridge', '172.18.0.1/16'],
      ['ws-zeta', '10.50.0.1/24'],
      ['ws-aa', '10.51.0.1/24'],
    ],
  );
  host.fdb = byKey(
    [
      fdb('wsvx001000', '02:42:0a:28:00:42', '192.0.2.12'),
      fdb('wsvx001000', '02:42:0a:28:00:43', '192.0.2.12'),
      fdb('wsvx001000', '02:42:0a:28:00:82', '192.0.2.13'),
      fdb('wsvx001b58', '02:42:0a:29:00:82', '192.0.2.13'),
    ],
    fdbKey,
  );
  return {
    namespaces: {
      [HOST_NS]: host,
      'a-web': namespace(
        'a-web',
        'web',
        [veth('eth0', 'web', 'front', '02:42:0a:28:00:02'), veth('eth1', 'web', 'ws_gwbridge', '02:42:ac:12:00:02')],
        [
          ['eth0', '10.40.0.2/24'],
          ['eth1', '172.18.0.2/16'],
        ],
        ['eth1', '172.18.0.1'],
      ),
      'a-job': namespace('a-job', 'job', [veth('eth0', 'job', 'back', '02:42:0a:29:00:05')], [['eth0', '10.41.0.5/24']]),
      'a-api': namespace(
        'a-api',
        'api',
        [veth('eth0', 'api', 'cache', '02:42:0a:2a:00:03'), veth('eth1', 'api', 'front', '02:42:0a:28:00:03'), veth('eth2', 'api', 'ws_gwbridge', '02:42:ac:12:00:03')],
        [
          ['eth0', '10.42.0.3/24'],
          ['eth1', '10.40.0.3/24'],
          ['eth2', '172.18.0.3/16'],
        ],
        ['eth2', '172.18.0.1'],
      ),
      'a-db': namespace(
        'a-db',
        'db',
        [veth('eth0', 'db', 'store', '02:42:0a:2b:00:04'), veth('eth1', 'db', 'zeta', '02:42:0a:32:00:04')],
        [
          ['eth0', '10.43.0.4/24'],
          ['eth1', '10.50.0.4/24'],
        ],
        ['eth1', '10.50.0.1'],
      ),
      'a-ops': namespace(
        'a-ops',
        'ops',
        [veth('eth0', 'ops', 'aa', '02:42:0a:33:00:06'), veth('eth1', 'ops', 'audit', '02:42:0a:2c:00:06')],
        [
          ['eth0', '10.51.0.6/24'],
          ['eth1', '10.44.0.6/24'],
        ],
        ['eth0', '10.51.0.1'],
      ),
    },
  };
}

const HOSTS = new Map([
  ['192.0.2.11', 'a'],
  ['192.0.2.12', 'b'],
  ['192.0.2.13', 'c'],
]);

describe('network views of overlays', () => {
  it('shows an overlay as a swarm-scoped overlay with its VNI, its subnet from its endpoints here, and no gateway', () => {
    const front = view(networkViews(overlayHost()), 'front');
    expect(front).toMatchObject({ Driver: 'overlay', Scope: 'swarm', Internal: false });
    expect(front.IPAM.Config).toEqual([{ Subnet: '10.40.0.0/24' }]);
    expect(front.Options['com.docker.network.driver.overlay.vxlanid_list']).toBe('4096');
    expect(front.Containers[Object.keys(front.Containers).find((k) => front.Containers[k].Name === 'web')!]).toMatchObject({ MacAddress: '02:42:0a:28:00:02', IPv4Address: '10.40.0.2/24' });
    expect(names(front).sort()).toEqual(['api', 'web']);
  });

  it('lists as Peers this host and each host a forwarding entry tunnels to, once each, named from hosts: when given', () => {
    const views = networkViews(overlayHost(), HOSTS);
    expect(view(views, 'front').Peers).toEqual([
      { Name: 'a', IP: '192.0.2.11' },
      { Name: 'b', IP: '192.0.2.12' },
      { Name: 'c', IP: '192.0.2.13' },
    ]);
    expect(view(views, 'back').Peers).toEqual([
      { Name: 'a', IP: '192.0.2.11' },
      { Name: 'c', IP: '192.0.2.13' },
    ]);
    // No other host has an endpoint on cache: it tunnels nowhere yet.
    expect(view(views, 'cache').Peers).toEqual([{ Name: 'a', IP: '192.0.2.11' }]);
  });

  it('names Peers by address without hosts:, and gives Peers to overlays only', () => {
    const views = networkViews(overlayHost());
    expect(view(views, 'back').Peers).toEqual([
      { Name: '192.0.2.11', IP: '192.0.2.11' },
      { Name: '192.0.2.13', IP: '192.0.2.13' },
    ]);
    expect(view(views, 'ws_gwbridge').Peers).toBeUndefined();
    expect(view(views, 'zeta').Peers).toBeUndefined();
  });

  it('shows an overlay internal when an endpoint on it has no way out, or goes out through a network sorting after it', () => {
    const views = networkViews(overlayHost());
    expect(view(views, 'back').Internal).toBe(true); // job: no default route
    expect(view(views, 'store').Internal).toBe(true); // db: out through zeta, which sorts after store
  });

  it('shows an overlay not internal when an endpoint could be going out through it', () => {
    const views = networkViews(overlayHost());
    expect(view(views, 'front').Internal).toBe(false); // web: through the gateway bridge, front its only overlay
    expect(view(views, 'cache').Internal).toBe(false); // api: through the gateway bridge, cache its first overlay
    expect(view(views, 'audit').Internal).toBe(false); // ops: through aa, which sorts first: audit may be its way out or not
  });

  it('keeps showing bridge networks, the gateway bridge among them, by their address', () => {
    const views = networkViews(overlayHost());
    expect(view(views, 'ws_gwbridge')).toMatchObject({ Driver: 'bridge', Scope: 'local', IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] } });
    expect(names(view(views, 'ws_gwbridge')).sort()).toEqual(['api', 'web']);
    expect(views.map((v) => v.Name)).toEqual(['aa', 'audit', 'back', 'cache', 'front', 'host', 'none', 'store', 'ws_gwbridge', 'zeta']);
  });
});

// One host on the physical network lan0 (not wirestate's, so not in the model):
//   dmz (parent lan0, bridge mode): m1 and m2, out through it via 10.77.0.1
//   iso (no parent: the stand-in bridge wsmv0000beef): m1, whose way out is dmz, which sorts before it
//   priv (parent lan0, private mode): p1, out through it via 10.79.0.1
//   sec (parent lan0, declared internal): s1, no way out
//   tagged (parent lan0.10, the VLAN wirestate made): no endpoint here
function macvlanHost(): HostState {
  const host = namespace(null, undefined, [
    { name: 'wsmv0000beef', kind: 'bridge', alias: 'wirestate network iso parent', up: true, ipv6: false },
    { name: 'lan0.10', kind: 'vlan', alias: 'wirestate network tagged parent', up: true, ipv6: false, vlan: { id: 10 }, parent: 'lan0' },
  ]);
  return {
    namespaces: {
      [HOST_NS]: host,
      'h-m1': namespace(
        'h-m1',
        'm1',
        [macvlan('eth0', 'm1', 'dmz', 'lan0', 'bridge', '02:42:0a:4d:00:0b'), macvlan('eth1', 'm1', 'iso', 'wsmv0000beef', 'bridge', '02:42:0a:4e:00:02')],
        [
          ['eth0', '10.77.0.11/24'],
          ['eth1', '10.78.0.2/24'],
        ],
        ['eth0', '10.77.0.1'],
      ),
      'h-m2': namespace('h-m2', 'm2', [macvlan('eth0', 'm2', 'dmz', 'lan0', 'bridge', '02:42:0a:4d:00:0c')], [['eth0', '10.77.0.12/24']], ['eth0', '10.77.0.1']),
      'h-p1': namespace('h-p1', 'p1', [macvlan('eth0', 'p1', 'priv', 'lan0', 'private', '02:42:0a:4f:00:0b')], [['eth0', '10.79.0.11/24']], ['eth0', '10.79.0.1']),
      'h-s1': namespace('h-s1', 's1', [macvlan('eth0', 's1', 'sec', 'lan0', 'bridge', '02:42:0a:52:00:02')], [['eth0', '10.82.0.2/24']]),
    },
  };
}

describe('network views of macvlan networks', () => {
  it('shows every macvlan network an endpoint here is on, or whose parent wirestate made here, beside the built-in ones', () => {
    expect(networkViews(macvlanHost()).map((v) => [v.Name, v.Driver, v.Scope])).toEqual([
      ['dmz', 'macvlan', 'local'],
      ['host', 'host', 'local'],
      ['iso', 'macvlan', 'local'],
      ['none', 'null', 'local'],
      ['priv', 'macvlan', 'local'],
      ['sec', 'macvlan', 'local'],
      ['tagged', 'macvlan', 'local'],
    ]);
  });

  it('gives a macvlan network its parent and mode, its subnet from its endpoints and its gateway from their default route', () => {
    const views = networkViews(macvlanHost());
    const dmz = view(views, 'dmz');
    expect(dmz).toMatchObject({ Internal: false, Options: { parent: 'lan0', macvlan_mode: 'bridge' }, IPAM: { Config: [{ Subnet: '10.77.0.0/24', Gateway: '10.77.0.1' }] } });
    expect(Object.values(dmz.Containers).map((c) => [c.Name, c.MacAddress, c.IPv4Address])).toEqual([
      ['m1', '02:42:0a:4d:00:0b', '10.77.0.11/24'],
      ['m2', '02:42:0a:4d:00:0c', '10.77.0.12/24'],
    ]);
    expect(view(views, 'priv')).toMatchObject({ Options: { parent: 'lan0', macvlan_mode: 'private' }, IPAM: { Config: [{ Subnet: '10.79.0.0/24', Gateway: '10.79.0.1' }] } });
  });

  it('shows a network without a parent internal, with no parent option and no gateway, whatever its endpoints route through', () => {
    const iso = view(networkViews(macvlanHost()), 'iso');
    expect(iso.Internal).toBe(true);
    expect(iso.Options).toEqual({ macvlan_mode: 'bridge' });
    expect(iso.IPAM.Config).toEqual([{ Subnet: '10.78.0.0/24' }]);
    expect(names(iso)).toEqual(['m1']);
  });

  it('shows a network with a parent internal when its endpoints have no way out', () => {
    const sec = view(networkViews(macvlanHost()), 'sec');
    expect(sec).toMatchObject({ Internal: true, Options: { parent: 'lan0', macvlan_mode: 'bridge' } });
    expect(sec.IPAM.Config).toEqual([{ Subnet: '10.82.0.0/24' }]);
  });

  it('shows a network with no endpoint here by the VLAN parent wirestate made for it, and nothing it cannot see', () => {
    const tagged = view(networkViews(macvlanHost()), 'tagged');
    expect(tagged).toMatchObject({ Internal: false, IPAM: { Config: [] }, Containers: {} });
    // Its mode is its endpoints' macvlans', and it has none here.
    expect(tagged.Options).toEqual({ parent: 'lan0.10' });
  });
});
